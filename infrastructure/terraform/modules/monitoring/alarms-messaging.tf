# Messaging alarms from the services' own metrics (namespace metrics_namespace: the OpenTelemetry collectors' EMF of
# what the services export, infrastructure/observability/otel-collector.yaml, dimension Service):
#   consumer lag (critical)   kafka_consumer_lag_records, the worst partition of chat's fan-out (each instance reads
#                             in a group of its own, which MSK's per-group metrics cannot follow) and of notification
#   dead letters (warning)    notification_dead_letters_total grows: pushes failed every retry
#   delivery lag (warning)    chat_delivery_lag_seconds, Kafka timestamp to WebSocket frame written, on average

resource "aws_cloudwatch_metric_alarm" "service_consumer_lag" {
  for_each = toset(var.lag_services)

  alarm_name          = "${var.name}-${each.key}-consumer-lag"
  alarm_description   = "${each.key} lags more than ${var.consumer_lag_records} records behind on a partition for ten minutes (kafka_consumer_lag_records). ${local.runbook}consumer-lag"
  namespace           = var.metrics_namespace
  metric_name         = "kafka_consumer_lag_records"
  dimensions          = { Service = each.key }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.consumer_lag_records
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topics.critical]
  ok_actions          = [local.topics.critical]
  tags                = merge(var.tags, { Service = each.key })
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${var.name}-notification-dead-letters"
  alarm_description   = "More than ${var.dead_letters_per_5_minutes} pushes dead-lettered within five minutes (notification_dead_letters_total). ${local.runbook}dead-letters"
  namespace           = var.metrics_namespace
  metric_name         = "notification_dead_letters_total"
  dimensions          = { Service = "notification" }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.dead_letters_per_5_minutes
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topics.warning]
  ok_actions          = [local.topics.warning]
  tags                = merge(var.tags, { Service = "notification" })
}

resource "aws_cloudwatch_metric_alarm" "delivery_lag" {
  alarm_name          = "${var.name}-chat-delivery-lag"
  alarm_description   = "Messages reach open WebSockets more than ${var.delivery_lag_seconds} s after Kafka accepted them, on average, for ten minutes (chat_delivery_lag_seconds). ${local.runbook}delivery-lag"
  namespace           = var.metrics_namespace
  metric_name         = "chat_delivery_lag_seconds"
  dimensions          = { Service = "chat" }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.delivery_lag_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topics.warning]
  ok_actions          = [local.topics.warning]
  tags                = merge(var.tags, { Service = "chat" })
}
