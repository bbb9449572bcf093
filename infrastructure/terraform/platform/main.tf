# The whole backend of one environment, composed once. environments/staging and environments/production are thin
# root modules that configure the providers and the state backend and call this module with their terraform.tfvars:
# the environments differ only in those values, never in layout.
#
# Dependencies, in apply order (Terraform derives it; infrastructure/README.md explains the manual steps between):
#   services catalogue -> iam (KMS keys, roles, empty secrets) -> vpc -> s3 -> rds, documentdb, msk, redis
#   -> ecs (ALB, WAF, services, CodeDeploy) -> cloudfront -> monitoring (whose alarms feed back into CodeDeploy)
#   -> budgets

data "aws_caller_identity" "current" {}

locals {
  # The second region's names carry name_suffix: IAM roles, the CloudFront-less edge and other global names must not
  # collide with the primary's.
  name       = join("-", compact(["chat", var.environment, var.name_suffix]))
  account_id = data.aws_caller_identity.current.account_id
  namespace  = "${local.name}.internal"

  # Two regions (infrastructure/README.md): the primary holds what exists once (CloudFront, the budget, the pipeline)
  # and founds the replicated stores; the secondary joins them. Independently of that, one region writes: a region
  # that names a writer (var.writer) relays to it: its gateways use the writer's services (their Cloud Map names, over
  # the peering) and Redis Cluster (rate limits, the token denylist), its RDS instance replicates the writer's, and its
  # own services run no tasks (service_sizes). A failover empties `writer` in the second region (docs/operations.md).
  primary   = var.region_role == "primary"
  secondary = var.region_role == "secondary"
  writes    = var.writer.region == ""
  # Where the gateway's upstreams live: this region's namespace, or the writer's.
  upstream_namespace = local.writes ? local.namespace : var.writer.service_discovery_namespace

  # Bucket names are global: account and region make them unique.
  bucket_suffix = "${local.account_id}-${var.region}"

  services = module.services.services

  # The gateway's admin listener (/metrics, the detailed /ready), reachable from other tasks only.
  admin_port = 9090
  # Where each task's redis-ca container writes the Redis CA (a task definition cannot mount a secret as a file).
  redis_ca_directory = "/run/chat/redis-ca"

  # Non-secret CHAT_ variables of every task (Shared/ServiceKit/Configuration/ConfigKey.swift). CHAT_HTTP_HOST and
  # CHAT_HTTP_PORT are set per service by the ecs module; CHAT_S3_SESSION_TOKEN stays empty (static keys). Unset
  # everywhere: CHAT_STATE_DIR (local stack only; without its signing key auth stops rather than generate one) and
  # CHAT_JWT_SIGNING_KEY_FILE (ECS injects the key itself as CHAT_JWT_SIGNING_KEY).
  environment_variables = {
    CHAT_LOG_LEVEL          = var.log_level
    CHAT_READY_TIMEOUT_MS   = "2000"
    CHAT_POSTGRES_POOL_SIZE = tostring(var.postgres_pool_size)
    # Migrations run at start under an advisory lock: tasks starting together apply each one once.
    CHAT_POSTGRES_STATEMENT_TIMEOUT_MS = "15000"
    CHAT_MIGRATE_ON_START              = "true"
    CHAT_KAFKA_BROKERS                 = module.msk.bootstrap_brokers_sasl_scram
    CHAT_KAFKA_SECURITY_PROTOCOL       = "sasl_ssl"
    CHAT_KAFKA_SASL_MECHANISM          = "SCRAM-SHA-512"
    CHAT_REDIS_NODES                   = module.redis.chat_redis_nodes
    # Set but empty: AWS's regional endpoint of CHAT_S3_REGION (unset would be the local stack's).
    CHAT_S3_ENDPOINT      = ""
    CHAT_S3_REGION        = var.region
    CHAT_S3_BUCKET        = module.s3.attachments_bucket_name
    CHAT_S3_PATH_STYLE    = "false"
    CHAT_S3_SESSION_TOKEN = ""
    # Redis in transit: the nodes serve TLS only (redis-ec2 tls_enabled); the CA comes from chat/<env>/redis-ca.
    CHAT_REDIS_TLS         = tostring(var.redis_tls)
    CHAT_REDIS_TLS_CA_FILE = "${local.redis_ca_directory}/ca.pem"
    # Traces to the OpenTelemetry collector beside each service (ecs module), which sends them to X-Ray.
    CHAT_OTEL_ENDPOINT     = "http://127.0.0.1:4318"
    CHAT_OTEL_SAMPLE_RATIO = var.otel_sample_ratio
  }

  # The variables only some services read. The gateway reaches the other services through Cloud Map names, sits
  # behind the ALB (one proxy hop appending to X-Forwarded-For) and answers CORS for the web client's origins.
  service_environment = {
    "api-gateway" = {
      CHAT_UPSTREAM_AUTH          = "http://auth.${local.upstream_namespace}:${local.services["auth"].port}"
      CHAT_UPSTREAM_USER          = "http://user.${local.upstream_namespace}:${local.services["user"].port}"
      CHAT_UPSTREAM_CHAT          = "http://chat.${local.upstream_namespace}:${local.services["chat"].port}"
      CHAT_UPSTREAM_NOTIFICATION  = "http://notification.${local.upstream_namespace}:${local.services["notification"].port}"
      CHAT_UPSTREAM_TIMEOUT_MS    = "30000"
      CHAT_RATE_LIMIT_PER_USER    = "600"
      CHAT_RATE_LIMIT_PER_ADDRESS = "1200"
      CHAT_MAX_BODY_BYTES         = "1048576"
      CHAT_CORS_ORIGINS           = join(",", var.cors_allowed_origins)
      CHAT_TRUSTED_PROXY_HOPS     = "1"
      # The web client the image carries, and the admin listener the collector scrapes.
      CHAT_WEB_ROOT   = "/srv/chat/public"
      CHAT_ADMIN_HOST = "0.0.0.0"
      CHAT_ADMIN_PORT = tostring(local.admin_port)
      # The second region's gateways share the writer's Redis Cluster: one rate limit per user, and a token revoked at
      # logout is refused in both regions. (Over the shared value of every task.)
      CHAT_REDIS_NODES = local.writes ? module.redis.chat_redis_nodes : var.writer.redis_nodes
    }
    auth = {
      CHAT_ACCESS_TOKEN_TTL_SECONDS   = "900"
      CHAT_REFRESH_TOKEN_TTL_DAYS     = "30"
      CHAT_BCRYPT_COST                = "12"
      CHAT_LOGIN_FAILURE_LIMIT        = "10"
      CHAT_REGISTER_LIMIT_PER_ADDRESS = "20"
      # During a signing-key rotation: the previous public key, kid=base64 (infrastructure/README.md).
      CHAT_JWT_RETIRED_PUBLIC_KEYS = ""
    }
    # chat asks user's internal API for identity data (blocks, @mentions, contacts) and checks sessions against auth's
    # JWKS, at the same Cloud Map names as the gateway.
    # user asks chat's internal API whether an avatar is an image the user uploaded.
    user = {
      CHAT_UPSTREAM_CHAT = "http://chat.${local.namespace}:${local.services["chat"].port}"
    }
    chat = {
      CHAT_UPSTREAM_AUTH = "http://auth.${local.namespace}:${local.services["auth"].port}"
      CHAT_UPSTREAM_USER = "http://user.${local.namespace}:${local.services["user"].port}"
      # WebSocket limits per user, across their sockets and instances.
      CHAT_SEND_BUDGET_PER_SECOND = "20"
      CHAT_SEND_BUDGET_BURST      = "100"
      CHAT_SOCKETS_PER_USER       = "20"
      # The writer's batches start at least 5 ms apart while messages keep coming: fewer, fuller batches under load.
      CHAT_WRITER_LINGER_MS = "5"
      # A broker answers a fetch when a record arrives: the wait only spaces the fan-out's idle fetches.
      CHAT_FANOUT_FETCH_WAIT_MS = "100"
    }
    notification = {
      CHAT_NOTIFICATION_CONSUMER_GROUP = "notification"
      CHAT_NOTIFICATION_OFFSET_RESET   = "earliest"
      CHAT_PUSH_MAX_ATTEMPTS           = "5"
      CHAT_PUSH_RETRY_BASE_MS          = "500"
      CHAT_PUSH_TIMEOUT_MS             = "5000"
      CHAT_PUSH_CONCURRENCY            = "32"
      # Push targets on loopback, link-local and private addresses: local stack only, never here.
      CHAT_PUSH_ALLOW_PRIVATE_TARGETS = "false"
    }
  }

  # Secret CHAT_ variables, injected by ECS from each service's own secrets (JSON keys of chat/<env>/<service>,
  # username/password of its AmazonMSK_ secret) and the shared chat/<env>/internal; auth's signing key is a key of
  # its own secret. The same secret layout serves the CloudFormation stack (infrastructure/ecs-task-definitions.yaml)
  # and the Kubernetes ExternalSecrets (infrastructure/k8s).
  service_secrets = { for svc in module.services.names : svc => merge(
    { for key in ["CHAT_POSTGRES_URL", "CHAT_MONGO_URI", "CHAT_REDIS_USERNAME", "CHAT_REDIS_PASSWORD", "CHAT_S3_ACCESS_KEY_ID", "CHAT_S3_SECRET_ACCESS_KEY"] :
    key => "${module.iam.service_secret_arns[svc]}:${key}::" },
    {
      CHAT_KAFKA_SASL_USERNAME = "${module.iam.kafka_secret_arns[svc]}:username::"
      CHAT_KAFKA_SASL_PASSWORD = "${module.iam.kafka_secret_arns[svc]}:password::"
      CHAT_INTERNAL_SECRET     = "${module.iam.internal_secret_arn}:CHAT_INTERNAL_SECRET::"
    },
    svc == "auth" ? { CHAT_JWT_SIGNING_KEY = "${module.iam.service_secret_arns[svc]}:CHAT_JWT_SIGNING_KEY::" } : {},
  ) }

  private_cidrs = module.vpc.private_subnet_cidrs
  # Database clients: this region's tasks, and the other region's (its gateways reach the writer's databases).
  database_clients = concat(module.vpc.private_subnet_cidrs, var.peer_cidr_blocks)
}

