variable "name" {
  description = "Name prefix of dashboards and alarms, e.g. chat-production."
  type        = string
}

variable "services" {
  description = "Service names (the services catalogue's keys)."
  type        = list(string)
}

variable "alb_arn_suffix" {
  description = "ALB ARN suffix (ecs module)."
  type        = string
}

variable "target_group_arn_suffixes" {
  description = "Map of public service (the api-gateway, behind the ALB) to its [blue, green] target group ARN suffixes (ecs module). The services without one are watched through ECS and through the gateway in front of them."
  type        = map(list(string))
}

variable "ecs_cluster_name" {
  description = "ECS cluster (ecs module)."
  type        = string
}

variable "rds_instance_identifier" {
  description = "RDS instance (rds module)."
  type        = string
}

variable "rds_max_connections" {
  description = "max_connections of the RDS parameter group; the connections alarm fires at 80 % of it."
  type        = number
}

variable "documentdb_cluster_identifier" {
  description = "DocumentDB cluster (documentdb module)."
  type        = string
}

variable "msk_cluster_name" {
  description = "MSK cluster (msk module)."
  type        = string
}

variable "msk_broker_count" {
  description = "Number of brokers (broker IDs 1..n)."
  type        = number
  default     = 3
}

variable "consumer_groups" {
  description = "Map of consumer group to the topics it reads (from the services catalogue's kafka_consume)."
  type        = map(list(string))
}

variable "redis_cluster_name" {
  description = "ClusterName dimension of the Redis gauges (the redis-ec2 module's name)."
  type        = string
}

variable "redis_instance_ids" {
  description = "Instance IDs of the six Redis nodes (redis-ec2 module)."
  type        = list(string)
}

variable "redis_namespace" {
  description = "CloudWatch namespace of the Redis gauges."
  type        = string
  default     = "Chat/Redis"
}

variable "error_rate_percent" {
  description = "Share of 5xx answers (percent of requests, per minute) that fails a deployment and pages."
  type        = number
  default     = 1
}

variable "min_requests_per_minute" {
  description = "Below this many requests a minute the error rate is not judged (one failure of two requests is not an outage)."
  type        = number
  default     = 20
}

variable "latency_p95_seconds" {
  description = "p95 target response time above which a deployment fails and the on-call is paged (the target is 50 ms)."
  type        = number
  default     = 0.5
}

variable "ecs_utilisation_percent" {
  description = "Average CPU or memory of a service (15 minutes) that raises a warning: autoscaling aims lower."
  type        = number
  default     = 85
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the services' own metrics (the collectors' EMF, dimension Service)."
  type        = string
  default     = "Chat/Services"
}

variable "lag_services" {
  description = "Services whose Kafka consumers report kafka_consumer_lag_records (chat's fan-out, notification)."
  type        = list(string)
  default     = ["chat", "notification"]
}

variable "consumer_lag_records" {
  description = "Records a service's consumer may lag behind on its worst partition for ten minutes before it pages."
  type        = number
  default     = 10000
}

variable "dead_letters_per_5_minutes" {
  description = "Pushes dead-lettered within five minutes that raise a warning."
  type        = number
  default     = 20
}

variable "delivery_lag_seconds" {
  description = "Average Kafka-to-WebSocket delivery time (chat_delivery_lag_seconds) that raises a warning."
  type        = number
  default     = 2
}

variable "consumer_lag_messages" {
  description = "Summed offset lag (MSK's SumOffsetLag) of a fixed consumer group on a topic that pages."
  type        = number
  default     = 10000
}

variable "redis_memory_percent" {
  description = "used_memory as a percentage of maxmemory that raises an alarm."
  type        = number
  default     = 85
}

variable "alarm_emails" {
  description = "Addresses subscribed to the critical topic (each confirms by mail)."
  type        = list(string)
  default     = []
}

variable "pagerduty_integration_urls" {
  description = "PagerDuty Amazon CloudWatch integration URLs (https://events.pagerduty.com/integration/<key>/enqueue) subscribed to the critical topic."
  type        = list(string)
  default     = []
}

variable "slack_team_id" {
  description = "Slack workspace (team) id authorised in AWS Chatbot; with slack_channel_id, both topics post to that channel. Empty for none."
  type        = string
  default     = ""
}

variable "slack_channel_id" {
  description = "Slack channel id of the alarms (both priorities)."
  type        = string
  default     = ""
}

variable "logs_kms_key_arn" {
  description = "KMS key of the alarm topic (iam module's logs key)."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
