# The second region of production (infrastructure/README.md, "Two regions"): the same platform, region_role =
# "secondary". Its gateways serve the clients nearest to it and relay to the writer region's services; its databases
# are replicas until a failover promotes them. Only terraform.tfvars and backend.hcl differ from environments/production.

terraform {
  # 1.10: the S3 backend's own lock file (use_lockfile in backend.hcl), no DynamoDB table.
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
    }
  }

  # Partial configuration: `terraform init -backend-config=backend.hcl` supplies bucket, key and region.
  backend "s3" {}
}

locals {
  tags = {
    Project     = "chat-backend"
    Environment = var.environment
    ManagedBy   = "terraform"
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}

# CloudFront's certificate and web ACL live in us-east-1.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = local.tags
  }
}

module "platform" {
  source = "../../platform"
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  tags                            = local.tags
  environment                     = var.environment
  region                          = var.region
  availability_zones              = var.availability_zones
  vpc_cidr_block                  = var.vpc_cidr_block
  single_nat_gateway              = var.single_nat_gateway
  api_certificate_arn             = var.api_certificate_arn
  web_aliases                     = var.web_aliases
  web_certificate_arn             = var.web_certificate_arn
  cors_allowed_origins            = var.cors_allowed_origins
  image_tag                       = var.image_tag
  ecr_repository_prefix           = var.ecr_repository_prefix
  log_level                       = var.log_level
  postgres_pool_size              = var.postgres_pool_size
  service_sizes                   = var.service_sizes
  deployment_config_name          = var.deployment_config_name
  rds_instance_class              = var.rds_instance_class
  rds_allocated_storage_gb        = var.rds_allocated_storage_gb
  rds_max_connections             = var.rds_max_connections
  documentdb_instance_class       = var.documentdb_instance_class
  documentdb_instance_count       = var.documentdb_instance_count
  msk_broker_instance_type        = var.msk_broker_instance_type
  msk_broker_volume_gb            = var.msk_broker_volume_gb
  msk_associate_scram_secrets     = var.msk_associate_scram_secrets
  redis_instance_type             = var.redis_instance_type
  redis_maxmemory                 = var.redis_maxmemory
  deletion_protection             = var.deletion_protection
  log_retention_days              = var.log_retention_days
  alarm_emails                    = var.alarm_emails
  eks_oidc_provider_arn           = var.eks_oidc_provider_arn
  api_dns                         = var.api_dns
  attachments_replica             = var.attachments_replica
  documentdb_global_cluster_id    = var.documentdb_global_cluster_id
  peering_connection_id           = var.peering_connection_id
  peer_cidr_blocks                = var.peer_cidr_blocks
  writer                          = var.writer
  peer                            = var.peer
  name_suffix                     = var.name_suffix
  region_role                     = var.region_role
  ecr_replication_source_accounts = var.ecr_replication_source_accounts
  ecr_replication_destinations    = var.ecr_replication_destinations
  deployer_trusted_role_arns      = var.deployer_trusted_role_arns
  pipeline                        = var.pipeline
  monthly_budget_usd              = var.monthly_budget_usd
  slack_channel_id                = var.slack_channel_id
  slack_team_id                   = var.slack_team_id
  pagerduty_integration_urls      = var.pagerduty_integration_urls
  off_hours                       = var.off_hours
  otel_sample_ratio               = var.otel_sample_ratio
  redis_tls                       = var.redis_tls
}
