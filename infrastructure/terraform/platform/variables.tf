# Inputs of one environment. Each environment declares the same variables (all but tags, which it builds itself) and
# passes them through; an optional one its terraform.tfvars leaves unset arrives as null, which nullable = false turns
# into the default below, so the defaults live only here.

variable "environment" {
  description = "Environment name: staging or production. Every name is chat-<environment>-..."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource; the environment's providers apply the same tags as default_tags."
  type        = map(string)
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "availability_zones" {
  description = "Three availability zones of the region."
  type        = list(string)
}

variable "vpc_cidr_block" {
  description = "CIDR of the VPC (a /16)."
  type        = string
}

variable "single_nat_gateway" {
  description = "One NAT gateway instead of one per availability zone."
  type        = bool
}

variable "api_certificate_arn" {
  description = "ACM certificate (in var.region) of the API host name served by the ALB."
  type        = string
}

variable "web_aliases" {
  description = "Host names of the web client served by CloudFront."
  type        = list(string)
}

variable "web_certificate_arn" {
  description = "ACM certificate in us-east-1 covering web_aliases."
  type        = string
}

variable "cors_allowed_origins" {
  description = "Web origins of the browser client: allowed to use presigned attachment URLs (S3 CORS) and to call the API (the api-gateway's CHAT_CORS_ORIGINS)."
  type        = list(string)
}

variable "image_tag" {
  description = "Image tag of the first task definitions (later releases: CodeDeploy for the api-gateway, rolling update-service for the others)."
  type        = string
}

variable "ecr_repository_prefix" {
  description = "ECR namespace of the images (<prefix>/<service>), shared with the build."
  type        = string
  default     = "chat-backend"
  nullable    = false
}

variable "log_level" {
  description = "CHAT_LOG_LEVEL of every service."
  type        = string
  default     = "info"
  nullable    = false
}

variable "postgres_pool_size" {
  description = "CHAT_POSTGRES_POOL_SIZE per task; max tasks x this must stay below rds_max_connections."
  type        = number
  default     = 10
  nullable    = false
}

variable "service_sizes" {
  description = "Per service: Fargate cpu, memory, initial desired_count and the autoscaling min_count/max_count."
  type = map(object({
    cpu           = number
    memory        = number
    desired_count = number
    min_count     = number
    max_count     = number
  }))
}

variable "deployment_config_name" {
  description = "CodeDeploy traffic shifting of the api-gateway (the other services deploy rolling)."
  type        = string
  default     = "CodeDeployDefault.ECSCanary10Percent5Minutes"
  nullable    = false
}

variable "rds_instance_class" {
  description = "RDS PostgreSQL instance class."
  type        = string
}

variable "rds_allocated_storage_gb" {
  description = "Initial RDS storage."
  type        = number
}

variable "rds_max_connections" {
  description = "max_connections of PostgreSQL."
  type        = number
}

variable "documentdb_instance_class" {
  description = "DocumentDB instance class."
  type        = string
}

variable "documentdb_instance_count" {
  description = "DocumentDB instances (primary + replicas)."
  type        = number
}

variable "msk_broker_instance_type" {
  description = "MSK broker instance type."
  type        = string
}

variable "msk_broker_volume_gb" {
  description = "EBS volume per broker."
  type        = number
}

variable "msk_associate_scram_secrets" {
  description = "Associate the services' AmazonMSK_ secrets with the cluster. Set to true once every secret holds a value (deploy step 5 in infrastructure/README.md)."
  type        = bool
  default     = false
  nullable    = false
}

variable "redis_instance_type" {
  description = "Instance type of the six Redis nodes (Graviton: matches the arm64 Debian AMI)."
  type        = string
}

variable "redis_maxmemory" {
  description = "maxmemory of each Redis node."
  type        = string
}

variable "deletion_protection" {
  description = "Deletion protection of RDS, DocumentDB, the ALB and the Redis instances."
  type        = bool
  default     = true
  nullable    = false
}

variable "log_retention_days" {
  description = "Retention of every CloudWatch log group."
  type        = number
  default     = 365
  nullable    = false
}

variable "alarm_emails" {
  description = "Addresses notified by the critical alarms (and the budget's notices)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "eks_oidc_provider_arn" {
  description = "OIDC provider of the EKS cluster running infrastructure/k8s, if any: the task roles then also serve as IRSA roles."
  type        = string
  default     = ""
  nullable    = false
}

variable "redis_tls" {
  description = "Redis in transit: the nodes serve TLS only and every service sets CHAT_REDIS_TLS=true with the CA of redis_ca_secret_arn (CHAT_REDIS_TLS_CA_FILE)."
  type        = bool
  default     = true
  nullable    = false
}

variable "otel_sample_ratio" {
  description = "CHAT_OTEL_SAMPLE_RATIO of every service: the share of traces kept (errors always are)."
  type        = string
  default     = "0.05"
  nullable    = false
}

variable "off_hours" {
  description = "Scheduled scaling out of hours (staging): when enabled, every service goes to count tasks at start and back to its range at end (Application Auto Scaling cron expressions in timezone)."
  type = object({
    enabled  = bool
    start    = string
    end      = string
    timezone = string
    count    = number
  })
  default = {
    enabled  = false
    start    = "cron(0 20 ? * MON-FRI *)"
    end      = "cron(0 7 ? * MON-FRI *)"
    timezone = "Europe/Dublin"
    count    = 0
  }
  nullable = false
}

variable "pagerduty_integration_urls" {
  description = "PagerDuty Amazon CloudWatch integration URLs, subscribed to the critical alarm topic (pages)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "slack_team_id" {
  description = "Slack workspace id authorised in AWS Chatbot; with slack_channel_id both alarm topics post there."
  type        = string
  default     = ""
  nullable    = false
}

variable "slack_channel_id" {
  description = "Slack channel id of the alarms."
  type        = string
  default     = ""
  nullable    = false
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget of the environment (resources tagged Environment=<environment>), notices to the warning topic and alarm_emails; 0 for none."
  type        = number
  default     = 0
  nullable    = false
}

variable "pipeline" {
  description = "The release pipeline (modules/pipeline), in the environment whose account builds the images (production): source, build, then each target in order (staging, an approval, production, the second region)."
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
  default = {
    enabled        = false
    connection_arn = ""
    repository_id  = ""
    branch         = "main"
    targets        = []
  }
  nullable = false
}

variable "deployer_trusted_role_arns" {
  description = "The release pipeline's deploy role (pipeline output deploy_role_arn) that may assume this environment's deployer role (modules/deployer); empty for no such role."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "ecr_replication_destinations" {
  description = "Where the images built in this environment's registry are copied (staging's account, the second region); set where the pipeline builds."
  type = list(object({
    region      = string
    registry_id = string
  }))
  default  = []
  nullable = false
}

variable "ecr_replication_source_accounts" {
  description = "Accounts that may replicate images into this registry (the pipeline's, for staging)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "region_role" {
  description = "primary: the region whose services and data stores take writes (every conversation's writer); secondary: the second region, whose gateways serve clients nearby and relay to the primary's services, and whose data stores are replicas until a failover (infrastructure/README.md, Two regions)."
  type        = string
  default     = "primary"
  nullable    = false
}

variable "name_suffix" {
  description = "Appended to chat-<environment> in every name of the second region (IAM and other global names must differ from the primary's); \"r2\" there, empty in the primary."
  type        = string
  default     = ""
  nullable    = false
}

variable "writer" {
  description = "The region that writes, when it is another one (from its outputs): its Cloud Map namespace (this region's gateways' upstreams), its Redis nodes (their rate limits and token denylist) and its RDS instance (replicated here). All empty: this region writes (the primary; the second region after a failover)."
  type = object({
    region                      = string
    service_discovery_namespace = string
    redis_nodes                 = string
    rds_instance_arn            = string
  })
  default = {
    region                      = ""
    service_discovery_namespace = ""
    redis_nodes                 = ""
    rds_instance_arn            = ""
  }
  nullable = false
}

variable "peer" {
  description = "Secondary only: the primary region's VPC, which this one peers with (the private path between the regions, kept across failovers), and the hosted zone of its Cloud Map namespace, associated with this VPC."
  type = object({
    region                    = string
    vpc_id                    = string
    service_discovery_zone_id = string
  })
  default = {
    region                    = ""
    vpc_id                    = ""
    service_discovery_zone_id = ""
  }
  nullable = false
}

variable "peer_cidr_blocks" {
  description = "The other region's VPC CIDR: admitted to the services, Redis and the databases here (primary), reachable from the tasks (both)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "peering_connection_id" {
  description = "Primary only: the second region's peering request to accept (its output peering_connection_id)."
  type        = string
  default     = ""
  nullable    = false
}

variable "documentdb_global_cluster_id" {
  description = "Name of the DocumentDB global cluster spanning both regions; empty for one region."
  type        = string
  default     = ""
  nullable    = false
}

variable "attachments_replica" {
  description = "Primary only: the second region's attachments bucket and s3 KMS key (its outputs), which the attachments replicate to."
  type = object({
    bucket_arn  = string
    kms_key_arn = string
  })
  default = {
    bucket_arn  = ""
    kms_key_arn = ""
  }
  nullable = false
}

variable "api_dns" {
  description = "The API's host name across regions: the public zone, the shared name (latency-based, health-checked on /ready) and this region's own name; empty zone_id for none."
  type = object({
    zone_id              = string
    record_name          = string
    regional_record_name = string
  })
  default = {
    zone_id              = ""
    record_name          = ""
    regional_record_name = ""
  }
  nullable = false
}
