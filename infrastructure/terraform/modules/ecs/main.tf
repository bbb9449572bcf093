# The Fargate cluster, service discovery, image repositories, log groups and the collectors' configuration. ALB in
# alb.tf, the services and their autoscaling in services.tf, blue/green deployments in codedeploy.tf, the WAF in waf.tf.

data "aws_region" "current" {}

locals {
  region = data.aws_region.current.region
}

resource "aws_cloudwatch_log_group" "exec" {
  name              = "/chat/${var.name}/ecs-exec"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enhanced"
  }

  configuration {
    execute_command_configuration {
      kms_key_id = var.logs_kms_key_arn
      logging    = "OVERRIDE"
      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = aws_cloudwatch_log_group.exec.name
      }
    }
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_cloudwatch_log_group" "service" {
  for_each = var.services

  name              = "/chat/${var.name}/ecs/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = merge(var.tags, { Service = each.key })
}

# Service-to-service calls (the gateway's CHAT_UPSTREAM_*) use Cloud Map names: http://<service>.<namespace>:<port>.
# DNS A records of the task IPs work with CodeDeploy blue/green, which Service Connect does not support.
resource "aws_service_discovery_private_dns_namespace" "this" {
  name        = var.service_discovery_namespace
  description = "Service discovery of ${var.name}"
  vpc         = var.vpc_id
  tags        = var.tags
}

resource "aws_service_discovery_service" "this" {
  for_each = var.services

  name = each.key

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.this.id
    routing_policy = "MULTIVALUE"
    dns_records {
      type = "A"
      ttl  = 10
    }
  }

  health_check_custom_config {
    failure_threshold = 1
  }

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_ecr_repository" "this" {
  for_each = var.services

  name                 = "${var.ecr_repository_prefix}/${each.key}"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.logs_kms_key_arn
  }

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each = var.services

  repository = aws_ecr_repository.this[each.key].name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the 100 newest images (rollbacks reach far enough back)"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 100
      }
      action = { type = "expire" }
    }]
  })
}

# The collectors' embedded-metric-format records, from which CloudWatch makes the Chat/Services metrics (the same group
# serves the EKS collectors). The records only carry the metrics, which CloudWatch keeps for 15 months.
resource "aws_cloudwatch_log_group" "metrics" {
  #checkov:skip=CKV_AWS_338:These records only carry the Chat/Services metrics, which CloudWatch keeps 15 months on its own; a year of raw records would double what the metrics cost.
  name              = "/chat/${var.name}/metrics"
  retention_in_days = var.metrics_log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

# infrastructure/observability/otel-collector.yaml, shared with the CloudFormation stack and the EKS sidecars; the
# collectors read it as AOT_CONFIG_CONTENT (SERVICE_NAME, METRICS_PORT and METRICS_LOG_GROUP come from their env).
resource "aws_ssm_parameter" "collector" {
  name        = "/chat/${var.name}/otel-collector-config"
  description = "AWS Distro for OpenTelemetry collector configuration of every task"
  type        = "SecureString"
  key_id      = var.logs_kms_key_arn
  tier        = "Advanced"
  value       = file(coalesce(var.collector_config_path, "${path.module}/../../../observability/otel-collector.yaml"))
  tags        = var.tags
}

# Images are built once, in the account and region of the release pipeline, and replicated to the other registries
# that run them (staging's account, the second region); their repositories above exist there already (same names).
resource "aws_ecr_replication_configuration" "this" {
  count = length(var.ecr_replication_destinations) > 0 ? 1 : 0

  replication_configuration {
    rule {
      dynamic "destination" {
        for_each = var.ecr_replication_destinations
        content {
          region      = destination.value.region
          registry_id = destination.value.registry_id
        }
      }
      repository_filter {
        filter      = var.ecr_repository_prefix
        filter_type = "PREFIX_MATCH"
      }
    }
  }
}

data "aws_caller_identity" "current" {}

# The receiving side: the building account may replicate into this registry's <prefix>/ repositories.
data "aws_iam_policy_document" "replication" {
  count = length(var.ecr_replication_source_accounts) > 0 ? 1 : 0

  statement {
    sid       = "ReplicationFromTheBuildingAccount"
    actions   = ["ecr:CreateRepository", "ecr:ReplicateImage"]
    resources = ["arn:aws:ecr:${local.region}:${data.aws_caller_identity.current.account_id}:repository/${var.ecr_repository_prefix}/*"]
    principals {
      type        = "AWS"
      identifiers = [for account in var.ecr_replication_source_accounts : "arn:aws:iam::${account}:root"]
    }
  }
}

resource "aws_ecr_registry_policy" "replication" {
  count = length(var.ecr_replication_source_accounts) > 0 ? 1 : 0

  policy = data.aws_iam_policy_document.replication[0].json
}
