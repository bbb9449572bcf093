# Alarms, each routed by priority (routing.tf): critical pages (PagerDuty, Slack, mail), warning goes to Slack.
#
# Rollback alarms (critical):
# - the public service (api-gateway, behind the ALB): 5xx rate above 1 %, p95 latency above 0.5 s (the target is
#   50 ms) and unhealthy targets, the alarms of its CodeDeploy deployment group. Each watches the blue and the green
#   target group together, so it judges whichever is live (or being shifted to). Every request passes the gateway,
#   which passes the services' 5xx on, so these are the API as clients see it.
# - the services behind it (no load balancer, rolling deployments): tasks missing for five minutes, plus the
#   gateway's 5xx rate and p95 latency. ECS rolls a deployment back when one of them fires during it.
# Every alarm's description names its runbook in docs/operations.md.

locals {
  # Services behind the ALB (target groups) and those only the gateway reaches.
  public_services   = toset(keys(var.target_group_arn_suffixes))
  internal_services = setsubtract(toset(var.services), local.public_services)
  runbook           = "Runbook: docs/operations.md#"
}

resource "aws_cloudwatch_metric_alarm" "error_rate" {
  for_each = local.public_services

  alarm_name          = "${var.name}-${each.key}-5xx-rate"
  alarm_description   = "More than ${var.error_rate_percent} % of ${each.key}'s answers are 5xx (two minutes of three). Rolls back a deployment. ${local.runbook}api-5xx-rate"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate_percent
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topics.critical]
  ok_actions          = [local.topics.critical]

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

  alarm_name          = "${var.name}-${each.key}-p95-latency"
  alarm_description   = "p95 response time of ${each.key} above ${var.latency_p95_seconds} s (three minutes of five; the target is 50 ms). Rolls back a deployment. ${local.runbook}api-latency"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.latency_p95_seconds
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topics.critical]
  ok_actions          = [local.topics.critical]

  dynamic "metric_query" {
    for_each = { for i, tg in var.target_group_arn_suffixes[each.key] : i => tg }
    content {
      id = "p95${metric_query.key}"
      metric {
        namespace   = "AWS/ApplicationELB"
        metric_name = "TargetResponseTime"
        dimensions  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = metric_query.value }
        period      = 60
        stat        = "p95"
      }
    }
  }

  metric_query {
    id          = "worst"
    label       = "p95 seconds (worse of blue and green)"
    expression  = "MAX([FILL(p950, 0), FILL(p951, 0)])"
    return_data = true
  }

  tags = merge(var.tags, { Service = each.key, Rollback = "true" })
}

resource "aws_cloudwatch_metric_alarm" "unhealthy" {
  for_each = local.public_services

  alarm_name          = "${var.name}-${each.key}-unhealthy-targets"
  alarm_description   = "A task of ${each.key} fails the ALB health check (GET /ready) for three minutes. Rolls back a deployment. ${local.runbook}unhealthy-targets"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topics.critical]
  ok_actions          = [local.topics.critical]

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
  alarm_description   = "Fewer tasks of ${each.key} run than desired for five minutes. Rolls back a deployment. ${local.runbook}tasks-missing"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topics.critical]
  ok_actions          = [local.topics.critical]

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

# ECS CPU and memory per service (warning): autoscaling keeps them at 70 % and 75 %; 85 % for 15 minutes means it is
# at its maximum or not keeping up.
resource "aws_cloudwatch_metric_alarm" "ecs_utilisation" {
  for_each = merge([for svc in var.services : {
    "${svc}-cpu"    = { service = svc, metric = "CPUUtilization", what = "CPU", runbook = "ecs-cpu" }
    "${svc}-memory" = { service = svc, metric = "MemoryUtilization", what = "memory", runbook = "ecs-memory" }
  }]...)

  alarm_name          = "${var.name}-${each.key}-high"
  alarm_description   = "${each.value.service}: average ${each.value.what} above ${var.ecs_utilisation_percent} % for 15 minutes. ${local.runbook}${each.value.runbook}"
  namespace           = "AWS/ECS"
  metric_name         = each.value.metric
  dimensions          = { ClusterName = var.ecs_cluster_name, ServiceName = each.value.service }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.ecs_utilisation_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topics.warning]
  ok_actions          = [local.topics.warning]
  tags                = merge(var.tags, { Service = each.value.service })
}

