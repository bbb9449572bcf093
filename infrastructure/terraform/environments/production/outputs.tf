# The platform's outputs under their own names (described in ../../platform/outputs.tf), for `terraform output`.

output "api_alb_dns_name" { value = module.platform.api_alb_dns_name }
output "web_distribution_domain_name" { value = module.platform.web_distribution_domain_name }
output "web_distribution_id" { value = module.platform.web_distribution_id }
output "ecr_repository_urls" { value = module.platform.ecr_repository_urls }
output "codedeploy_app_name" { value = module.platform.codedeploy_app_name }
output "ecs_cluster_name" { value = module.platform.ecs_cluster_name }
output "postgres_address" { value = module.platform.postgres_address }
output "postgres_bootstrap_sql" { value = module.platform.postgres_bootstrap_sql }
output "postgres_master_secret_arn" { value = module.platform.postgres_master_secret_arn }
output "mongo_uri_template" { value = module.platform.mongo_uri_template }
output "kafka_bootstrap_brokers" { value = module.platform.kafka_bootstrap_brokers }
output "redis_nodes" { value = module.platform.redis_nodes }
output "attachments_bucket" { value = module.platform.attachments_bucket }
output "static_assets_bucket" { value = module.platform.static_assets_bucket }
output "service_secret_arns" { value = module.platform.service_secret_arns }
output "internal_secret_arn" { value = module.platform.internal_secret_arn }
output "kafka_secret_arns" { value = module.platform.kafka_secret_arns }
output "redis_secret_arn" { value = module.platform.redis_secret_arn }
output "s3_user_names" { value = module.platform.s3_user_names }
output "task_role_arns" { value = module.platform.task_role_arns }
output "alarm_topic_arn" { value = module.platform.alarm_topic_arn }
output "dashboards" { value = module.platform.dashboards }
output "vpc_id" { value = module.platform.vpc_id }
output "private_subnet_ids" { value = module.platform.private_subnet_ids }
output "public_subnet_ids" { value = module.platform.public_subnet_ids }
