output "rollback_alarm_names" {
  description = "Map of service to the alarms that stop and roll back its blue/green deployment (ecs module input)."
  value = { for svc in var.services : svc => [
    aws_cloudwatch_metric_alarm.error_rate[svc].alarm_name,
    aws_cloudwatch_metric_alarm.latency[svc].alarm_name,
    aws_cloudwatch_metric_alarm.unhealthy[svc].alarm_name,
  ] }
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies (subscribe the on-call tooling to it)."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_names" {
  description = "The CloudWatch dashboards."
  value = [
    aws_cloudwatch_dashboard.services.dashboard_name,
    aws_cloudwatch_dashboard.datastores.dashboard_name,
    aws_cloudwatch_dashboard.messaging.dashboard_name,
  ]
}