# ---------------------------------------------------------------------------------------------------------------
# Data stores (not rollback alarms): critical where writes fail or are about to, warning where capacity runs low
# ---------------------------------------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "rds" {
  for_each = {
    cpu = {
      metric = "CPUUtilization", stat = "Average", op = "GreaterThanThreshold", threshold = 80, tier = "warning"
      text   = "CPU above 80 % for 10 minutes"
    }
    storage = {
      metric = "FreeStorageSpace", stat = "Minimum", op = "LessThanThreshold", threshold = 10 * 1024 * 1024 * 1024, tier = "critical"
      text   = "less than 10 GiB of storage left (autoscaling may be at its limit)"
    }
    connections = {
      metric = "DatabaseConnections", stat = "Maximum", op = "GreaterThanThreshold", threshold = floor(var.rds_max_connections * 0.8), tier = "critical"
      text   = "connections above 80 % of max_connections"
    }
    memory = {
      metric = "FreeableMemory", stat = "Minimum", op = "LessThanThreshold", threshold = 256 * 1024 * 1024, tier = "warning"
      text   = "less than 256 MiB of freeable memory"
    }
  }

  alarm_name          = "${var.name}-rds-${each.key}"
  alarm_description   = "PostgreSQL ${var.rds_instance_identifier}: ${each.value.text}. ${local.runbook}postgresql"
  namespace           = "AWS/RDS"
  metric_name         = each.value.metric
  dimensions          = { DBInstanceIdentifier = var.rds_instance_identifier }
  statistic           = each.value.stat
  period              = 300
  evaluation_periods  = 2
  comparison_operator = each.value.op
  threshold           = each.value.threshold
  treat_missing_data  = "missing"
  alarm_actions       = [local.topics[each.value.tier]]
  ok_actions          = [local.topics[each.value.tier]]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "documentdb_cpu" {
  alarm_name          = "${var.name}-documentdb-cpu"
  alarm_description   = "DocumentDB ${var.documentdb_cluster_identifier}: CPU above 80 % for 10 minutes. ${local.runbook}documentdb"
  namespace           = "AWS/DocDB"
  metric_name         = "CPUUtilization"
  dimensions          = { DBClusterIdentifier = var.documentdb_cluster_identifier }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  alarm_actions       = [local.topics.warning]
  ok_actions          = [local.topics.warning]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "msk_disk" {
  count = var.msk_broker_count

  alarm_name          = "${var.name}-msk-broker-${count.index + 1}-disk"
  alarm_description   = "MSK broker ${count.index + 1}: data log disk above 80 %. ${local.runbook}kafka-disk"
  namespace           = "AWS/Kafka"
  metric_name         = "KafkaDataLogsDiskUsed"
  dimensions          = { "Cluster Name" = var.msk_cluster_name, "Broker ID" = tostring(count.index + 1) }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  alarm_actions       = [local.topics.critical]
  ok_actions          = [local.topics.critical]
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
  alarm_description   = "Consumer group ${each.value.group} is more than ${var.consumer_lag_messages} messages behind on ${each.value.topic} for 10 minutes. ${local.runbook}consumer-lag"
  namespace           = "AWS/Kafka"
  metric_name         = "SumOffsetLag"
  dimensions          = { "Cluster Name" = var.msk_cluster_name, "Consumer Group" = each.value.group, "Topic" = each.value.topic }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.consumer_lag_messages
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topics.critical]
  ok_actions          = [local.topics.critical]
  tags                = var.tags
}

# Redis gauges come from the nodes' CloudWatch agent (redis-node-init.sh's redis-metrics timer), one series per node.
resource "aws_cloudwatch_metric_alarm" "redis_memory" {
  for_each = { for i, id in var.redis_instance_ids : tostring(i) => id }

  alarm_name          = "${var.name}-redis-${each.key}-memory"
  alarm_description   = "Redis node ${each.key} (${each.value}) uses more than ${var.redis_memory_percent} % of maxmemory; writes fail at 100 % (noeviction). ${local.runbook}redis-memory"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.redis_memory_percent
  evaluation_periods  = 3
  treat_missing_data  = "breaching"
  alarm_actions       = [local.topics.critical]
  ok_actions          = [local.topics.critical]

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
  alarm_description   = "Redis node ${each.value.node} (${each.value.id}): ${each.value.text} for 3 minutes (or sends no metrics). ${local.runbook}redis-node"
  namespace           = var.redis_namespace
  metric_name         = each.value.metric
  dimensions          = { ClusterName = var.redis_cluster_name, Port = "6379", InstanceId = each.value.id }
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [local.topics.critical]
  ok_actions          = [local.topics.critical]
  tags                = var.tags
}
