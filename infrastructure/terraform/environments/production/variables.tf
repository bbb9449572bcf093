# The platform's inputs, set by terraform.tfvars; ../../platform/variables.tf describes them.

variable "environment" { type = string }
variable "region" { type = string }
variable "availability_zones" { type = list(string) }
variable "vpc_cidr_block" { type = string }
variable "single_nat_gateway" { type = bool }
variable "api_certificate_arn" { type = string }
variable "web_aliases" { type = list(string) }
variable "web_certificate_arn" { type = string }
variable "cors_allowed_origins" { type = list(string) }
variable "image_tag" { type = string }
variable "service_sizes" {
  type = map(object({
    cpu           = number
    memory        = number
    desired_count = number
    min_count     = number
    max_count     = number
  }))
}
variable "rds_instance_class" { type = string }
variable "rds_allocated_storage_gb" { type = number }
variable "rds_max_connections" { type = number }
variable "documentdb_instance_class" { type = string }
variable "documentdb_instance_count" { type = number }
variable "msk_broker_instance_type" { type = string }
variable "msk_broker_volume_gb" { type = number }
variable "redis_instance_type" { type = string }
variable "redis_maxmemory" { type = string }

# Optional: left unset, they stay null and the platform applies its default.

variable "ecr_repository_prefix" {
  type    = string
  default = null
}

variable "log_level" {
  type    = string
  default = null
}

variable "postgres_pool_size" {
  type    = number
  default = null
}

variable "deployment_config_name" {
  type    = string
  default = null
}

variable "msk_associate_scram_secrets" {
  type    = bool
  default = null
}

variable "deletion_protection" {
  type    = bool
  default = null
}

variable "log_retention_days" {
  type    = number
  default = null
}

variable "alarm_emails" {
  type    = list(string)
  default = null
}

variable "eks_oidc_provider_arn" {
  type    = string
  default = null
}

variable "redis_tls" {
  type    = bool
  default = null
}

variable "otel_sample_ratio" {
  type    = string
  default = null
}

variable "off_hours" {
  type = object({
    enabled  = bool
    start    = string
    end      = string
    timezone = string
    count    = number
  })
  default = null
}

variable "pagerduty_integration_urls" {
  type    = list(string)
  default = null
}

variable "slack_team_id" {
  type    = string
  default = null
}

variable "slack_channel_id" {
  type    = string
  default = null
}

variable "monthly_budget_usd" {
  type    = number
  default = null
}

variable "pipeline" {
  type = object({
    enabled        = bool
    connection_arn = string
    repository_id  = string
    branch         = string
    targets = list(object({
      name              = string
      approval_before   = bool
      deployer_role_arn = string
      region            = string
      ecs_cluster       = string
      codedeploy_app    = string
      smoke_gateway_url = string
      static_assets     = string
      web_distribution  = string
    }))
  })
  default = null
}

variable "deployer_trusted_role_arns" {
  type    = list(string)
  default = null
}

variable "ecr_replication_destinations" {
  type = list(object({
    region      = string
    registry_id = string
  }))
  default = null
}

variable "ecr_replication_source_accounts" {
  type    = list(string)
  default = null
}

variable "region_role" {
  type    = string
  default = null
}

variable "name_suffix" {
  type    = string
  default = null
}

variable "writer" {
  type = object({
    region                      = string
    service_discovery_namespace = string
    redis_nodes                 = string
    rds_instance_arn            = string
  })
  default = null
}

variable "peer_cidr_blocks" {
  type    = list(string)
  default = null
}

variable "peering_connection_id" {
  type    = string
  default = null
}

variable "documentdb_global_cluster_id" {
  type    = string
  default = null
}

variable "attachments_replica" {
  type = object({
    bucket_arn  = string
    kms_key_arn = string
  })
  default = null
}

variable "api_dns" {
  type = object({
    zone_id              = string
    record_name          = string
    regional_record_name = string
  })
  default = null
}

variable "peer" {
  type = object({
    region                    = string
    vpc_id                    = string
    service_discovery_zone_id = string
  })
  default = null
}
