# Security group of the tasks, the first task definition of each service, the ECS services and their autoscaling.

resource "aws_security_group" "tasks" {
  name        = "${var.name}-tasks"
  description = "ECS tasks: the gateway's port from the ALB, service ports from each other; out to data stores and AWS APIs"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-tasks" })
}

# Only the gateway's port is open to the ALB; auth, user, chat and notification accept only other tasks (the
# gateway's upstream calls through Cloud Map), never the load balancer or anything else in the VPC.
resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "The ${local.public_service} port from the ALB"
  ip_protocol                  = "tcp"
  from_port                    = var.services[local.public_service].port
  to_port                      = var.services[local.public_service].port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_tasks" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "Service ports from other tasks (gateway upstream calls through Cloud Map)"
  ip_protocol                  = "tcp"
  from_port                    = local.ports[0]
  to_port                      = local.ports[length(local.ports) - 1]
  referenced_security_group_id = aws_security_group.tasks.id
}

# Outbound: HTTPS to AWS APIs (ECR, Secrets Manager, CloudWatch, S3) and the data stores inside the VPC.
resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to AWS APIs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "tasks_in_vpc" {
  for_each = {
    postgres   = [5432, 5432]
    documentdb = [27017, 27017]
    kafka      = [9094, 9098]
    redis      = [6379, 6379]
    services   = [local.ports[0], local.ports[length(local.ports) - 1]]
  }

  security_group_id = aws_security_group.tasks.id
  description       = "To ${each.key} inside the VPC"
  ip_protocol       = "tcp"
  from_port         = each.value[0]
  to_port           = each.value[1]
  cidr_ipv4         = var.vpc_cidr_block
}

resource "aws_vpc_security_group_egress_rule" "tasks_dns" {
  security_group_id = aws_security_group.tasks.id
  description       = "DNS to the VPC resolver (Cloud Map names)"
  ip_protocol       = "udp"
  from_port         = 53
  to_port           = 53
  cidr_ipv4         = var.vpc_cidr_block
}

locals {
  # The health check of the image (Dockerfile HEALTHCHECK): GET /health over bash's /dev/tcp, as the image has no curl.
  health_command = "exec 3<>/dev/tcp/127.0.0.1/$${CHAT_HTTP_PORT} && printf 'GET /health HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r -t 2 line <&3 && [[ $line == \"HTTP/1.\"?\" 200\"* ]]"
}

resource "aws_ecs_task_definition" "this" {
  for_each = var.services

  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.service_sizes[each.key].cpu
  memory                   = var.service_sizes[each.key].memory
  execution_role_arn       = var.roles[each.key].execution
  task_role_arn            = var.roles[each.key].task

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  # The root filesystem is read-only; /tmp is a task-local scratch volume.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = each.key
    image                  = "${aws_ecr_repository.this[each.key].repository_url}:${var.image_tag}"
    essential              = true
    user                   = "10001:10001"
    readonlyRootFilesystem = true
    privileged             = false
    portMappings           = [{ containerPort = each.value.port, protocol = "tcp" }]
    environment = [for k, v in merge(
      var.environment,
      lookup(var.service_environment, each.key, {}),
      { CHAT_HTTP_HOST = "0.0.0.0", CHAT_HTTP_PORT = tostring(each.value.port) },
    ) : { name = k, value = v }]
    secrets     = [for k, v in lookup(var.service_secrets, each.key, {}) : { name = k, valueFrom = v }]
    mountPoints = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    healthCheck = {
      command     = ["CMD", "bash", "-c", local.health_command]
      interval    = 10
      timeout     = 3
      retries     = 3
      startPeriod = 20
    }
    # Long-lived WebSocket connections need many descriptors.
    ulimits         = [{ name = "nofile", softLimit = 65536, hardLimit = 65536 }]
    linuxParameters = { initProcessEnabled = true, capabilities = { drop = ["ALL"] } }
    stopTimeout     = 30
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.service[each.key].name
        "awslogs-region"        = local.region
        "awslogs-stream-prefix" = each.key
      }
    }
  }])

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_ecs_service" "this" {
  for_each = var.services

  name                               = each.key
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.this[each.key].arn
  desired_count                      = var.service_sizes[each.key].desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  health_check_grace_period_seconds  = 60
  propagate_tags                     = "SERVICE"
  enable_ecs_managed_tags            = true
  enable_execute_command             = var.enable_execute_command
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  # The gateway, behind the ALB, deploys blue/green through CodeDeploy (codedeploy.tf). The others have no load
  # balancer (CodeDeploy needs one) and deploy rolling: ECS stops a deployment whose tasks keep failing (circuit
  # breaker) or during which one of the service's rollback alarms fires, and rolls it back. Cloud Map registers and
  # deregisters their tasks as they start and stop.
  deployment_controller {
    type = each.value.public ? "CODE_DEPLOY" : "ECS"
  }

  dynamic "deployment_circuit_breaker" {
    for_each = each.value.public ? [] : [true]
    content {
      enable   = true
      rollback = true
    }
  }

  dynamic "alarms" {
    for_each = !each.value.public && length(lookup(var.rollback_alarm_names, each.key, [])) > 0 ? [true] : []
    content {
      alarm_names = var.rollback_alarm_names[each.key]
      enable      = true
      rollback    = true
    }
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = each.value.public ? [true] : []
    content {
      target_group_arn = aws_lb_target_group.this["${each.key}-blue"].arn
      container_name   = each.key
      container_port   = each.value.port
    }
  }

  service_registries {
    registry_arn = aws_service_discovery_service.this[each.key].arn
  }

  # Releases register their own task definition revisions (CodeDeploy for the gateway, which also owns its active
  # target group; update-service for the others); autoscaling owns the count.
  lifecycle {
    ignore_changes = [task_definition, load_balancer, desired_count]
  }

  depends_on = [aws_lb_listener.https]

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_appautoscaling_target" "this" {
  for_each = var.services

  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.this[each.key].name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.service_sizes[each.key].min_count
  max_capacity       = var.service_sizes[each.key].max_count
}

resource "aws_appautoscaling_policy" "cpu" {
  for_each = var.services

  name               = "${var.name}-${each.key}-cpu-${var.cpu_target_percent}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.this[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.this[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_out_cooldown = 60
    # Scale in slowly: chat holds WebSocket connections that a removed task has to hand over.
    scale_in_cooldown = 300
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
