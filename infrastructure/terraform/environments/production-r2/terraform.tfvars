# Production's second region (infrastructure/README.md, "Two regions"). The writer is eu-west-1
# (environments/production): its outputs fill `writer` below, and this region's outputs fill its peering_connection_id
# and attachments_replica. Same account as the primary, its own VPC range (peered, so it must not overlap).
environment        = "production"
region             = "eu-central-1"
region_role        = "secondary"
name_suffix        = "r2"
availability_zones = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
vpc_cidr_block     = "10.30.0.0/16"
single_nat_gateway = false

# Placeholders: replace with the account's certificates and host names (the API certificate in this region).
api_certificate_arn  = "arn:aws:acm:eu-central-1:111111111111:certificate/REPLACE-ME"
web_certificate_arn  = "arn:aws:acm:us-east-1:111111111111:certificate/REPLACE-ME"
web_aliases          = ["app.chat.example.com"]
cors_allowed_origins = ["https://app.chat.example.com"]

image_tag = "REPLACE-WITH-FIRST-RELEASE-TAG"

# The gateways serve this region's clients from the start. The other four run no task while eu-west-1 writes (their
# task definitions, roles and secrets exist, so a failover only scales them up): the failover runbook sets them to the
# primary's sizes.
service_sizes = {
  "api-gateway" = { cpu = 1024, memory = 2048, desired_count = 2, min_count = 2, max_count = 20 }
  auth          = { cpu = 512, memory = 1024, desired_count = 0, min_count = 0, max_count = 12 }
  user          = { cpu = 512, memory = 1024, desired_count = 0, min_count = 0, max_count = 12 }
  chat          = { cpu = 2048, memory = 4096, desired_count = 0, min_count = 0, max_count = 40 }
  notification  = { cpu = 1024, memory = 2048, desired_count = 0, min_count = 0, max_count = 15 }
}

# The data stores are sized like the primary's: after a failover they carry all of production.
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

pagerduty_integration_urls = ["https://events.pagerduty.com/integration/REPLACE-ME/enqueue"]
slack_team_id              = "REPLACE-ME"
slack_channel_id           = "REPLACE-ME"

# The writer region, from `terraform output` in environments/production. A failover empties every field (this
# region then writes; docs/operations.md, Two regions).
writer = {
  region                      = "eu-west-1"
  service_discovery_namespace = "chat-production.internal"
  redis_nodes                 = "10.10.16.10:6379,10.10.32.10:6379,10.10.48.10:6379,10.10.16.11:6379,10.10.32.11:6379,10.10.48.11:6379"
  rds_instance_arn            = "arn:aws:rds:eu-west-1:111111111111:db:chat-production-postgres"
}
# The primary's VPC and service zone, peered with this one (kept across failovers).
peer = {
  region                    = "eu-west-1"
  vpc_id                    = "vpc-REPLACE-ME"
  service_discovery_zone_id = "REPLACE-ME"
}
peer_cidr_blocks             = ["10.10.0.0/16"]
documentdb_global_cluster_id = "chat-production"

api_dns = {
  zone_id              = "REPLACE-ME"
  record_name          = "api.chat.example.com"
  regional_record_name = "api-eu-central-1.chat.example.com"
}

# Images come from the primary's registry by ECR replication; this region's deployer role lets the pipeline deploy.
deployer_trusted_role_arns = ["arn:aws:iam::111111111111:role/chat-production-pipeline-deploy"]
