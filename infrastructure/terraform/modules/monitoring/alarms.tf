# Alarms. Rollback alarms:
# - the public service (api-gateway, behind the ALB): 5xx rate, p99 latency and unhealthy targets, the alarms of its
#   CodeDeploy deployment group. Each watches the blue and the green target group together, so it judges whichever
#   is live (or being shifted to).
# - the services behind it (no load balancer, rolling deployments): tasks missing for five minutes, plus the
#   gateway's 5xx rate and p99 latency, as every request reaches them through the gateway (it passes their 5xx on
#   and answers 502/504 when they fail). ECS rolls a deployment back when one of them fires during it.

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  alarm_actions = [aws_sns_topic.alarms.arn]
  # Services behind the ALB (target groups) and those only the gateway reaches.
  public_services   = toset(keys(var.target_group_arn_suffixes))
  internal_services = setsubtract(toset(var.services), local.public_services)
}

resource "aws_cloudwatch_metric_alarm" "error_rate" {
  for_each = local.public_services

  alarm_name          = "${var.name}-${each.key}-5xx-rate"
  alarm_description   = "More than ${var.error_rate_percent} % of ${each.key}'s answers are 5xx (two minutes of three). Rolls back a deployment."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate_percent
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dynamic "metric_query" {
    for_each = { for i, tg in var.target_group_arn_suffixes[each.key] : i => tg }
    content {
      id = "errors${metric_query.key}"
      metric {
        namespace   = "AWS/ApplicationELB"
        metric_name = "HTTPCode_Target_5XX_Count"
        dimensions  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = metric_query.value }
        period      = 60
        stat        = "Sum"
      }
    }
  }

  dynamic "metric_query" {
    for_each = { for i, tg in var.target_group_arn_suffixes[each.key] : i => tg }
    content {
      id = "requests${metric_query.key}"
      metric {
        namespace   = "AWS/ApplicationELB"
        metric_name = "RequestCount"
        dimensions  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = metric_query.value }
        period      = 60
        stat        = "Sum"
      }
    }
  }

  metric_query {
    id          = "rate"
    label       = "5xx %"
    expression  = "IF((FILL(requests0, 0) + FILL(requests1, 0)) >= ${var.min_requests_per_minute}, 100 * (FILL(errors0, 0) + FILL(errors1, 0)) / (FILL(requests0, 0) + FILL(requests1, 0)), 0)"
    return_data = true
  }

  tags = merge(var.tags, { Service = each.key, Rollback = "true" })
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  for_each = local.public_services

  alarm_name          = "${var.name}-${each.key}-p99-latency"
  alarm_description   = "p99 response time of ${each.key} above ${var.latency_p99_seconds} s (three minutes of five). Rolls back a deployment."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.latency_p99_seconds
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dynamic "metric_query" {
    for_each = { for i, tg in var.target_group_arn_suffixes[each.key] : i => tg }
    content {
      id = "p99${metric_query.key}"
      metric {
        namespace   = "AWS/ApplicationELB"
        metric_name = "TargetResponseTime"
        dimensions  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = metric_query.value }
        period      = 60
        stat        = "p99"
      }
    }
  }

  metric_query {
    id          = "worst"
    label       = "p99 seconds (worse of blue and green)"
    expression  = "MAX([FILL(p990, 0), FILL(p991, 0)])"
    return_data = true
  }

  tags = merge(var.tags, { Service = each.key, Rollback = "true" })
}

resource "aws_cloudwatch_metric_alarm" "unhealthy" {
  for_each = local.public_services

  alarm_name          = "${var.name}-${each.key}-unhealthy-targets"
  alarm_description   = "A task of ${each.key} fails the ALB health check (GET /health) for three minutes. Rolls back a deployment."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dynamic "metric_query" {
    for_each = { for i, tg in var.target_group_arn_suffixes[each.key] : i => tg }
    content {
      id = "unhealthy${metric_query.key}"
      metric {
        namespace   = "AWS/ApplicationELB"
        metric_name = "UnHealthyHostCount"
        dimensions  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = metric_query.value }
        period      = 60
        stat        = "Maximum"
      }
    }
  }

  metric_query {
    id          = "worst"
    label       = "unhealthy targets"
    expression  = "MAX([FILL(unhealthy0, 0), FILL(unhealthy1, 0)])"
    return_data = true
  }

  tags = merge(var.tags, { Service = each.key, Rollback = "true" })
}

# Container Insights: DesiredTaskCount and RunningTaskCount per service. A rolling deployment whose new tasks fail to
# start or to pass their health check leaves the service short of tasks (the circuit breaker catches repeated
# failures too; this also catches tasks that start and then die).
resource "aws_cloudwatch_metric_alarm" "tasks_missing" {
  for_each = local.internal_services

  alarm_name          = "${var.name}-${each.key}-tasks-missing"
  alarm_description   = "Fewer tasks of ${each.key} run than desired for five minutes. Rolls back a deployment."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id = "desired"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "DesiredTaskCount"
      dimensions  = { ClusterName = var.ecs_cluster_name, ServiceName = each.key }
      period      = 60
      stat        = "Minimum"
    }
  }

  metric_query {
    id = "running"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "RunningTaskCount"
      dimensions  = { ClusterName = var.ecs_cluster_name, ServiceName = each.key }
      period      = 60
      stat        = "Minimum"
    }
  }

  metric_query {
    id          = "missing"
    label       = "tasks missing"
    expression  = "FILL(desired, 0) - FILL(running, 0)"
    return_data = true
  }

  tags = merge(var.tags, { Service = each.key, Rollback = "true" })
}

