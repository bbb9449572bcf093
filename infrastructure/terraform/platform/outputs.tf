output "api_alb_dns_name" {
  description = "Point the API host name (alias record) here."
  value       = module.ecs.alb_dns_name
}

output "web_distribution_domain_name" {
  description = "Point web_aliases (alias records) here."
  value       = try(module.cloudfront[0].domain_name, null)
}

output "web_distribution_id" {
  description = "For cache invalidations after a web client release."
  value       = try(module.cloudfront[0].distribution_id, null)
}

output "ecr_repository_urls" {
  description = "Where the build pushes each service's image."
  value       = module.ecs.ecr_repository_urls
}

output "codedeploy_app_name" {
  description = "CodeDeploy application; its one deployment group, api-gateway, deploys the gateway blue/green."
  value       = module.ecs.codedeploy_app_name
}

output "ecs_cluster_name" {
  description = "ECS cluster of the services."
  value       = module.ecs.cluster_name
}

output "postgres_address" {
  description = "RDS host of every CHAT_POSTGRES_URL."
  value       = module.rds.address
}

output "postgres_bootstrap_sql" {
  description = "Run once as the master user to create the per-service roles and databases."
  value       = module.rds.bootstrap_sql
}

output "postgres_master_secret_arn" {
  description = "RDS-managed master password."
  value       = module.rds.master_user_secret_arn
}

output "mongo_uri_template" {
  description = "CHAT_MONGO_URI without credentials."
  value       = module.documentdb.mongo_uri_template
}

output "kafka_bootstrap_brokers" {
  description = "CHAT_KAFKA_BROKERS (SASL/SCRAM)."
  value       = module.msk.bootstrap_brokers_sasl_scram
}

output "redis_nodes" {
  description = "CHAT_REDIS_NODES."
  value       = module.redis.chat_redis_nodes
}

output "attachments_bucket" {
  description = "CHAT_S3_BUCKET."
  value       = module.s3.attachments_bucket_name
}

output "static_assets_bucket" {
  description = "Where the web client's build is uploaded."
  value       = module.s3.static_assets_bucket_name
}

output "service_secret_arns" {
  description = "Secrets to fill per service (JSON keys CHAT_POSTGRES_URL, CHAT_MONGO_URI, CHAT_REDIS_USERNAME, CHAT_REDIS_PASSWORD, CHAT_S3_ACCESS_KEY_ID, CHAT_S3_SECRET_ACCESS_KEY; auth's also CHAT_JWT_SIGNING_KEY)."
  value       = module.iam.service_secret_arns
}

output "internal_secret_arn" {
  description = "Secret to fill once for all services (JSON key CHAT_INTERNAL_SECRET, 32 random bytes or more)."
  value       = module.iam.internal_secret_arn
}

output "kafka_secret_arns" {
  description = "AmazonMSK_ secrets to fill per service ({\"username\", \"password\"})."
  value       = module.iam.kafka_secret_arns
}

output "redis_secret_arn" {
  description = "Secret to fill with the Redis password before the Redis instances boot."
  value       = module.iam.redis_secret_arn
}

output "redis_tls_secret_arn" {
  description = "Secret to fill before the Redis instances boot: JSON {certificate, private_key, ca_certificate} (PEM), a certificate whose SANs name the six redis_nodes addresses."
  value       = module.iam.redis_tls_secret_arn
}

output "redis_ca_secret_arn" {
  description = "Secret to fill with JSON {\"ca_pem\": <the CA of redis_tls_secret_arn>}: every task writes it to CHAT_REDIS_TLS_CA_FILE."
  value       = module.iam.redis_ca_secret_arn
}

output "s3_user_names" {
  description = "IAM users whose access keys go into the services' secrets (CHAT_S3_ACCESS_KEY_ID, CHAT_S3_SECRET_ACCESS_KEY)."
  value       = module.iam.s3_user_names
}

output "task_role_arns" {
  description = "Task roles (also the IRSA roles of the Kubernetes service accounts)."
  value       = module.iam.task_role_arns
}

output "alarm_topic_arns" {
  description = "Map of priority (critical, warning) to the SNS topic of its alarms; subscribe the on-call tooling to critical."
  value       = module.monitoring.alarm_topic_arns
}

output "dashboards" {
  description = "CloudWatch dashboards."
  value       = module.monitoring.dashboard_names
}

output "vpc_id" {
  description = "VPC of the environment."
  value       = module.vpc.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets (tasks, EKS nodes)."
  value       = module.vpc.private_subnet_ids
}

output "public_subnet_ids" {
  description = "Public subnets (load balancers)."
  value       = module.vpc.public_subnet_ids
}

output "metrics_log_group" {
  description = "Log group of the collectors' embedded-metric-format records (ECS and EKS): METRICS_LOG_GROUP of the EKS sidecars."
  value       = module.ecs.metrics_log_group_name
}

output "pipeline_name" {
  description = "The release pipeline, where this environment hosts it."
  value       = try(module.pipeline[0].pipeline_name, null)
}

output "pipeline_deploy_role_arn" {
  description = "Role of the pipeline's deploy projects: the deployer_trusted_role_arns of every target environment."
  value       = try(module.pipeline[0].deploy_role_arn, null)
}

output "deployer_role_arn" {
  description = "This environment's deployer role, a target's deployer_role_arn in the pipeline."
  value       = try(module.deployer[0].role_arn, null)
}

output "vpc_cidr_block" {
  description = "CIDR of the VPC (the other region's peer_cidr_blocks)."
  value       = module.vpc.vpc_cidr_block
}

output "service_discovery_namespace" {
  description = "Cloud Map namespace of the services (the second region's writer.service_discovery_namespace)."
  value       = module.ecs.service_discovery_namespace
}

output "service_discovery_zone_id" {
  description = "Its private hosted zone (the second region's peer.service_discovery_zone_id)."
  value       = module.ecs.service_discovery_zone_id
}

output "rds_instance_arn" {
  description = "RDS instance (the second region's writer.rds_instance_arn, which it replicates)."
  value       = module.rds.instance_arn
}

output "attachments_bucket_arn" {
  description = "Attachments bucket (the primary's attachments_replica.bucket_arn, in the second region)."
  value       = module.s3.attachments_bucket_arn
}

output "s3_kms_key_arn" {
  description = "KMS key of the attachments (the primary's attachments_replica.kms_key_arn, in the second region)."
  value       = module.iam.kms_key_arns["s3"]
}

output "peering_connection_id" {
  description = "Second region: the peering request the primary accepts (its peering_connection_id)."
  value       = module.peering.peering_connection_id
}
