# Per service two roles, both assumable only by ECS tasks (and, with eks_oidc_provider_arn, by the service's own
# Kubernetes service account):
#   execution role  what ECS needs to start the task: pull the service's image, write its log group, read its
#                   own secrets and the shared internal secret to inject them as environment variables
#   task role       what the running code may do: objects below its own prefixes in the attachments bucket,
#                   Kafka topics it produces to or consumes from (when clients authenticate to MSK with IAM); and
#                   what the OpenTelemetry collector beside it does with the same role: traces to X-Ray (exactly
#                   the five actions its exporter and sampler use), metrics to the /chat/<name>/metrics log group
# Names of buckets, clusters, repositories and log groups are derived, not read from other modules, so this
# module is applied first and the data stores can use its keys.

locals {
  attachments_arn   = "arn:${local.partition}:s3:::${var.attachments_bucket_name}"
  metrics_log_group = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/chat/${var.name}/metrics"
  collector_config  = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/chat/${var.name}/otel-collector-config"
  kafka_base        = "arn:${local.partition}:kafka:${local.region}:${local.account_id}"
  oidc_issuer       = var.eks_oidc_provider_arn == "" ? "" : element(split("oidc-provider/", var.eks_oidc_provider_arn), 1)
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "task_assume" {
  for_each = var.services

  source_policy_documents = [data.aws_iam_policy_document.ecs_tasks_assume.json]

  dynamic "statement" {
    for_each = var.eks_oidc_provider_arn == "" ? [] : [1]
    content {
      actions = ["sts:AssumeRoleWithWebIdentity"]
      principals {
        type        = "Federated"
        identifiers = [var.eks_oidc_provider_arn]
      }
      condition {
        test     = "StringEquals"
        variable = "${local.oidc_issuer}:sub"
        values   = ["system:serviceaccount:${var.eks_namespace}:${each.key}"]
      }
      condition {
        test     = "StringEquals"
        variable = "${local.oidc_issuer}:aud"
        values   = ["sts.amazonaws.com"]
      }
    }
  }
}

# ---------------------------------------------------------------------------------------------------------------
# Execution roles
# ---------------------------------------------------------------------------------------------------------------

resource "aws_iam_role" "execution" {
  for_each = var.services

  name               = "${var.name}-${each.key}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = merge(var.tags, { Service = each.key })
}

data "aws_iam_policy_document" "execution" {
  for_each = var.services

  statement {
    sid = "PullOwnImage"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = ["arn:${local.partition}:ecr:${local.region}:${local.account_id}:repository/${var.ecr_repository_prefix}/${each.key}"]
  }

  statement {
    # GetAuthorizationToken has no resource-level permissions.
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/chat/${var.name}/ecs/${each.key}:*"]
  }

  statement {
    sid     = "ReadOwnSecrets"
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      aws_secretsmanager_secret.service[each.key].arn,
      aws_secretsmanager_secret.kafka[each.key].arn,
      aws_secretsmanager_secret.internal.arn,
      # The Redis CA, written to a file by the task's redis-ca init container (CHAT_REDIS_TLS_CA_FILE).
      aws_secretsmanager_secret.redis_ca.arn,
    ]
  }

  statement {
    sid       = "DecryptSecrets"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.secrets.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }

  # The collector's configuration (AOT_CONFIG_CONTENT), a SecureString under the logs key (ecs module).
  statement {
    sid       = "ReadCollectorConfig"
    actions   = ["ssm:GetParameters"]
    resources = [local.collector_config]
  }

  statement {
    sid       = "DecryptCollectorConfig"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.logs.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ssm.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  for_each = var.services

  name   = "start-${each.key}"
  role   = aws_iam_role.execution[each.key].id
  policy = data.aws_iam_policy_document.execution[each.key].json
}

# ---------------------------------------------------------------------------------------------------------------
# Task roles
# ---------------------------------------------------------------------------------------------------------------

resource "aws_iam_role" "task" {
  for_each = var.services

  name               = "${var.name}-${each.key}-task"
  assume_role_policy = data.aws_iam_policy_document.task_assume[each.key].json
  tags               = merge(var.tags, { Service = each.key })
}

data "aws_iam_policy_document" "task" {
  for_each = var.services

  # Every task role gets at least this statement, so that a service without buckets or topics still has a
  # (harmless) policy document: its own secrets and the shared internal secret, which a service may re-read at run
  # time for rotation (and which External Secrets reads with this role on Kubernetes).
  statement {
    sid     = "ReadOwnSecrets"
    actions = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [
      aws_secretsmanager_secret.service[each.key].arn,
      aws_secretsmanager_secret.kafka[each.key].arn,
      aws_secretsmanager_secret.internal.arn,
      aws_secretsmanager_secret.redis_ca.arn,
    ]
  }

  statement {
    sid       = "DecryptOwnSecrets"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.secrets.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }

  # X-Ray's actions have no resource-level permissions ("*" is the only resource they accept); these two are what the
  # collector's awsxray exporter needs, nothing more (the services sample themselves: CHAT_OTEL_SAMPLE_RATIO, no
  # X-Ray sampling rules).
  statement {
    sid = "SendTraces"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "WriteMetrics"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [local.metrics_log_group, "${local.metrics_log_group}:*"]
  }

  dynamic "statement" {
    for_each = length(each.value.s3_prefixes) == 0 ? [] : [1]
    content {
      sid       = "OwnObjects"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:GetObjectVersion"]
      resources = [for prefix in each.value.s3_prefixes : "${local.attachments_arn}/${prefix}*"]
    }
  }

  dynamic "statement" {
    for_each = length(each.value.s3_prefixes) == 0 ? [] : [1]
    content {
      sid       = "ListOwnPrefixes"
      actions   = ["s3:ListBucket"]
      resources = [local.attachments_arn]
      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = [for prefix in each.value.s3_prefixes : "${prefix}*"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(each.value.s3_prefixes) == 0 ? [] : [1]
    content {
      sid       = "EncryptOwnObjects"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [aws_kms_key.s3.arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(concat(each.value.kafka_produce, each.value.kafka_consume)) == 0 ? [] : [1]
    content {
      sid       = "ConnectToCluster"
      actions   = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"]
      resources = ["${local.kafka_base}:cluster/${var.msk_cluster_name}/*"]
    }
  }

  dynamic "statement" {
    for_each = length(each.value.kafka_produce) == 0 ? [] : [1]
    content {
      sid       = "ProduceToOwnTopics"
      actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"]
      resources = [for topic in each.value.kafka_produce : "${local.kafka_base}:topic/${var.msk_cluster_name}/*/${topic}"]
    }
  }

  dynamic "statement" {
    for_each = length(each.value.kafka_consume) == 0 ? [] : [1]
    content {
      sid       = "ConsumeOwnTopics"
      actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
      resources = [for topic in each.value.kafka_consume : "${local.kafka_base}:topic/${var.msk_cluster_name}/*/${topic}"]
    }
  }

  dynamic "statement" {
    for_each = length(each.value.kafka_consume) == 0 ? [] : [1]
    content {
      sid       = "OwnConsumerGroups"
      actions   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
      resources = ["${local.kafka_base}:group/${var.msk_cluster_name}/*/${each.key}*"]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  for_each = var.services

  name   = "run-${each.key}"
  role   = aws_iam_role.task[each.key].id
  policy = data.aws_iam_policy_document.task[each.key].json
}
