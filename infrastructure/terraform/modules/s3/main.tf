# Four buckets:
#   attachments    user uploads below per-service prefixes (attachments/, avatars/); presigned URLs; versioned
#   static-assets  the web client, served only through CloudFront (bucket policy in the cloudfront module)
#   backups        Redis snapshots (redis-backup.sh), rotated by the script, expired here as a safety net
#   logs           ALB, CloudFront and S3 server access logs
# Every bucket: public access blocked, TLS-only, versioned, encrypted, lifecycle, events to EventBridge.

data "aws_elb_service_account" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  data_buckets = {
    attachments     = { name = var.attachments_bucket_name, kms = var.s3_kms_key_arn }
    "static-assets" = { name = var.static_assets_bucket_name, kms = var.s3_kms_key_arn }
    backups         = { name = var.backups_bucket_name, kms = var.data_kms_key_arn }
  }
  # The static-assets bucket policy (CloudFront + TLS-only) lives in the cloudfront module: a bucket has one policy.
  tls_policy_buckets = { for key, bucket in local.data_buckets : key => bucket if key != "static-assets" }
}

# ---------------------------------------------------------------------------------------------------------------
# Data buckets
# ---------------------------------------------------------------------------------------------------------------

resource "aws_s3_bucket" "data" {
  #checkov:skip=CKV_AWS_144:Attachments replicate to the second region's bucket (replication.tf) once it exists; the web client is rebuilt from the repository, and Redis snapshots belong to their own region's cluster (each region has its own).
  for_each = local.data_buckets

  bucket        = each.value.name
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Name = each.value.name, Purpose = each.key })
}

resource "aws_s3_bucket_public_access_block" "data" {
  for_each = local.data_buckets

  bucket                  = aws_s3_bucket.data[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "data" {
  for_each = local.data_buckets

  bucket = aws_s3_bucket.data[each.key].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "data" {
  for_each = local.data_buckets

  bucket = aws_s3_bucket.data[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  for_each = local.data_buckets

  bucket = aws_s3_bucket.data[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = each.value.kms
    }
    # S3 Bucket Keys cut the KMS requests (and their cost) for buckets with many small objects.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "data" {
  for_each = local.data_buckets

  bucket        = aws_s3_bucket.data[each.key].id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/${each.value.name}/"
}

# EventBridge receives every object event; rules (virus scanning of attachments, for example) can subscribe later.
resource "aws_s3_bucket_notification" "data" {
  for_each = local.data_buckets

  bucket      = aws_s3_bucket.data[each.key].id
  eventbridge = true
}

resource "aws_s3_bucket_lifecycle_configuration" "data" {
  for_each = local.data_buckets

  bucket = aws_s3_bucket.data[each.key].id

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
    expiration {
      expired_object_delete_marker = true
    }
  }

  dynamic "rule" {
    for_each = each.key == "attachments" ? [1] : []
    content {
      id     = "attachments-to-infrequent-access"
      status = "Enabled"
      filter {}
      transition {
        days          = var.attachments_infrequent_access_days
        storage_class = "STANDARD_IA"
      }
    }
  }

  dynamic "rule" {
    for_each = each.key == "backups" ? [1] : []
    content {
      id     = "expire-forgotten-snapshots"
      status = "Enabled"
      filter {
        prefix = "redis/"
      }
      expiration {
        days = var.backup_expiry_days
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.data]
}

data "aws_iam_policy_document" "tls_only" {
  for_each = local.tls_policy_buckets

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.data[each.key].arn,
      "${aws_s3_bucket.data[each.key].arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "data" {
  for_each = local.tls_policy_buckets

  bucket = aws_s3_bucket.data[each.key].id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.data]
}

# Browsers upload and download attachments directly with presigned URLs.
resource "aws_s3_bucket_cors_configuration" "attachments" {
  count = length(var.cors_allowed_origins) > 0 ? 1 : 0

  bucket = aws_s3_bucket.data["attachments"].id
  cors_rule {
    allowed_methods = ["GET", "PUT", "HEAD"]
    allowed_origins = var.cors_allowed_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3600
  }
}

# ---------------------------------------------------------------------------------------------------------------
# Log bucket
# ---------------------------------------------------------------------------------------------------------------

resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_144:Access logs are kept in one region; they are diagnostic data, not a recovery source.
  #checkov:skip=CKV_AWS_145:ALB access logs and S3 server access logs can only be delivered to buckets encrypted with SSE-S3, not SSE-KMS.
  bucket        = var.logs_bucket_name
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Name = var.logs_bucket_name, Purpose = "logs" })
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  #checkov:skip=CKV2_AWS_65:CloudFront standard logging writes through a bucket ACL grant (awslogsdelivery), which needs ACLs enabled on this bucket.
  bucket = aws_s3_bucket.logs.id
  rule {
    object_ownership = "BucketOwnerPreferred"
  }
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_notification" "logs" {
  bucket      = aws_s3_bucket.logs.id
  eventbridge = true
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    id     = "expire-logs"
    status = "Enabled"
    filter {}
    transition {
      days          = 30
      storage_class = "STANDARD_IA"
    }
    expiration {
      days = var.log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 7
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}

data "aws_iam_policy_document" "logs" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.logs.arn,
      "${aws_s3_bucket.logs.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "AlbAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/alb/*"]
    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.current.arn]
    }
  }

  statement {
    sid       = "S3ServerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/s3/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = data.aws_iam_policy_document.logs.json

  depends_on = [aws_s3_bucket_public_access_block.logs]
}
