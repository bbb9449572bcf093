# The release pipeline: source -> build (tests, images, push, scan gate) -> for each target in order, an optional
# manual approval, then deploy + smoke test + production traffic (or rollback). Typically: staging, approval,
# production (primary region), production (second region).
#
#   Source       CodeConnections, on every push to the branch
#   Build        buildspec.yml with STACK_NAME empty: the tests (Terraform installed and verified), chatctl, the five
#                images through the ECR pull-through cache (tags ECR has are not rebuilt), push, image-scan gate;
#                artifact `build` = image-tag.txt, chatctl, imagedefinitions.json
#   <target>     infrastructure/codebuild/deploy.buildspec.yml, assuming the target's deployer role: waits for the
#                images (ECR replication), deploys new revisions, smoke-tests the new gateway on the test listener,
#                then continues its blue/green deployment or rolls everything back
#
# The build runs privileged (it starts its own Docker daemon to build the images); the deploy projects do not. Both
# run in the VPC's private subnets, so the test listeners see them at the NAT addresses they admit.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.region
  partition = data.aws_partition.current.partition
  targets   = { for index, target in var.targets : target.name => merge(target, { index = index }) }
  roles     = compact([for target in var.targets : target.deployer_role_arn])
}

resource "aws_cloudwatch_log_group" "builds" {
  name              = "/chat/${var.name}/codebuild"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# Base images (swift, debian) through ECR: <registry>/ecr-public/docker/library/... (buildspec.yml,
# PULL_THROUGH_CACHE_PREFIX). ECR Public needs no upstream credentials.
resource "aws_ecr_pull_through_cache_rule" "ecr_public" {
  ecr_repository_prefix = "ecr-public"
  upstream_registry_url = "public.ecr.aws"
}

resource "aws_security_group" "codebuild" {
  name        = "${var.name}-codebuild"
  description = "CodeBuild projects of the release pipeline: out only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-codebuild" })
}

# HTTPS out (AWS APIs, package mirrors, Terraform's release) and the test listeners (8443) of the targets.
resource "aws_vpc_security_group_egress_rule" "codebuild" {
  for_each = { https = 443, test_listener = 8443, http_mirrors = 80 }

  security_group_id = aws_security_group.codebuild.id
  description       = "${each.key} out"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = "0.0.0.0/0"
}

locals {
  environment_common = [
    { name = "ECR_REPOSITORY_NAMESPACE", value = var.ecr_repository_prefix },
  ]
}

resource "aws_codebuild_project" "build" {
  #checkov:skip=CKV_AWS_316:The build starts its own Docker daemon to build the five images (buildspec.yml), which needs privileged mode; it runs only this repository's buildspec, in the VPC, with a role limited to pushing this project's images.
  name           = "${var.name}-build"
  description    = "Tests, images, push and image-scan gate of a release (buildspec.yml, STACK_NAME empty)"
  service_role   = aws_iam_role.build.arn
  encryption_key = var.kms_key_arn
  build_timeout  = 120

  source {
    type      = "CODEPIPELINE"
    buildspec = "buildspec.yml"
  }

  artifacts {
    type = "CODEPIPELINE"
  }

  environment {
    type                        = "LINUX_CONTAINER"
    compute_type                = var.build_compute_type
    image                       = var.build_image
    image_pull_credentials_type = "CODEBUILD"
    privileged_mode             = true

    dynamic "environment_variable" {
      for_each = concat(local.environment_common, [
        # Build, push and scan only: the targets deploy.
        { name = "STACK_NAME", value = "" },
        { name = "PULL_THROUGH_CACHE_PREFIX", value = aws_ecr_pull_through_cache_rule.ecr_public.ecr_repository_prefix },
      ])
      content {
        name  = environment_variable.value.name
        value = environment_variable.value.value
      }
    }
  }

  vpc_config {
    vpc_id             = var.vpc_id
    subnets            = var.private_subnet_ids
    security_group_ids = [aws_security_group.codebuild.id]
  }

  logs_config {
    cloudwatch_logs {
      group_name  = aws_cloudwatch_log_group.builds.name
      stream_name = "build"
    }
  }

  tags = var.tags
}

