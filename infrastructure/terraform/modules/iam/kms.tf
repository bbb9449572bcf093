# Customer-managed keys, one per kind of data, so that access to one kind does not imply access to another:
#   data     RDS, DocumentDB, MSK, the Redis volumes and the backup bucket
#   secrets  Secrets Manager (every service's secrets)
#   s3       the attachments and static-assets buckets (CloudFront may decrypt through its origin access control)
#   logs     CloudWatch Logs groups and the alarm topic
# Key policies are written inline (not as aws_iam_policy_document) because a key policy's Resource is always "*".

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition
  root_arn   = "arn:${local.partition}:iam::${local.account_id}:root"

  # The account administers the key; the IAM policies of roles then grant use of it.
  key_admin_statement = {
    Sid       = "AccountAdministers"
    Effect    = "Allow"
    Principal = { AWS = local.root_arn }
    Action    = "kms:*"
    Resource  = "*"
  }
}

resource "aws_kms_key" "data" {
  description             = "${var.name}: RDS, DocumentDB, MSK, Redis volumes and backups"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  # Services (RDS, DocumentDB, MSK, EBS, S3) use the key through grants made on behalf of callers whose IAM
  # policies allow it; the key policy only has to let the account's IAM decide.
  policy = jsonencode({ Version = "2012-10-17", Statement = [local.key_admin_statement] })
  tags   = merge(var.tags, { Name = "${var.name}-data" })
}

resource "aws_kms_alias" "data" {
  name          = "alias/${var.name}-data"
  target_key_id = aws_kms_key.data.key_id
}

resource "aws_kms_key" "secrets" {
  description             = "${var.name}: Secrets Manager"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = jsonencode({ Version = "2012-10-17", Statement = [local.key_admin_statement] })
  tags                    = merge(var.tags, { Name = "${var.name}-secrets" })
}

resource "aws_kms_alias" "secrets" {
  name          = "alias/${var.name}-secrets"
  target_key_id = aws_kms_key.secrets.key_id
}

resource "aws_kms_key" "s3" {
  description             = "${var.name}: attachments and static assets"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.key_admin_statement,
      {
        # CloudFront's origin access control reads SSE-KMS objects of the static-assets bucket.
        Sid       = "CloudFrontReadsStaticAssets"
        Effect    = "Allow"
        Principal = { Service = "cloudfront.amazonaws.com" }
        Action    = ["kms:Decrypt"]
        Resource  = "*"
        Condition = {
          StringLike = { "aws:SourceArn" = "arn:${local.partition}:cloudfront::${local.account_id}:distribution/*" }
        }
      },
    ]
  })
  tags = merge(var.tags, { Name = "${var.name}-s3" })
}

resource "aws_kms_alias" "s3" {
  name          = "alias/${var.name}-s3"
  target_key_id = aws_kms_key.s3.key_id
}

resource "aws_kms_key" "logs" {
  description             = "${var.name}: CloudWatch Logs and alarm notifications"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.key_admin_statement,
      {
        Sid       = "CloudWatchLogsEncrypts"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*" }
        }
      },
      {
        # CloudWatch alarms and AWS Budgets publish to the encrypted alarm topics.
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"] }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  })
  tags = merge(var.tags, { Name = "${var.name}-logs" })
}

resource "aws_kms_alias" "logs" {
  name          = "alias/${var.name}-logs"
  target_key_id = aws_kms_key.logs.key_id
}