module "services" {
  source = "../modules/services"
}

module "iam" {
  source = "../modules/iam"

  name                    = local.name
  environment             = var.environment
  services                = local.services
  attachments_bucket_name = "${local.name}-attachments-${local.bucket_suffix}"
  msk_cluster_name        = local.name
  ecr_repository_prefix   = var.ecr_repository_prefix
  eks_oidc_provider_arn   = var.eks_oidc_provider_arn
  tags                    = var.tags
}

module "vpc" {
  source = "../modules/vpc"

  name                    = local.name
  cidr_block              = var.vpc_cidr_block
  availability_zones      = var.availability_zones
  single_nat_gateway      = var.single_nat_gateway
  flow_log_retention_days = var.log_retention_days
  logs_kms_key_arn        = module.iam.kms_key_arns["logs"]
  tags                    = var.tags
}

module "s3" {
  source = "../modules/s3"

  attachments_bucket_name   = "${local.name}-attachments-${local.bucket_suffix}"
  static_assets_bucket_name = "${local.name}-static-${local.bucket_suffix}"
  backups_bucket_name       = "${local.name}-backups-${local.bucket_suffix}"
  logs_bucket_name          = "${local.name}-logs-${local.bucket_suffix}"
  s3_kms_key_arn            = module.iam.kms_key_arns["s3"]
  data_kms_key_arn          = module.iam.kms_key_arns["data"]
  cors_allowed_origins      = var.cors_allowed_origins
  log_retention_days        = var.log_retention_days
  # Attachments replicate to the second region while this one writes.
  attachments_replica_bucket_arn  = local.primary ? var.attachments_replica.bucket_arn : ""
  attachments_replica_kms_key_arn = local.primary ? var.attachments_replica.kms_key_arn : ""
  tags                            = var.tags
}

