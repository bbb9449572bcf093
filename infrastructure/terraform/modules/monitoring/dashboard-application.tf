# <name>-application: the services' own metrics (namespace metrics_namespace, dimension Service and one label), the
# Prometheus names they export (infrastructure/observability/metrics.yaml), as the collectors write them. Counters are
# per-minute increases (Sum), histograms give their mean (Average: EMF keeps count, sum, min and max), gauges their
# fleet total or worst value. The Grafana dashboard (docker/grafana/dashboards/chat-backend.json) shows the same
# signals with Prometheus's quantiles.

locals {
  ns = var.metrics_namespace

  # A series per Service (and label) as they appear: SEARCH over the dimension set of the metric.
  app_search = {
    for key, spec in {
      requests        = { dims = "Service", metric = "hb_requests_total", stat = "Sum" }
      requests_status = { dims = "Service,status", metric = "hb_requests_total", stat = "Sum" }
      duration        = { dims = "Service", metric = "hb_request_duration_seconds", stat = "Average" }
      stage           = { dims = "Service,stage", metric = "chat_stage_duration_seconds", stat = "Average" }
      closes          = { dims = "Service,code", metric = "chat_websocket_closes_total", stat = "Sum" }
      lag             = { dims = "Service", metric = "kafka_consumer_lag_records", stat = "Maximum" }
      redirects       = { dims = "Service,kind", metric = "redis_cluster_redirects_total", stat = "Sum" }
      retries         = { dims = "Service", metric = "redis_cluster_retries_total", stat = "Sum" }
      reloads         = { dims = "Service", metric = "redis_cluster_topology_reloads_total", stat = "Sum" }
      pushes          = { dims = "Service,outcome", metric = "notification_pushes_total", stat = "Sum" }
      rate_limited    = { dims = "Service,scope", metric = "gateway_rate_limited_total", stat = "Sum" }
      upstream_errors = { dims = "Service,service,kind", metric = "gateway_upstream_errors_total", stat = "Sum" }
    } : key => "SEARCH('{${local.ns},${spec.dims}} MetricName=\"${spec.metric}\"', '${spec.stat}', 60)"
  }

  application_widgets = [
    {
      type = "metric", x = 0, y = 0, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Requests per minute per service (hb_requests_total)"
        metrics = [[{ expression = local.app_search.requests, id = "requests", label = "" }]]
      })
    },
    {
      type = "metric", x = 8, y = 0, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Requests per minute by status (hb_requests_total)"
        metrics = [[{ expression = local.app_search.requests_status, id = "status", label = "" }]]
      })
    },
    {
      type = "metric", x = 16, y = 0, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Mean request duration per service, s (hb_request_duration_seconds)"
        metrics = [[{ expression = local.app_search.duration, id = "duration", label = "" }]]
      })
    },
    {
      type = "metric", x = 0, y = 6, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "chat: messages written per minute and mean writer batch"
        metrics = [
          [local.ns, "chat_messages_written_total", "Service", "chat", { stat = "Sum", label = "messages written" }],
          [local.ns, "chat_writer_batch_size", "Service", "chat", { stat = "Average", label = "mean batch size", yAxis = "right" }],
        ]
      })
    },
    {
      type = "metric", x = 8, y = 6, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title   = "chat: mean duration per write stage, s (seq allocation, DocumentDB, Kafka ack, PostgreSQL)"
        metrics = [[{ expression = local.app_search.stage, id = "stage", label = "" }]]
      })
    },
    {
      type = "metric", x = 16, y = 6, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "chat: mean ack latency and delivery lag, s"
        metrics = [
          [local.ns, "chat_ack_latency_seconds", "Service", "chat", { stat = "Average", label = "ack latency (send to ack)" }],
          [local.ns, "chat_delivery_lag_seconds", "Service", "chat", { stat = "Average", label = "delivery lag (Kafka to frame written)" }],
        ]
        annotations = { horizontal = [{ label = "delivery lag warning", value = var.delivery_lag_seconds }] }
      })
    },
    {
      type = "metric", x = 0, y = 12, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "chat fan-out: open WebSockets and outbox drops"
        metrics = [
          [local.ns, "chat_websockets_open", "Service", "chat", { stat = "Sum", label = "open WebSockets (all tasks)" }],
          [local.ns, "chat_outbox_dropped_frames_total", "Service", "chat", { stat = "Sum", label = "frames dropped (slow clients)", yAxis = "right" }],
        ]
      })
    },
    {
      type = "metric", x = 8, y = 12, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title   = "chat fan-out: WebSocket closes per minute by code (4008: outbox full)"
        metrics = [[{ expression = local.app_search.closes, id = "closes", label = "" }]]
      })
    },
    {
      type = "metric", x = 16, y = 12, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title       = "Kafka consumer lag, worst partition, records (kafka_consumer_lag_records)"
        metrics     = [[{ expression = local.app_search.lag, id = "lag", label = "" }]]
        annotations = { horizontal = [{ label = "page", value = var.consumer_lag_records }] }
      })
    },
    {
      type = "metric", x = 0, y = 18, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Redis client: MOVED and ASK redirects per minute"
        metrics = [[{ expression = local.app_search.redirects, id = "redirects", label = "" }]]
      })
    },
    {
      type = "metric", x = 8, y = 18, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "Redis client: retries and topology reloads per minute"
        metrics = [
          [{ expression = local.app_search.retries, id = "retries", label = "" }],
          [{ expression = local.app_search.reloads, id = "reloads", label = "" }],
        ]
      })
    },
    {
      type = "metric", x = 16, y = 18, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "notification: pushes per minute by outcome, and dead letters"
        metrics = [
          [{ expression = local.app_search.pushes, id = "pushes", label = "" }],
          [local.ns, "notification_dead_letters_total", "Service", "notification", { stat = "Sum", label = "dead letters", yAxis = "right" }],
        ]
        annotations = { horizontal = [{ label = "warning", value = var.dead_letters_per_5_minutes / 5, yAxis = "right" }] }
      })
    },
    {
      type = "metric", x = 0, y = 24, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "auth: password hashing queue and refusals"
        metrics = [
          [local.ns, "auth_password_hash_queue_depth", "Service", "auth", { stat = "Maximum", label = "queue depth (worst task)" }],
          [local.ns, "auth_password_hash_refusals_total", "Service", "auth", { stat = "Sum", label = "refusals per minute", yAxis = "right" }],
        ]
      })
    },
    {
      type = "metric", x = 8, y = 24, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title   = "api-gateway: rate-limit refusals per minute by scope"
        metrics = [[{ expression = local.app_search.rate_limited, id = "limited", label = "" }]]
      })
    },
    {
      type = "metric", x = 16, y = 24, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title   = "api-gateway: upstream errors per minute by service and kind"
        metrics = [[{ expression = local.app_search.upstream_errors, id = "upstream", label = "" }]]
      })
    },
  ]
}

resource "aws_cloudwatch_dashboard" "application" {
  dashboard_name = "${var.name}-application"
  dashboard_body = jsonencode({ widgets = local.application_widgets })
}
