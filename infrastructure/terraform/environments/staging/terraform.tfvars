# Staging: the production layout at about a quarter of its scale (smaller instances, fewer tasks, one NAT gateway).
environment        = "staging"
region             = "eu-west-1"
availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
vpc_cidr_block     = "10.20.0.0/16"
single_nat_gateway = true

# Placeholders: replace with the account's certificates and host names.
api_certificate_arn  = "arn:aws:acm:eu-west-1:222222222222:certificate/REPLACE-ME"
web_certificate_arn  = "arn:aws:acm:us-east-1:222222222222:certificate/REPLACE-ME"
web_aliases          = ["app.staging.chat.example.com"]
cors_allowed_origins = ["https://app.staging.chat.example.com"]

image_tag = "REPLACE-WITH-FIRST-RELEASE-TAG"

service_sizes = {
  "api-gateway" = { cpu = 512, memory = 1024, desired_count = 1, min_count = 1, max_count = 5 }
  auth          = { cpu = 256, memory = 512, desired_count = 1, min_count = 1, max_count = 3 }
  user          = { cpu = 256, memory = 512, desired_count = 1, min_count = 1, max_count = 3 }
  chat          = { cpu = 1024, memory = 2048, desired_count = 2, min_count = 2, max_count = 10 }
  notification  = { cpu = 512, memory = 1024, desired_count = 1, min_count = 1, max_count = 4 }
}

postgres_pool_size       = 10
rds_instance_class       = "db.r6g.large"
rds_allocated_storage_gb = 100
rds_max_connections      = 400

documentdb_instance_class = "db.r6g.large"
documentdb_instance_count = 2

msk_broker_instance_type = "kafka.m7g.large"
msk_broker_volume_gb     = 250

redis_instance_type = "r7g.medium"
redis_maxmemory     = "6gb"

# All-at-once keeps staging deployments quick; the rollback alarms still apply.
deployment_config_name = "CodeDeployDefault.ECSAllAtOnce"

# Same protections as production: staging holds the release candidates' data and its logs serve incident
# comparisons. Tearing it down means setting deletion_protection = false in a reviewed change first.
deletion_protection = true
log_retention_days  = 365
alarm_emails        = ["staging-alerts@chat.example.com"]

# Out of working hours staging stops: every service scales to zero tasks at 20:00 and back at 07:00 (Dublin time,
# weekdays; weekends stay off). Data stores keep running, so nothing is lost overnight.
off_hours = {
  enabled  = true
  start    = "cron(0 20 ? * MON-FRI *)"
  end      = "cron(0 7 ? * MON-FRI *)"
  timezone = "Europe/Dublin"
  count    = 0
}

# Placeholder amount: set it from the first full month's bill. Notices at 80 % forecast and 100 % actual.
monthly_budget_usd = 4000

# Releases come from the pipeline in production's account: its images are replicated here, and its deploy role
# deploys through this environment's deployer role.
deployer_trusted_role_arns      = ["arn:aws:iam::111111111111:role/chat-production-pipeline-deploy"]
ecr_replication_source_accounts = ["111111111111"]