# ---------------------------------------------------------------------------------------------------------------
# Data stores (page the on-call; not rollback alarms)
# ---------------------------------------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "rds" {
  for_each = {
    cpu = {
      metric = "CPUUtilization", stat = "Average", op = "GreaterThanThreshold", threshold = 80
      text   = "CPU above 80 % for 10 minutes"
    }
    storage = {
      metric = "FreeStorageSpace", stat = "Minimum", op = "LessThanThreshold", threshold = 10 * 1024 * 1024 * 1024
      text   = "less than 10 GiB of storage left (autoscaling may be at its limit)"
    }
    connections = {
      metric = "DatabaseConnections", stat = "Maximum", op = "GreaterThanThreshold", threshold = floor(var.rds_max_connections * 0.8)
      text   = "connections above 80 % of max_connections"
    }
    memory = {
      metric = "FreeableMemory", stat = "Minimum", op = "LessThanThreshold", threshold = 256 * 1024 * 1024
      text   = "less than 256 MiB of freeable memory"
    }
  }

  alarm_name          = "${var.name}-rds-${each.key}"
  alarm_description   = "PostgreSQL ${var.rds_instance_identifier}: ${each.value.text}."
  namespace           = "AWS/RDS"
  metric_name         = each.value.metric
  dimensions          = { DBInstanceIdentifier = var.rds_instance_identifier }
  statistic           = each.value.stat
  period              = 300
  evaluation_periods  = 2
  comparison_operator = each.value.op
  threshold           = each.value.threshold
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "documentdb_cpu" {
  alarm_name          = "${var.name}-documentdb-cpu"
  alarm_description   = "DocumentDB ${var.documentdb_cluster_identifier}: CPU above 80 % for 10 minutes."
  namespace           = "AWS/DocDB"
  metric_name         = "CPUUtilization"
  dimensions          = { DBClusterIdentifier = var.documentdb_cluster_identifier }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "msk_disk" {
  count = var.msk_broker_count

  alarm_name          = "${var.name}-msk-broker-${count.index + 1}-disk"
  alarm_description   = "MSK broker ${count.index + 1}: data log disk above 80 %."
  namespace           = "AWS/Kafka"
  metric_name         = "KafkaDataLogsDiskUsed"
  dimensions          = { "Cluster Name" = var.msk_cluster_name, "Broker ID" = tostring(count.index + 1) }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

locals {
  group_topics = merge([for group, topics in var.consumer_groups : {
    for topic in topics : "${group}/${topic}" => { group = group, topic = topic }
  }]...)
}

resource "aws_cloudwatch_metric_alarm" "consumer_lag" {
  for_each = local.group_topics

  alarm_name          = "${var.name}-lag-${replace(each.key, "/", "-")}"
  alarm_description   = "Consumer group ${each.value.group} is more than ${var.consumer_lag_messages} messages behind on ${each.value.topic} for 10 minutes."
  namespace           = "AWS/Kafka"
  metric_name         = "SumOffsetLag"
  dimensions          = { "Cluster Name" = var.msk_cluster_name, "Consumer Group" = each.value.group, "Topic" = each.value.topic }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.consumer_lag_messages
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# Redis gauges come from the nodes' CloudWatch agent (redis-node-init.sh's redis-metrics timer), one series per node.
resource "aws_cloudwatch_metric_alarm" "redis_memory" {
  for_each = { for i, id in var.redis_instance_ids : tostring(i) => id }

  alarm_name          = "${var.name}-redis-${each.key}-memory"
  alarm_description   = "Redis node ${each.key} (${each.value}) uses more than ${var.redis_memory_percent} % of maxmemory; writes fail at 100 % (noeviction)."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.redis_memory_percent
  evaluation_periods  = 3
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id = "used"
    metric {
      namespace   = var.redis_namespace
      metric_name = "redis_used_memory_bytes"
      dimensions  = { ClusterName = var.redis_cluster_name, Port = "6379", InstanceId = each.value }
      period      = 60
      stat        = "Maximum"
    }
  }

  metric_query {
    id = "max"
    metric {
      namespace   = var.redis_namespace
      metric_name = "redis_maxmemory_bytes"
      dimensions  = { ClusterName = var.redis_cluster_name, Port = "6379", InstanceId = each.value }
      period      = 60
      stat        = "Maximum"
    }
  }

  metric_query {
    id          = "percent"
    label       = "used_memory % of maxmemory"
    expression  = "IF(max > 0, 100 * used / max, 0)"
    return_data = true
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "redis_health" {
  for_each = merge([for i, id in var.redis_instance_ids : {
    "${i}-replication" = { id = id, node = i, metric = "redis_master_link_up", text = "its replication link to its master is down" }
    "${i}-cluster"     = { id = id, node = i, metric = "redis_cluster_state_ok", text = "it reports cluster_state other than ok" }
  }]...)

  alarm_name          = "${var.name}-redis-${each.key}"
  alarm_description   = "Redis node ${each.value.node} (${each.value.id}): ${each.value.text} for 3 minutes (or sends no metrics)."
  namespace           = var.redis_namespace
  metric_name         = each.value.metric
  dimensions          = { ClusterName = var.redis_cluster_name, Port = "6379", InstanceId = each.value.id }
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}