module "rds" {
  source = "../modules/rds"

  name                 = local.name
  vpc_id               = module.vpc.vpc_id
  database_subnet_ids  = module.vpc.database_subnet_ids
  allowed_cidr_blocks  = local.database_clients
  instance_class       = var.rds_instance_class
  allocated_storage_gb = var.rds_allocated_storage_gb
  max_connections      = var.rds_max_connections
  databases            = module.services.databases
  deletion_protection  = var.deletion_protection
  # Emptied at a failover: Terraform then promotes the replica (if the runbook has not already).
  replicate_source_db = local.writes ? "" : var.writer.rds_instance_arn
  kms_key_arn         = module.iam.kms_key_arns["data"]
  logs_kms_key_arn    = module.iam.kms_key_arns["logs"]
  log_retention_days  = var.log_retention_days
  tags                = var.tags
}

module "documentdb" {
  source = "../modules/documentdb"

  name                = local.name
  vpc_id              = module.vpc.vpc_id
  database_subnet_ids = module.vpc.database_subnet_ids
  allowed_cidr_blocks = local.database_clients
  instance_class      = var.documentdb_instance_class
  instance_count      = var.documentdb_instance_count
  deletion_protection = var.deletion_protection
  # One global cluster over both regions: founded by the primary's cluster, joined by the secondary's.
  global_role               = var.documentdb_global_cluster_id == "" ? "none" : var.region_role
  global_cluster_identifier = var.documentdb_global_cluster_id
  kms_key_arn               = module.iam.kms_key_arns["data"]
  logs_kms_key_arn          = module.iam.kms_key_arns["logs"]
  log_retention_days        = var.log_retention_days
  tags                      = var.tags
}

