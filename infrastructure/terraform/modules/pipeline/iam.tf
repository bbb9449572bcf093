# Three roles, each with what its part of the pipeline does:
#   pipeline  CodePipeline: the artifacts, starting the CodeBuild projects, the source connection, approval notices
#   build     push this repository's images (and fill the pull-through cache), read their scan findings, the artifacts
#   deploy    assume the targets' deployer roles (modules/deployer), which do the deploying; the artifacts
# All three may use the KMS key of the artifacts and logs. CodeBuild in a VPC manages its network interfaces in the
# given subnets.

locals {
  artifacts_arn = aws_s3_bucket.artifacts.arn
  repositories  = "arn:${local.partition}:ecr:${local.region}:${local.account}:repository/${var.ecr_repository_prefix}/*"
  cache_repos   = "arn:${local.partition}:ecr:${local.region}:${local.account}:repository/${aws_ecr_pull_through_cache_rule.ecr_public.ecr_repository_prefix}/*"
  project_arns  = concat([aws_codebuild_project.build.arn], [for project in aws_codebuild_project.deploy : project.arn])
  subnet_arns   = [for id in var.private_subnet_ids : "arn:${local.partition}:ec2:${local.region}:${local.account}:subnet/${id}"]
}

data "aws_iam_policy_document" "assume" {
  for_each = { pipeline = "codepipeline.amazonaws.com", build = "codebuild.amazonaws.com", deploy = "codebuild.amazonaws.com" }

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = [each.value]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_iam_role" "pipeline" {
  name               = "${var.name}-pipeline"
  assume_role_policy = data.aws_iam_policy_document.assume["pipeline"].json
  tags               = var.tags
}

resource "aws_iam_role" "build" {
  name               = "${var.name}-pipeline-build"
  assume_role_policy = data.aws_iam_policy_document.assume["build"].json
  tags               = var.tags
}

resource "aws_iam_role" "deploy" {
  name               = "${var.name}-pipeline-deploy"
  assume_role_policy = data.aws_iam_policy_document.assume["deploy"].json
  tags               = var.tags
}

# What every role needs: the artifacts and their key.
data "aws_iam_policy_document" "common" {
  statement {
    sid       = "Artifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:GetBucketVersioning", "s3:GetBucketLocation"]
    resources = [local.artifacts_arn, "${local.artifacts_arn}/*"]
  }

  statement {
    sid       = "ArtifactsKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }
}

data "aws_iam_policy_document" "pipeline" {
  source_policy_documents = [data.aws_iam_policy_document.common.json]

  statement {
    sid       = "RunProjects"
    actions   = ["codebuild:StartBuild", "codebuild:BatchGetBuilds"]
    resources = local.project_arns
  }

  statement {
    sid       = "Source"
    actions   = ["codeconnections:UseConnection", "codestar-connections:UseConnection"]
    resources = [var.connection_arn]
  }

  dynamic "statement" {
    for_each = var.approval_topic_arn == "" ? [] : [1]
    content {
      sid       = "ApprovalNotice"
      actions   = ["sns:Publish"]
      resources = [var.approval_topic_arn]
    }
  }
}

# CodeBuild in a VPC: network interfaces in the pipeline's subnets, and the logs of its own group.
data "aws_iam_policy_document" "codebuild_common" {
  source_policy_documents = [data.aws_iam_policy_document.common.json]

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.builds.arn}:*"]
  }

  statement {
    # Describe calls have no resource-level permissions.
    sid = "DescribeNetwork"
    actions = [
      "ec2:DescribeDhcpOptions",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeVpcs",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "NetworkInterfaces"
    actions   = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"]
    resources = concat(local.subnet_arns, [aws_security_group.codebuild.arn, "arn:${local.partition}:ec2:${local.region}:${local.account}:network-interface/*"])
  }

  statement {
    sid       = "NetworkInterfacePermission"
    actions   = ["ec2:CreateNetworkInterfacePermission"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account}:network-interface/*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:AuthorizedService"
      values   = ["codebuild.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "ec2:Subnet"
      values   = local.subnet_arns
    }
  }
}

data "aws_iam_policy_document" "build" {
  source_policy_documents = [data.aws_iam_policy_document.codebuild_common.json]

  statement {
    # GetAuthorizationToken has no resource-level permissions.
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushAndScanOwnImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:DescribeImageScanFindings",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [local.repositories]
  }

  statement {
    # A first pull through the cache creates its repository and imports the image.
    sid = "PullThroughCache"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:BatchImportUpstreamImage",
      "ecr:CreateRepository",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = [local.cache_repos]
  }
}

data "aws_iam_policy_document" "deploy" {
  source_policy_documents = [data.aws_iam_policy_document.codebuild_common.json]

  dynamic "statement" {
    for_each = length(local.roles) == 0 ? [] : [1]
    content {
      sid       = "AssumeTargetDeployers"
      actions   = ["sts:AssumeRole"]
      resources = local.roles
    }
  }
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "run-release"
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline.json
}

resource "aws_iam_role_policy" "build" {
  name   = "build-release"
  role   = aws_iam_role.build.id
  policy = data.aws_iam_policy_document.build.json
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy-release"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}
