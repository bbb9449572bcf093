# Security group of the tasks, the first task definition of each service, the ECS services and their autoscaling.
#
# Each task runs three containers: the service; redis-ca, which writes the Redis Cluster's CA (secret
# redis_ca_secret_arn) to a task volume for CHAT_REDIS_TLS_CA_FILE and exits (a task definition cannot mount a secret
# as a file); and aws-otel-collector (AWS Distro for OpenTelemetry), which sends the service's traces to X-Ray and
# scrapes its Prometheus /metrics (the gateway's admin port) into CloudWatch as embedded metric format
# (infrastructure/observability/otel-collector.yaml). The helpers are not essential: the service never stops for them.

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

# The gateway's admin listener (/metrics, the detailed /ready) from other tasks only; no load balancer reaches it.
resource "aws_vpc_security_group_ingress_rule" "tasks_admin" {
  for_each = var.admin_ports

  security_group_id            = aws_security_group.tasks.id
  description                  = "The ${each.key} admin listener from other tasks"
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
  referenced_security_group_id = aws_security_group.tasks.id
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

# Two regions: the second region's gateways call this region's services; this region's tasks may reach the peer's
# data stores and services (the gateway there, when this is the second region). Peered VPCs cannot reference each
# other's security groups across regions, hence CIDRs.
resource "aws_vpc_security_group_ingress_rule" "tasks_from_peers" {
  for_each = toset(var.peer_cidr_blocks)

  security_group_id = aws_security_group.tasks.id
  description       = "Service ports from the peered region ${each.value} (its gateways)"
  ip_protocol       = "tcp"
  from_port         = local.ports[0]
  to_port           = local.ports[length(local.ports) - 1]
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_peers" {
  for_each = merge([for cidr in var.peer_cidr_blocks : {
    for store, range in {
      postgres   = [5432, 5432]
      documentdb = [27017, 27017]
      kafka      = [9094, 9098]
      redis      = [6379, 6379]
      services   = [local.ports[0], local.ports[length(local.ports) - 1]]
    } : "${cidr}/${store}" => { cidr = cidr, store = store, range = range }
  }]...)

  security_group_id = aws_security_group.tasks.id
  description       = "To ${each.value.store} in the peered region ${each.value.cidr}"
  ip_protocol       = "tcp"
  from_port         = each.value.range[0]
  to_port           = each.value.range[1]
  cidr_ipv4         = each.value.cidr
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
  # redis-ca writes the PEM from the secret (bash only: the service's image has no other tool) and checks it.
  redis_ca_command = "umask 022 && printf '%s\\n' \"$REDIS_CA_PEM\" > ${var.redis_ca_directory}/ca.pem && grep -q 'BEGIN CERTIFICATE' ${var.redis_ca_directory}/ca.pem"
  # Where each service's collector scrapes /metrics: the admin port where there is one (the gateway), else the service's.
  metrics_ports = { for svc, cfg in var.services : svc => lookup(var.admin_ports, svc, cfg.port) }
  log_options = { for svc in keys(var.services) : svc => {
    "awslogs-group"  = aws_cloudwatch_log_group.service[svc].name
    "awslogs-region" = local.region
  } }
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

  volume {
    name = "redis-ca"
  }

  container_definitions = jsonencode([
    {
      name                   = each.key
      image                  = "${aws_ecr_repository.this[each.key].repository_url}:${var.image_tag}"
      essential              = true
      user                   = "10001:10001"
      readonlyRootFilesystem = true
      privileged             = false
      # The service port, and the admin port where the service has one (the gateway's 9090).
      portMappings = [for port in distinct([each.value.port, local.metrics_ports[each.key]]) : { containerPort = port, protocol = "tcp" }]
      environment = [for k, v in merge(
        var.environment,
        lookup(var.service_environment, each.key, {}),
        { CHAT_HTTP_HOST = "0.0.0.0", CHAT_HTTP_PORT = tostring(each.value.port) },
      ) : { name = k, value = v }]
      secrets = [for k, v in lookup(var.service_secrets, each.key, {}) : { name = k, valueFrom = v }]
      mountPoints = [
        { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
        { sourceVolume = "redis-ca", containerPath = var.redis_ca_directory, readOnly = true },
      ]
      # Starts once the Redis CA is written and the collector accepts traces.
      dependsOn = [
        { containerName = "redis-ca", condition = "SUCCESS" },
        { containerName = "aws-otel-collector", condition = "START" },
      ]
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
        options   = merge(local.log_options[each.key], { "awslogs-stream-prefix" = each.key })
      }
    },
    {
      name                   = "redis-ca"
      image                  = "${aws_ecr_repository.this[each.key].repository_url}:${var.image_tag}"
      essential              = false
      user                   = "10001:10001"
      readonlyRootFilesystem = true
      privileged             = false
      entryPoint             = ["bash", "-c"]
      command                = [local.redis_ca_command]
      mountPoints            = [{ sourceVolume = "redis-ca", containerPath = var.redis_ca_directory, readOnly = false }]
      secrets                = [{ name = "REDIS_CA_PEM", valueFrom = "${var.redis_ca_secret_arn}:ca_pem::" }]
      linuxParameters        = { capabilities = { drop = ["ALL"] } }
      logConfiguration = {
        logDriver = "awslogs"
        options   = merge(local.log_options[each.key], { "awslogs-stream-prefix" = "redis-ca" })
      }
    },
    {
      name                   = "aws-otel-collector"
      image                  = var.collector_image
      essential              = false
      readonlyRootFilesystem = true
      privileged             = false
      # ECS restarts it in place: a collector that dies costs a few seconds of telemetry, never the task.
      restartPolicy = { enabled = true, restartAttemptPeriod = 60 }
      environment = [
        { name = "SERVICE_NAME", value = each.key },
        { name = "METRICS_PORT", value = tostring(local.metrics_ports[each.key]) },
        { name = "METRICS_LOG_GROUP", value = aws_cloudwatch_log_group.metrics.name },
      ]
      secrets         = [{ name = "AOT_CONFIG_CONTENT", valueFrom = aws_ssm_parameter.collector.arn }]
      linuxParameters = { capabilities = { drop = ["ALL"] } }
      healthCheck = {
        command     = ["CMD", "/healthcheck"]
        interval    = 30
        timeout     = 5
        retries     = 3
        startPeriod = 10
      }
      logConfiguration = {
        logDriver = "awslogs"
        options   = merge(local.log_options[each.key], { "awslogs-stream-prefix" = "otel", "mode" = "non-blocking", "max-buffer-size" = "1m" })
      }
    },
  ])

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

# Memory as well as CPU: chat's memory grows with its WebSocket connections before its CPU does. Each policy scales out
# on its own; ECS scales in only when both allow it.
resource "aws_appautoscaling_policy" "memory" {
  for_each = var.services

  name               = "${var.name}-${each.key}-memory-${var.memory_target_percent}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.this[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.this[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.memory_target_percent
    scale_out_cooldown = 60
    scale_in_cooldown  = 300
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageMemoryUtilization"
    }
  }
}

# Out of hours (staging): every service down to off_hours.count tasks, back to its range in the morning.
locals {
  schedules = var.off_hours == null ? {} : merge([for svc in keys(var.services) : {
    "${svc}/off" = { service = svc, cron = var.off_hours.start, min = var.off_hours.count, max = var.off_hours.count }
    "${svc}/on"  = { service = svc, cron = var.off_hours.end, min = var.service_sizes[svc].min_count, max = var.service_sizes[svc].max_count }
  }]...)
}

resource "aws_appautoscaling_scheduled_action" "this" {
  for_each = local.schedules

  name               = "${var.name}-${replace(each.key, "/", "-")}"
  service_namespace  = aws_appautoscaling_target.this[each.value.service].service_namespace
  resource_id        = aws_appautoscaling_target.this[each.value.service].resource_id
  scalable_dimension = aws_appautoscaling_target.this[each.value.service].scalable_dimension
  schedule           = each.value.cron
  timezone           = var.off_hours.timezone

  scalable_target_action {
    min_capacity = each.value.min
    max_capacity = each.value.max
  }
}