module "msk" {
  source = "../modules/msk"

  name                 = local.name
  vpc_id               = module.vpc.vpc_id
  private_subnet_ids   = module.vpc.private_subnet_ids
  allowed_cidr_blocks  = local.private_cidrs
  broker_instance_type = var.msk_broker_instance_type
  broker_volume_gb     = var.msk_broker_volume_gb
  kms_key_arn          = module.iam.kms_key_arns["data"]
  logs_kms_key_arn     = module.iam.kms_key_arns["logs"]
  log_retention_days   = var.log_retention_days
  scram_secret_arns    = var.msk_associate_scram_secrets ? values(module.iam.kafka_secret_arns) : []
  tags                 = var.tags
}

module "redis" {
  source = "../modules/redis-ec2"

  name                   = local.name
  vpc_id                 = module.vpc.vpc_id
  vpc_cidr_block         = module.vpc.vpc_cidr_block
  private_subnet_ids     = module.vpc.private_subnet_ids
  private_subnet_cidrs   = module.vpc.private_subnet_cidrs
  instance_type          = var.redis_instance_type
  maxmemory              = var.redis_maxmemory
  kms_key_arn            = module.iam.kms_key_arns["data"]
  logs_kms_key_arn       = module.iam.kms_key_arns["logs"]
  secrets_kms_key_arn    = module.iam.kms_key_arns["secrets"]
  redis_secret_arn       = module.iam.redis_secret_arn
  redis_tls_secret_arn   = module.iam.redis_tls_secret_arn
  tls_enabled            = var.redis_tls
  backups_bucket_name    = module.s3.backups_bucket_name
  log_retention_days     = var.log_retention_days
  termination_protection = var.deletion_protection
  # The other region's gateways use this Redis Cluster while this region writes.
  peer_client_cidr_blocks = var.peer_cidr_blocks
  tags                    = var.tags
}

