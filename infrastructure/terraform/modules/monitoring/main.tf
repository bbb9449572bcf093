# Four dashboards:
#   <name>-services     service health, API latency, error rates (ALB per target group, ECS tasks)
#   <name>-application  what the services export themselves (dashboard-application.tf): requests, the chat hot path,
#                       fan-out, Redis client, pushes, hashing, rate limits; the same signals as the Grafana dashboard
#   <name>-datastores   PostgreSQL (RDS), DocumentDB, Redis memory and replication
#   <name>-messaging    MSK broker throughput and consumer lag
# Widgets use SEARCH expressions where series come and go (blue/green target groups, brokers, consumer groups).

data "aws_region" "current" {}

locals {
  region = data.aws_region.current.region

  tg_search = "{AWS/ApplicationELB,LoadBalancer,TargetGroup} LoadBalancer=\"${var.alb_arn_suffix}\""

  widget_defaults = { region = local.region, view = "timeSeries", stacked = false, period = 60 }

  # Per service: hidden 5xx and request counts of both target groups, and the visible percentage. (concat with
  # expansion, not flatten: flatten would also flatten each metric array.)
  error_rate_metrics = concat([for svc in keys(var.target_group_arn_suffixes) : concat(
    concat([for i, tg in var.target_group_arn_suffixes[svc] : [
      ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", var.alb_arn_suffix, "TargetGroup", tg,
      { id = "e${i}_${replace(svc, "-", "_")}", stat = "Sum", visible = false }],
      ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", var.alb_arn_suffix, "TargetGroup", tg,
      { id = "r${i}_${replace(svc, "-", "_")}", stat = "Sum", visible = false }],
    ]]...),
    [[{
      expression = "100 * (FILL(e0_${replace(svc, "-", "_")}, 0) + FILL(e1_${replace(svc, "-", "_")}, 0)) / (FILL(r0_${replace(svc, "-", "_")}, 0) + FILL(r1_${replace(svc, "-", "_")}, 0))"
      id         = "rate_${replace(svc, "-", "_")}"
      label      = svc
    }]],
  )]...)

  services_widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Service health: healthy targets per target group"
        metrics = [[{ expression = "SEARCH('${local.tg_search} MetricName=\"HealthyHostCount\"', 'Minimum', 60)", id = "healthy", label = "" }]]
      })
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title = "Service health: running tasks"
        metrics = [for svc in var.services : [
          "ECS/ContainerInsights", "RunningTaskCount", "ClusterName", var.ecs_cluster_name, "ServiceName", svc, { label = svc }
        ]]
      })
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title       = "API latency: p95 target response time (s); target 0.05"
        metrics     = [[{ expression = "SEARCH('${local.tg_search} MetricName=\"TargetResponseTime\"', 'p95', 60)", id = "p95", label = "" }]]
        annotations = { horizontal = [{ label = "page and roll back", value = var.latency_p95_seconds }, { label = "target", value = 0.05 }] }
      })
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title   = "API latency: p50 target response time (s)"
        metrics = [[{ expression = "SEARCH('${local.tg_search} MetricName=\"TargetResponseTime\"', 'p50', 60)", id = "p50", label = "" }]]
      })
    },
    {
      type = "metric", x = 0, y = 12, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title       = "Error rates: 5xx % per service (blue and green together)"
        metrics     = local.error_rate_metrics
        annotations = { horizontal = [{ label = "rollback threshold", value = var.error_rate_percent }] }
      })
    },
    {
      type = "metric", x = 12, y = 12, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title = "Error rates: ALB-generated 5xx, target 4xx and 5xx (count)"
        metrics = [
          ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", var.alb_arn_suffix, { stat = "Sum", label = "ALB 5xx" }],
          ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", var.alb_arn_suffix, { stat = "Sum", label = "target 5xx" }],
          ["AWS/ApplicationELB", "HTTPCode_Target_4XX_Count", "LoadBalancer", var.alb_arn_suffix, { stat = "Sum", label = "target 4xx" }],
          ["AWS/ApplicationELB", "RejectedConnectionCount", "LoadBalancer", var.alb_arn_suffix, { stat = "Sum", label = "rejected connections" }],
        ]
      })
    },
    {
      type = "metric", x = 0, y = 18, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title = "Tasks: CPU and memory utilisation % (autoscaling targets 70 % and 75 %)"
        metrics = concat(
          [for svc in var.services : ["AWS/ECS", "CPUUtilization", "ClusterName", var.ecs_cluster_name, "ServiceName", svc, { label = "${svc} CPU" }]],
          [for svc in var.services : ["AWS/ECS", "MemoryUtilization", "ClusterName", var.ecs_cluster_name, "ServiceName", svc, { label = "${svc} memory" }]],
        )
        annotations = { horizontal = [{ label = "warning", value = var.ecs_utilisation_percent }] }
      })
    },
    {
      type = "metric", x = 12, y = 18, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title = "Traffic: requests and active connections"
        metrics = [
          ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", var.alb_arn_suffix, { stat = "Sum", label = "requests" }],
          ["AWS/ApplicationELB", "ActiveConnectionCount", "LoadBalancer", var.alb_arn_suffix, { stat = "Sum", label = "active connections (WebSockets)" }],
        ]
      })
    },
  ]

  redis_search = "{${var.redis_namespace},ClusterName,InstanceId,Port} ClusterName=\"${var.redis_cluster_name}\""

  datastores_widgets = [
    {
      type = "metric", x = 0, y = 0, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "PostgreSQL: CPU % and connections"
        metrics = [
          ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", var.rds_instance_identifier, { label = "CPU %" }],
          ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", var.rds_instance_identifier, { label = "connections", yAxis = "right" }],
        ]
      })
    },
    {
      type = "metric", x = 8, y = 0, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "PostgreSQL: read and write latency (s)"
        metrics = [
          ["AWS/RDS", "ReadLatency", "DBInstanceIdentifier", var.rds_instance_identifier, { label = "read" }],
          ["AWS/RDS", "WriteLatency", "DBInstanceIdentifier", var.rds_instance_identifier, { label = "write" }],
        ]
      })
    },
    {
      type = "metric", x = 16, y = 0, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "PostgreSQL: free storage and memory (bytes)"
        metrics = [
          ["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", var.rds_instance_identifier, { label = "free storage" }],
          ["AWS/RDS", "FreeableMemory", "DBInstanceIdentifier", var.rds_instance_identifier, { label = "freeable memory" }],
        ]
      })
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title = "DocumentDB: CPU % and connections"
        metrics = [
          ["AWS/DocDB", "CPUUtilization", "DBClusterIdentifier", var.documentdb_cluster_identifier, { label = "CPU %" }],
          ["AWS/DocDB", "DatabaseConnections", "DBClusterIdentifier", var.documentdb_cluster_identifier, { label = "connections", yAxis = "right" }],
        ]
      })
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title = "DocumentDB: operations per second"
        metrics = [for op in ["OpcountersInsert", "OpcountersQuery", "OpcountersUpdate", "OpcountersDelete"] : [
          "AWS/DocDB", op, "DBClusterIdentifier", var.documentdb_cluster_identifier, { stat = "Sum", label = op }
        ]]
      })
    },
    {
      type = "metric", x = 0, y = 12, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Redis: used memory per node (bytes)"
        metrics = [[{ expression = "SEARCH('${local.redis_search} MetricName=\"redis_used_memory_bytes\"', 'Maximum', 60)", id = "used", label = "" }]]
      })
    },
    {
      type = "metric", x = 12, y = 12, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Redis: memory fragmentation ratio"
        metrics = [[{ expression = "SEARCH('${local.redis_search} MetricName=\"redis_mem_fragmentation_ratio\"', 'Maximum', 60)", id = "frag", label = "" }]]
      })
    },
    {
      type = "metric", x = 0, y = 18, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Redis replication: replica link up (1) per node"
        metrics = [[{ expression = "SEARCH('${local.redis_search} MetricName=\"redis_master_link_up\"', 'Minimum', 60)", id = "link", label = "" }]]
      })
    },
    {
      type = "metric", x = 8, y = 18, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Redis replication: connected replicas per node (masters have 1)"
        metrics = [[{ expression = "SEARCH('${local.redis_search} MetricName=\"redis_connected_replicas\"', 'Minimum', 60)", id = "replicas", label = "" }]]
      })
    },
    {
      type = "metric", x = 16, y = 18, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "Redis: cluster_state ok (1) and masters per node"
        metrics = [
          [{ expression = "SEARCH('${local.redis_search} MetricName=\"redis_cluster_state_ok\"', 'Minimum', 60)", id = "state", label = "" }],
          [{ expression = "SUM(SEARCH('${local.redis_search} MetricName=\"redis_is_master\"', 'Maximum', 60))", id = "masters", label = "masters (expect 3)" }],
        ]
      })
    },
  ]

  msk_search = "{AWS/Kafka,\"Broker ID\",\"Cluster Name\"} \"Cluster Name\"=\"${var.msk_cluster_name}\""
  lag_search = "{AWS/Kafka,\"Cluster Name\",\"Consumer Group\",Topic} \"Cluster Name\"=\"${var.msk_cluster_name}\""

  messaging_widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Brokers: bytes in per second"
        metrics = [[{ expression = "SEARCH('${local.msk_search} MetricName=\"BytesInPerSec\"', 'Average', 60)", id = "bin", label = "" }]]
      })
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Brokers: bytes out per second"
        metrics = [[{ expression = "SEARCH('${local.msk_search} MetricName=\"BytesOutPerSec\"', 'Average', 60)", id = "bout", label = "" }]]
      })
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Brokers: messages in per second"
        metrics = [[{ expression = "SEARCH('${local.msk_search} MetricName=\"MessagesInPerSec\"', 'Average', 60)", id = "msgs", label = "" }]]
      })
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Brokers: data disk used %"
        metrics = [[{ expression = "SEARCH('${local.msk_search} MetricName=\"KafkaDataLogsDiskUsed\"', 'Maximum', 60)", id = "disk", label = "" }]]
      })
    },
    {
      type = "metric", x = 0, y = 12, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title       = "Consumer lag: summed offset lag per group and topic"
        metrics     = [[{ expression = "SEARCH('${local.lag_search} MetricName=\"SumOffsetLag\"', 'Maximum', 60)", id = "lag", label = "" }]]
        annotations = { horizontal = [{ label = "alarm", value = var.consumer_lag_messages }] }
      })
    },
    {
      type = "metric", x = 12, y = 12, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Consumer lag: estimated time behind (s)"
        metrics = [[{ expression = "SEARCH('${local.lag_search} MetricName=\"EstimatedMaxTimeLag\"', 'Maximum', 60)", id = "tlag", label = "" }]]
      })
    },
  ]
}

resource "aws_cloudwatch_dashboard" "services" {
  dashboard_name = "${var.name}-services"
  dashboard_body = jsonencode({ widgets = local.services_widgets })
}

resource "aws_cloudwatch_dashboard" "datastores" {
  dashboard_name = "${var.name}-datastores"
  dashboard_body = jsonencode({ widgets = local.datastores_widgets })
}

resource "aws_cloudwatch_dashboard" "messaging" {
  dashboard_name = "${var.name}-messaging"
  dashboard_body = jsonencode({ widgets = local.messaging_widgets })
}
