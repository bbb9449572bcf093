# The role the release pipeline's deploy action assumes to deploy to this environment (modules/pipeline, possibly
# from another account): infrastructure/codebuild/deploy-stack.sh with DEPLOY_TARGET=ecs. It may do exactly that and
# no more: read the cluster's services and task definitions, register new revisions (passing only this environment's
# task and execution roles), update the services, run and steer the gateway's CodeDeploy deployments, check that the
# release's images have arrived in this account's repositories (ECR replication from the pipeline's account), and
# upload the web client to the static-assets bucket and invalidate CloudFront (where the environment has them).

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.region
  partition = data.aws_partition.current.partition
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = var.trusted_role_arns
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = "${var.name}-deployer"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 7200
  tags                 = var.tags
}

data "aws_iam_policy_document" "deploy" {
  statement {
    # Describing and registering task definitions has no resource-level permissions.
    sid       = "ReadAndRegisterTaskDefinitions"
    actions   = ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"]
    resources = ["*"]
  }

  statement {
    sid       = "TagOwnRevisions"
    actions   = ["ecs:TagResource"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account}:task-definition/${var.name}-*:*"]
  }

  statement {
    sid       = "OwnServices"
    actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account}:service/${var.cluster_name}/*"]
  }

  statement {
    sid       = "PassOwnRoles"
    actions   = ["iam:PassRole"]
    resources = var.passable_role_arns
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid = "SteerGatewayDeployments"
    actions = [
      "codedeploy:CreateDeployment",
      "codedeploy:GetDeployment",
      "codedeploy:ContinueDeployment",
      "codedeploy:StopDeployment",
      "codedeploy:GetDeploymentConfig",
      "codedeploy:GetApplicationRevision",
      "codedeploy:RegisterApplicationRevision",
    ]
    resources = [
      "arn:${local.partition}:codedeploy:${local.region}:${local.account}:application:${var.codedeploy_app_name}",
      "arn:${local.partition}:codedeploy:${local.region}:${local.account}:deploymentgroup:${var.codedeploy_app_name}/*",
      "arn:${local.partition}:codedeploy:${local.region}:${local.account}:deploymentconfig:*",
    ]
  }

  dynamic "statement" {
    for_each = var.static_assets_bucket_arn == "" ? [] : [1]
    content {
      sid       = "WebClientFiles"
      actions   = ["s3:PutObject", "s3:DeleteObject", "s3:GetObject"]
      resources = ["${var.static_assets_bucket_arn}/*"]
    }
  }

  dynamic "statement" {
    for_each = var.static_assets_bucket_arn == "" ? [] : [1]
    content {
      sid       = "WebClientListing"
      actions   = ["s3:ListBucket"]
      resources = [var.static_assets_bucket_arn]
    }
  }

  dynamic "statement" {
    for_each = var.static_assets_bucket_arn == "" ? [] : [1]
    content {
      sid       = "WebClientKey"
      actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.static_assets_kms_key_arn]
    }
  }

  dynamic "statement" {
    for_each = var.web_distribution_arn == "" ? [] : [1]
    content {
      sid       = "WebClientInvalidation"
      actions   = ["cloudfront:CreateInvalidation"]
      resources = [var.web_distribution_arn]
    }
  }

  statement {
    sid       = "ReleaseImagesArrived"
    actions   = ["ecr:DescribeImages"]
    resources = ["arn:${local.partition}:ecr:${local.region}:${local.account}:repository/${var.ecr_repository_prefix}/*"]
  }
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy-release"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.deploy.json
}