module "ecs" {
  source = "../modules/ecs"

  name                        = local.name
  vpc_id                      = module.vpc.vpc_id
  vpc_cidr_block              = module.vpc.vpc_cidr_block
  public_subnet_ids           = module.vpc.public_subnet_ids
  private_subnet_ids          = module.vpc.private_subnet_ids
  services                    = local.services
  service_sizes               = var.service_sizes
  service_discovery_namespace = local.namespace
  certificate_arn             = var.api_certificate_arn
  # Deployment test hooks run in the VPC and reach the internet-facing ALB through the NAT gateways.
  test_listener_cidrs     = [for ip in module.vpc.nat_gateway_public_ips : "${ip}/32"]
  alb_deletion_protection = var.deletion_protection
  logs_bucket_name        = module.s3.logs_bucket_name
  logs_kms_key_arn        = module.iam.kms_key_arns["logs"]
  log_retention_days      = var.log_retention_days
  ecr_repository_prefix   = var.ecr_repository_prefix
  image_tag               = var.image_tag
  roles = { for svc in module.services.names : svc => {
    task      = module.iam.task_role_arns[svc]
    execution = module.iam.execution_role_arns[svc]
  } }
  environment                     = local.environment_variables
  service_environment             = local.service_environment
  service_secrets                 = local.service_secrets
  deployment_config_name          = var.deployment_config_name
  rollback_alarm_names            = module.monitoring.rollback_alarm_names
  admin_ports                     = { "api-gateway" = local.admin_port }
  redis_ca_secret_arn             = module.iam.redis_ca_secret_arn
  redis_ca_directory              = local.redis_ca_directory
  off_hours                       = var.off_hours.enabled ? { start = var.off_hours.start, end = var.off_hours.end, timezone = var.off_hours.timezone, count = var.off_hours.count } : null
  ecr_replication_destinations    = var.ecr_replication_destinations
  ecr_replication_source_accounts = var.ecr_replication_source_accounts
  peer_cidr_blocks                = var.peer_cidr_blocks
  tags                            = var.tags
}

# The web client is served once, from the primary's static-assets bucket (CloudFront is global).
module "cloudfront" {
  source = "../modules/cloudfront"
  count  = local.primary ? 1 : 0
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  name                                      = local.name
  static_assets_bucket_name                 = module.s3.static_assets_bucket_name
  static_assets_bucket_arn                  = module.s3.static_assets_bucket_arn
  static_assets_bucket_regional_domain_name = module.s3.static_assets_bucket_regional_domain_name
  aliases                                   = var.web_aliases
  acm_certificate_arn                       = var.web_certificate_arn
  logs_bucket_domain_name                   = module.s3.logs_bucket_domain_name
  log_retention_days                        = var.log_retention_days
  tags                                      = var.tags
}

module "monitoring" {
  source = "../modules/monitoring"

  name                          = local.name
  services                      = module.services.names
  alb_arn_suffix                = module.ecs.alb_arn_suffix
  target_group_arn_suffixes     = module.ecs.target_group_arn_suffixes
  ecs_cluster_name              = module.ecs.cluster_name
  rds_instance_identifier       = module.rds.instance_identifier
  rds_max_connections           = var.rds_max_connections
  documentdb_cluster_identifier = module.documentdb.cluster_identifier
  msk_cluster_name              = module.msk.cluster_name
  # MSK's per-group lag for the groups with a fixed name (notification's). chat's fan-out reads in one group per
  # instance (chat-fanout-<id>), which come and go: its lag alarm uses the kafka_consumer_lag_records it exports.
  consumer_groups            = { for svc, cfg in local.services : svc => cfg.kafka_consume if length(cfg.kafka_consume) > 0 && svc != "chat" }
  pagerduty_integration_urls = var.pagerduty_integration_urls
  slack_team_id              = var.slack_team_id
  slack_channel_id           = var.slack_channel_id
  redis_cluster_name         = local.name
  redis_instance_ids         = module.redis.instance_ids
  alarm_emails               = var.alarm_emails
  logs_kms_key_arn           = module.iam.kms_key_arns["logs"]
  tags                       = var.tags
}

