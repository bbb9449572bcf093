# Blue/green deployments of the public service (the api-gateway): CodeDeploy starts the new task set behind the idle
# target group and exposes it on the test listener, where it waits (smoke_test_wait_minutes) for the release's smoke
# test to continue it (infrastructure/codebuild/deploy-stack.sh: `aws deploy continue-deployment`); nothing
# continuing it stops it, with rollback. Then it shifts production traffic (canary by default) and rolls back on a
# failed deployment or when one of the gateway's rollback alarms (monitoring module) fires. The appspec of a release
# is infrastructure/codedeploy/appspec.yml (container api-gateway, port 8080). The other services have no load
# balancer and deploy rolling (services.tf).

data "aws_iam_policy_document" "codedeploy_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codedeploy.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "codedeploy" {
  name               = "${var.name}-codedeploy"
  assume_role_policy = data.aws_iam_policy_document.codedeploy_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "codedeploy" {
  role       = aws_iam_role.codedeploy.name
  policy_arn = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
}

resource "aws_codedeploy_app" "this" {
  name             = var.name
  compute_platform = "ECS"
  tags             = var.tags
}

resource "aws_codedeploy_deployment_group" "this" {
  for_each = { for svc, cfg in var.services : svc => cfg if cfg.public }

  app_name               = aws_codedeploy_app.this.name
  deployment_group_name  = each.key
  service_role_arn       = aws_iam_role.codedeploy.arn
  deployment_config_name = var.deployment_config_name

  deployment_style {
    deployment_type   = "BLUE_GREEN"
    deployment_option = "WITH_TRAFFIC_CONTROL"
  }

  blue_green_deployment_config {
    deployment_ready_option {
      action_on_timeout    = "STOP_DEPLOYMENT"
      wait_time_in_minutes = var.smoke_test_wait_minutes
    }
    terminate_blue_instances_on_deployment_success {
      action                           = "TERMINATE"
      termination_wait_time_in_minutes = 15
    }
  }

  ecs_service {
    cluster_name = aws_ecs_cluster.this.name
    service_name = aws_ecs_service.this[each.key].name
  }

  load_balancer_info {
    target_group_pair_info {
      prod_traffic_route {
        listener_arns = [aws_lb_listener.https.arn]
      }
      test_traffic_route {
        listener_arns = [aws_lb_listener.test.arn]
      }
      target_group {
        name = aws_lb_target_group.this["${each.key}-blue"].name
      }
      target_group {
        name = aws_lb_target_group.this["${each.key}-green"].name
      }
    }
  }

  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
  }

  alarm_configuration {
    enabled = length(lookup(var.rollback_alarm_names, each.key, [])) > 0
    alarms  = lookup(var.rollback_alarm_names, each.key, [])
  }

  tags = merge(var.tags, { Service = each.key })
}
