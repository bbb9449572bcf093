output "rollback_alarm_names" {
  description = "Map of service to the alarms that stop and roll back its deployment (ecs module input): the gateway's blue/green deployment, the others' rolling ones."
  value = merge(
    { for svc in local.public_services : svc => [
      aws_cloudwatch_metric_alarm.error_rate[svc].alarm_name,
      aws_cloudwatch_metric_alarm.latency[svc].alarm_name,
      aws_cloudwatch_metric_alarm.unhealthy[svc].alarm_name,
    ] },
    { for svc in local.internal_services : svc => concat(
      [aws_cloudwatch_metric_alarm.tasks_missing[svc].alarm_name],
      [for public in local.public_services : aws_cloudwatch_metric_alarm.error_rate[public].alarm_name],
      [for public in local.public_services : aws_cloudwatch_metric_alarm.latency[public].alarm_name],
    ) },
  )
}

output "alarm_topic_arns" {
  description = "Map of priority (critical, warning) to the SNS topic its alarms notify."
  value       = local.topics
}

output "dashboard_names" {
  description = "The CloudWatch dashboards."
  value = [
    aws_cloudwatch_dashboard.services.dashboard_name,
    aws_cloudwatch_dashboard.application.dashboard_name,
    aws_cloudwatch_dashboard.datastores.dashboard_name,
    aws_cloudwatch_dashboard.messaging.dashboard_name,
  ]
}
