variable "name" {
  description = "Name prefix, e.g. chat-production."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR of the VPC: the tasks may reach the data stores in it."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the ALB."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Subnets of the tasks."
  type        = list(string)
}

variable "services" {
  description = "The services catalogue (services module output). Exactly one service is public (the api-gateway): the ALB forwards every request to it; the others are reachable only inside the VPC through Cloud Map."
  type = map(object({
    port          = number
    database      = string
    kafka_produce = list(string)
    kafka_consume = list(string)
    s3_prefixes   = list(string)
    public        = bool
  }))
}

variable "service_discovery_namespace" {
  description = "Private DNS namespace of the services (e.g. chat-production.internal): <service>.<namespace> resolves to its tasks. Passed in because the gateway's upstream URLs, which the task definitions carry, are built from it."
  type        = string
}

variable "service_sizes" {
  description = "Per service: task cpu units and memory (MiB), and the autoscaling range (desired_count is the initial count)."
  type = map(object({
    cpu           = number
    memory        = number
    desired_count = number
    min_count     = number
    max_count     = number
  }))
}

variable "cpu_target_percent" {
  description = "Average CPU utilisation the autoscaling keeps each service at."
  type        = number
  default     = 70
}

variable "memory_target_percent" {
  description = "Average memory utilisation the autoscaling keeps each service at (chat's grows with its WebSockets)."
  type        = number
  default     = 75
}

variable "off_hours" {
  description = "Scheduled scaling out of hours (staging): at start (an Application Auto Scaling cron expression) every service goes to count tasks, at end back to its min_count/max_count; null for none (production)."
  type = object({
    start    = string
    end      = string
    timezone = string
    count    = number
  })
  default = null
}

variable "admin_ports" {
  description = "Map of service to its admin listener's port (the api-gateway's 9090: /metrics and the detailed /ready), reachable from other tasks only; the collector scrapes it instead of the service port."
  type        = map(number)
  default     = {}
}

variable "redis_ca_secret_arn" {
  description = "Secret with JSON key ca_pem, the CA of the Redis nodes' certificates (iam module); each task's redis-ca container writes it to redis_ca_directory/ca.pem."
  type        = string
}

variable "redis_ca_directory" {
  description = "Folder of the Redis CA file in every service container (CHAT_REDIS_TLS_CA_FILE is <this>/ca.pem)."
  type        = string
  default     = "/run/chat/redis-ca"
}

variable "collector_image" {
  description = "AWS Distro for OpenTelemetry collector image beside every service; a pinned tag, upgraded deliberately."
  type        = string
  default     = "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0"
}

variable "collector_config_path" {
  description = "The collector configuration; null for infrastructure/observability/otel-collector.yaml."
  type        = string
  default     = null
}

variable "metrics_log_retention_days" {
  description = "Days the collectors' embedded-metric-format records stay (the metrics themselves stay 15 months)."
  type        = number
  default     = 7
}

variable "peer_cidr_blocks" {
  description = "VPC CIDRs of the peered region (two regions): admitted to the service ports, and reachable on the data stores' and services' ports."
  type        = list(string)
  default     = []
}

variable "certificate_arn" {
  description = "ACM certificate of the public API host name, used by the HTTPS listeners."
  type        = string
}

variable "ssl_policy" {
  description = "TLS policy of the listeners: TLS 1.3 and 1.2 with forward-secret ciphers only."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
}

variable "test_listener_cidrs" {
  description = "Networks allowed on the test listener (port 8443), which serves the replacement (green) tasks during a blue/green deployment. The ALB is internet-facing, so traffic from inside the VPC arrives from the NAT gateways' addresses; empty closes the port."
  type        = list(string)
  default     = []
}

variable "idle_timeout_seconds" {
  description = "ALB idle timeout; WebSocket clients (through the gateway) must send a ping more often than this."
  type        = number
  default     = 300

  validation {
    condition     = var.idle_timeout_seconds >= 300 && var.idle_timeout_seconds <= 4000
    error_message = "WebSocket connections pass the ALB: keep its idle timeout between 300 and 4000 seconds."
  }
}

variable "alb_deletion_protection" {
  description = "Refuse deletion of the ALB."
  type        = bool
  default     = true
}

variable "logs_bucket_name" {
  description = "Bucket receiving the ALB access logs (prefix alb/)."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key of the log groups (tasks, ECS Exec, WAF) and of the ECR repositories."
  type        = string
}

variable "log_retention_days" {
  description = "Days the task and WAF logs stay in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "ecr_repository_prefix" {
  description = "ECR repositories are <prefix>/<service>."
  type        = string
}

variable "ecr_replication_destinations" {
  description = "Registries (account id and region) every image pushed here is copied to: set where the release pipeline builds."
  type = list(object({
    region      = string
    registry_id = string
  }))
  default = []
}

variable "ecr_replication_source_accounts" {
  description = "Accounts whose registries may replicate images into this one (the release pipeline's account), when it is another."
  type        = list(string)
  default     = []
}

variable "image_tag" {
  description = "Image tag of the first task definitions; later releases register their own revisions through CodeDeploy."
  type        = string
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64, matching the images the build produces."
  type        = string
  default     = "X86_64"
}

variable "roles" {
  description = "Map of service to { task, execution } role ARNs (iam module outputs)."
  type = map(object({
    task      = string
    execution = string
  }))
}

variable "environment" {
  description = "CHAT_ variables common to every service (non-secret). CHAT_HTTP_HOST and CHAT_HTTP_PORT are added per service."
  type        = map(string)
  default     = {}
}

variable "service_environment" {
  description = "Extra CHAT_ variables per service, e.g. the gateway's CHAT_UPSTREAM_*."
  type        = map(map(string))
  default     = {}
}

variable "service_secrets" {
  description = "Per service, map of variable name to Secrets Manager reference (ARN, optionally :json-key::) injected at start."
  type        = map(map(string))
  default     = {}
}

variable "enable_execute_command" {
  description = "Allow ECS Exec into running tasks (sessions are logged, encrypted)."
  type        = bool
  default     = false
}

variable "deployment_config_name" {
  description = "CodeDeploy traffic shifting, e.g. CodeDeployDefault.ECSCanary10Percent5Minutes or CodeDeployDefault.ECSAllAtOnce."
  type        = string
  default     = "CodeDeployDefault.ECSCanary10Percent5Minutes"
}

variable "smoke_test_wait_minutes" {
  description = "How long a gateway deployment waits on the test listener for the smoke test to continue it; then it stops and rolls back."
  type        = number
  default     = 60
}

variable "rollback_alarm_names" {
  description = "Map of service to CloudWatch alarm names that stop and roll back its deployment (monitoring module output): the CodeDeploy deployment group's alarms for the gateway, the ECS deployment alarms of the rolling services."
  type        = map(list(string))
  default     = {}
}

variable "waf_rate_limit" {
  description = "Requests per client IP per 5 minutes above which the WAF blocks (WebSocket frames do not count: only the upgrade request does)."
  type        = number
  default     = 2000
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
