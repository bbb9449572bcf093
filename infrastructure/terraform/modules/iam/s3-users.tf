# The services' S3 client (Shared/S3) signs with the static keys in CHAT_S3_ACCESS_KEY_ID and
# CHAT_S3_SECRET_ACCESS_KEY; it does not fetch the task role's temporary credentials yet. Until it does, each service
# that owns S3 prefixes gets an IAM user with exactly the S3 permissions of its task role (through a group, so that
# no policy sits on a user). Access keys are created by an operator and stored in the service's secret; they never
# pass through Terraform.

locals {
  s3_users = var.s3_static_credentials ? { for name, svc in var.services : name => svc if length(svc.s3_prefixes) > 0 } : {}
}

resource "aws_iam_group" "s3" {
  for_each = local.s3_users

  name = "${var.name}-${each.key}-s3"
}

data "aws_iam_policy_document" "s3_user" {
  for_each = local.s3_users

  statement {
    sid       = "OwnObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:GetObjectVersion"]
    resources = [for prefix in each.value.s3_prefixes : "${local.attachments_arn}/${prefix}*"]
  }

  statement {
    sid       = "ListOwnPrefixes"
    actions   = ["s3:ListBucket"]
    resources = [local.attachments_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for prefix in each.value.s3_prefixes : "${prefix}*"]
    }
  }

  statement {
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

resource "aws_iam_group_policy" "s3" {
  for_each = local.s3_users

  name   = "own-prefixes"
  group  = aws_iam_group.s3[each.key].name
  policy = data.aws_iam_policy_document.s3_user[each.key].json
}

resource "aws_iam_user" "s3" {
  #checkov:skip=CKV_AWS_273:Machine identity, not a person: the services' S3 client needs static keys until it reads task role credentials (see s3_static_credentials); its group allows only the service's own prefixes.
  for_each = local.s3_users

  name = "${var.name}-${each.key}-s3"
  tags = merge(var.tags, { Service = each.key })
}

resource "aws_iam_user_group_membership" "s3" {
  for_each = local.s3_users

  user   = aws_iam_user.s3[each.key].name
  groups = [aws_iam_group.s3[each.key].name]
}