resource "aws_codebuild_project" "deploy" {
  for_each = local.targets

  name           = "${var.name}-deploy-${each.key}"
  description    = "Deploy, smoke test and production traffic of a release in ${each.key} (deploy.buildspec.yml)"
  service_role   = aws_iam_role.deploy.arn
  encryption_key = var.kms_key_arn
  build_timeout  = 90

  source {
    type      = "CODEPIPELINE"
    buildspec = "infrastructure/codebuild/deploy.buildspec.yml"
  }

  artifacts {
    type = "CODEPIPELINE"
  }

  environment {
    type                        = "LINUX_CONTAINER"
    compute_type                = "BUILD_GENERAL1_SMALL"
    image                       = var.build_image
    image_pull_credentials_type = "CODEBUILD"
    privileged_mode             = false

    dynamic "environment_variable" {
      for_each = concat(local.environment_common, [
        { name = "DEPLOY_TARGET", value = "ecs" },
        { name = "DEPLOY_ROLE_ARN", value = each.value.deployer_role_arn },
        { name = "TARGET_REGION", value = each.value.region },
        { name = "ECS_CLUSTER", value = each.value.ecs_cluster },
        { name = "CODEDEPLOY_APP", value = each.value.codedeploy_app },
        { name = "SMOKE_GATEWAY_URL", value = each.value.smoke_gateway_url },
        { name = "STATIC_ASSETS_BUCKET", value = each.value.static_assets },
        { name = "WEB_DISTRIBUTION_ID", value = each.value.web_distribution },
      ])
      content {
        name  = environment_variable.value.name
        value = environment_variable.value.value
      }
    }
  }

  vpc_config {
    vpc_id             = var.vpc_id
    subnets            = var.private_subnet_ids
    security_group_ids = [aws_security_group.codebuild.id]
  }

  logs_config {
    cloudwatch_logs {
      group_name  = aws_cloudwatch_log_group.builds.name
      stream_name = "deploy-${each.key}"
    }
  }

  tags = var.tags
}

resource "aws_codepipeline" "this" {
  name          = "${var.name}-release"
  pipeline_type = "V2"
  role_arn      = aws_iam_role.pipeline.arn

  artifact_store {
    type     = "S3"
    location = aws_s3_bucket.artifacts.bucket
    encryption_key {
      id   = var.kms_key_arn
      type = "KMS"
    }
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["source"]
      configuration = {
        ConnectionArn    = var.connection_arn
        FullRepositoryId = var.repository_id
        BranchName       = var.branch
        DetectChanges    = "true"
      }
    }
  }

  stage {
    name = "Build"
    action {
      name             = "TestBuildPushScan"
      category         = "Build"
      owner            = "AWS"
      provider         = "CodeBuild"
      version          = "1"
      input_artifacts  = ["source"]
      output_artifacts = ["build"]
      configuration    = { ProjectName = aws_codebuild_project.build.name }
    }
  }

  dynamic "stage" {
    for_each = var.targets
    content {
      name = "Deploy-${stage.value.name}"

      dynamic "action" {
        for_each = stage.value.approval_before ? [1] : []
        content {
          name      = "Approve"
          category  = "Approval"
          owner     = "AWS"
          provider  = "Manual"
          version   = "1"
          run_order = 1
          configuration = merge(
            { CustomData = "Release ${stage.value.name}: check the previous targets' smoke tests and dashboards first (docs/operations.md, pre-deploy checklist)." },
            var.approval_topic_arn == "" ? {} : { NotificationArn = var.approval_topic_arn },
          )
        }
      }

      action {
        name            = "DeploySmokeTestShift"
        category        = "Build"
        owner           = "AWS"
        provider        = "CodeBuild"
        version         = "1"
        run_order       = 2
        input_artifacts = ["source", "build"]
        configuration = {
          ProjectName   = aws_codebuild_project.deploy[stage.value.name].name
          PrimarySource = "source"
        }
      }
    }
  }

  tags = var.tags
}
