output "health_check_id" {
  description = "Route 53 health check of this region's gateway (CloudWatch metric HealthCheckStatus, in us-east-1)."
  value       = aws_route53_health_check.gateway.id
}

output "regional_fqdn" {
  description = "This region's own host name."
  value       = aws_route53_record.regional.fqdn
}