# One budget per environment (its resources in both regions carry the same Environment tag), kept by the primary.
module "budgets" {
  source = "../modules/budgets"
  count  = local.primary && var.monthly_budget_usd > 0 ? 1 : 0

  name              = local.name
  monthly_limit_usd = var.monthly_budget_usd
  tag_value         = var.environment
  sns_topic_arn     = module.monitoring.alarm_topic_arns["warning"]
  emails            = var.alarm_emails
  tags              = var.tags
}

# The release pipeline, in the environment whose account builds (production), and the role through which it deploys
# to this environment (modules/pipeline, modules/deployer).
module "pipeline" {
  source = "../modules/pipeline"
  count  = var.pipeline.enabled ? 1 : 0

  name                  = local.name
  connection_arn        = var.pipeline.connection_arn
  repository_id         = var.pipeline.repository_id
  branch                = var.pipeline.branch
  vpc_id                = module.vpc.vpc_id
  private_subnet_ids    = module.vpc.private_subnet_ids
  ecr_repository_prefix = var.ecr_repository_prefix
  targets               = var.pipeline.targets
  approval_topic_arn    = module.monitoring.alarm_topic_arns["warning"]
  kms_key_arn           = module.iam.kms_key_arns["logs"]
  logs_bucket_name      = module.s3.logs_bucket_name
  log_retention_days    = var.log_retention_days
  tags                  = var.tags
}

module "deployer" {
  source = "../modules/deployer"
  count  = length(var.deployer_trusted_role_arns) > 0 ? 1 : 0

  name                  = local.name
  trusted_role_arns     = var.deployer_trusted_role_arns
  cluster_name          = module.ecs.cluster_name
  codedeploy_app_name   = module.ecs.codedeploy_app_name
  passable_role_arns    = concat(values(module.iam.task_role_arns), values(module.iam.execution_role_arns))
  ecr_repository_prefix = var.ecr_repository_prefix
  # The web client is uploaded where it is served: the primary region.
  static_assets_bucket_arn  = local.primary ? module.s3.static_assets_bucket_arn : ""
  static_assets_kms_key_arn = local.primary ? module.iam.kms_key_arns["s3"] : ""
  web_distribution_arn      = local.primary ? module.cloudfront[0].distribution_arn : ""
  tags                      = var.tags
}

moved {
  from = module.cloudfront
  to   = module.cloudfront[0]
}

# Two regions: the private path to the other region's VPC (the secondary requests it, the primary accepts it) and the
# API's latency-based, health-checked host name.
module "peering" {
  source = "../modules/region-peering"

  name                           = local.name
  mode                           = local.secondary ? "request" : (var.peering_connection_id != "" ? "accept" : "none")
  vpc_id                         = module.vpc.vpc_id
  route_table_ids                = module.vpc.private_route_table_ids
  peer_vpc_id                    = var.peer.vpc_id
  peer_region                    = local.secondary ? var.peer.region : ""
  peer_cidr_block                = try(var.peer_cidr_blocks[0], "")
  peering_connection_id          = var.peering_connection_id
  peer_service_discovery_zone_id = var.peer.service_discovery_zone_id
  tags                           = var.tags
}

module "api_dns" {
  source = "../modules/api-dns"
  count  = var.api_dns.zone_id == "" ? 0 : 1

  name                 = local.name
  zone_id              = var.api_dns.zone_id
  record_name          = var.api_dns.record_name
  regional_record_name = var.api_dns.regional_record_name
  region               = var.region
  alb_dns_name         = module.ecs.alb_dns_name
  alb_zone_id          = module.ecs.alb_zone_id
  tags                 = var.tags
}
