# Production: full scale. Staging runs about a quarter of it (environments/staging/terraform.tfvars).
environment        = "production"
region             = "eu-west-1"
availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
vpc_cidr_block     = "10.10.0.0/16"
single_nat_gateway = false

# Placeholders: replace with the account's certificates and host names.
api_certificate_arn  = "arn:aws:acm:eu-west-1:111111111111:certificate/REPLACE-ME"
web_certificate_arn  = "arn:aws:acm:us-east-1:111111111111:certificate/REPLACE-ME"
web_aliases          = ["app.chat.example.com"]
cors_allowed_origins = ["https://app.chat.example.com"]

image_tag = "REPLACE-WITH-FIRST-RELEASE-TAG"

service_sizes = {
  "api-gateway" = { cpu = 1024, memory = 2048, desired_count = 4, min_count = 4, max_count = 20 }
  auth          = { cpu = 512, memory = 1024, desired_count = 3, min_count = 3, max_count = 12 }
  user          = { cpu = 512, memory = 1024, desired_count = 3, min_count = 3, max_count = 12 }
  chat          = { cpu = 2048, memory = 4096, desired_count = 6, min_count = 6, max_count = 40 }
  notification  = { cpu = 1024, memory = 2048, desired_count = 3, min_count = 3, max_count = 15 }
}

# At the autoscaling maxima (99 tasks x pool 10 = 990) PostgreSQL still has headroom.
postgres_pool_size       = 10
rds_instance_class       = "db.r6g.2xlarge"
rds_allocated_storage_gb = 500
rds_max_connections      = 1200

documentdb_instance_class = "db.r6g.xlarge"
documentdb_instance_count = 3

msk_broker_instance_type = "kafka.m7g.xlarge"
msk_broker_volume_gb     = 1000

redis_instance_type = "r7g.xlarge"
redis_maxmemory     = "24gb"

deletion_protection = true
log_retention_days  = 365
alarm_emails        = ["oncall@chat.example.com"]

# Alarm routing (placeholders): PagerDuty's CloudWatch integration pages on the critical topic; AWS Chatbot posts both
# topics to Slack once the workspace is authorised in its console.
pagerduty_integration_urls = ["https://events.pagerduty.com/integration/REPLACE-ME/enqueue"]
slack_team_id              = "REPLACE-ME"
slack_channel_id           = "REPLACE-ME"

# Placeholder amount: set it from the first full month's bill. Notices at 80 % forecast and 100 % actual.
monthly_budget_usd = 20000

# The release pipeline builds in this account and region: source -> build -> staging (its own account) -> approval ->
# production here -> production in the second region (environments/production-r2). Placeholders: the CodeConnections
# connection (authorised once in the console), the repository, the test listeners' host names.
pipeline = {
  enabled        = true
  connection_arn = "arn:aws:codeconnections:eu-west-1:111111111111:connection/REPLACE-ME"
  repository_id  = "REPLACE-ME/chat-backend"
  branch         = "main"
  targets = [
    {
      name              = "staging"
      approval_before   = false
      deployer_role_arn = "arn:aws:iam::222222222222:role/chat-staging-deployer"
      region            = "eu-west-1"
      ecs_cluster       = "chat-staging"
      codedeploy_app    = "chat-staging"
      smoke_gateway_url = "https://api.staging.chat.example.com:8443"
      static_assets     = "chat-staging-static-222222222222-eu-west-1"
      web_distribution  = "REPLACE-ME"
    },
    {
      name              = "production"
      approval_before   = true
      deployer_role_arn = "arn:aws:iam::111111111111:role/chat-production-deployer"
      region            = "eu-west-1"
      ecs_cluster       = "chat-production"
      codedeploy_app    = "chat-production"
      smoke_gateway_url = "https://api-eu-west-1.chat.example.com:8443"
      static_assets     = "chat-production-static-111111111111-eu-west-1"
      web_distribution  = "REPLACE-ME"
    },
    {
      name              = "production-r2"
      approval_before   = false
      deployer_role_arn = "arn:aws:iam::111111111111:role/chat-production-r2-deployer"
      region            = "eu-central-1"
      ecs_cluster       = "chat-production-r2"
      codedeploy_app    = "chat-production-r2"
      smoke_gateway_url = "https://api-eu-central-1.chat.example.com:8443"
      static_assets     = ""
      web_distribution  = ""
    },
  ]
}
deployer_trusted_role_arns = ["arn:aws:iam::111111111111:role/chat-production-pipeline-deploy"]
# Images built here also run in staging's account and in the second region.
ecr_replication_destinations = [
  { region = "eu-west-1", registry_id = "222222222222" },
  { region = "eu-central-1", registry_id = "111111111111" },
]

# Two regions (infrastructure/README.md): this region writes; environments/production-r2 (eu-central-1) serves clients
# near it and holds the replicas. Filled from that environment's outputs once it exists (deploy order, step 9).
api_dns = {
  zone_id              = "REPLACE-ME"
  record_name          = "api.chat.example.com"
  regional_record_name = "api-eu-west-1.chat.example.com"
}
documentdb_global_cluster_id = "chat-production"
peer_cidr_blocks             = ["10.30.0.0/16"]
peering_connection_id        = "pcx-REPLACE-ME"
attachments_replica = {
  bucket_arn  = "arn:aws:s3:::chat-production-r2-attachments-111111111111-eu-central-1"
  kms_key_arn = "arn:aws:kms:eu-central-1:111111111111:key/REPLACE-ME"
}
