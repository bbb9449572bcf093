output "cluster_name" {
  description = "Name of the ECS cluster (CloudWatch dimension ClusterName)."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "alb_dns_name" {
  description = "DNS name of the ALB; point the API host name (alias record) at it."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Hosted zone of the ALB, for an alias record."
  value       = aws_lb.this.zone_id
}

output "alb_arn_suffix" {
  description = "ALB ARN suffix (CloudWatch dimension LoadBalancer)."
  value       = aws_lb.this.arn_suffix
}

output "target_group_arn_suffixes" {
  description = "Map of public service (the api-gateway, the ALB's only target) to the ARN suffixes of its blue and green target groups (CloudWatch dimension TargetGroup)."
  value = { for svc in local.public_services : svc => [
    aws_lb_target_group.this["${svc}-blue"].arn_suffix,
    aws_lb_target_group.this["${svc}-green"].arn_suffix,
  ] }
}

output "https_listener_arn" {
  description = "Production listener (CodeDeploy prod traffic route)."
  value       = aws_lb_listener.https.arn
}

output "test_listener_arn" {
  description = "Test listener on 8443 (CodeDeploy test traffic route)."
  value       = aws_lb_listener.test.arn
}

output "tasks_security_group_id" {
  description = "Security group of the tasks."
  value       = aws_security_group.tasks.id
}

output "service_names" {
  description = "Map of service to ECS service name (CloudWatch dimension ServiceName)."
  value       = { for svc, s in aws_ecs_service.this : svc => s.name }
}

output "task_definition_families" {
  description = "Map of service to task definition family."
  value       = { for svc, td in aws_ecs_task_definition.this : svc => td.family }
}

output "ecr_repository_urls" {
  description = "Map of service to ECR repository URL."
  value       = { for svc, repo in aws_ecr_repository.this : svc => repo.repository_url }
}

output "codedeploy_app_name" {
  description = "CodeDeploy application; the deployment group of the public service (api-gateway) is named after it."
  value       = aws_codedeploy_app.this.name
}

output "service_discovery_namespace" {
  description = "Private DNS namespace: <service>.<namespace> resolves to the tasks of a service."
  value       = aws_service_discovery_private_dns_namespace.this.name
}

output "waf_web_acl_arn" {
  description = "ARN of the ALB's web ACL."
  value       = aws_wafv2_web_acl.this.arn
}

output "metrics_log_group_name" {
  description = "Log group of the collectors' embedded-metric-format records (ECS and EKS), from which the Chat/Services metrics come."
  value       = aws_cloudwatch_log_group.metrics.name
}

output "collector_config_parameter" {
  description = "SSM parameter holding the collector configuration (AOT_CONFIG_CONTENT)."
  value       = aws_ssm_parameter.collector.name
}

output "service_discovery_zone_id" {
  description = "Private hosted zone of the Cloud Map namespace: the second region associates it with its VPC to resolve this region's service names."
  value       = aws_service_discovery_private_dns_namespace.this.hosted_zone
}
