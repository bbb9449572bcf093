# One internet-facing ALB for the five services:
#   :443   production listener. Path rules from the services catalogue (/v1/ws -> chat, /v1/auth/* -> auth, ...);
#          everything else -> api-gateway.
#   :8443  test listener, same rules, reachable only from test_listener_cidrs (by default the NAT gateways, i.e.
#          test hooks running in the VPC): during a blue/green deployment it serves the replacement tasks before
#          production traffic moves.
# Each service has two target groups (blue, green); CodeDeploy swaps them in the rules. There is no port 80:
# clients are configured with https:// URLs, and a plain-HTTP listener would only invite credentials in clear.

locals {
  colours = ["blue", "green"]
  target_groups = merge([for svc, cfg in var.services : {
    for colour in local.colours : "${svc}-${colour}" => { service = svc, colour = colour, port = cfg.port }
  }]...)
  # One rule per (listener, service with path patterns).
  routed = { for svc, cfg in var.services : svc => cfg if length(cfg.path_patterns) > 0 && svc != var.default_service }
  ports  = sort([for cfg in var.services : cfg.port])
}

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "ALB: HTTPS from anywhere, test listener from the test networks"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from the internet"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "alb_test" {
  # count, not for_each: the addresses (NAT gateways' EIPs) are known only after apply, their number before.
  count = length(var.test_listener_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "Blue/green test listener from ${var.test_listener_cidrs[count.index]}"
  ip_protocol       = "tcp"
  from_port         = 8443
  to_port           = 8443
  cidr_ipv4         = var.test_listener_cidrs[count.index]
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the service ports of the tasks"
  ip_protocol                  = "tcp"
  from_port                    = local.ports[0]
  to_port                      = local.ports[length(local.ports) - 1]
  referenced_security_group_id = aws_security_group.tasks.id
}

resource "aws_lb" "this" {
  name               = var.name
  load_balancer_type = "application"
  internal           = false
  subnets            = var.public_subnet_ids
  security_groups    = [aws_security_group.alb.id]

  drop_invalid_header_fields = true
  desync_mitigation_mode     = "strictest"
  enable_deletion_protection = var.alb_deletion_protection
  idle_timeout               = var.idle_timeout_seconds

  access_logs {
    bucket  = var.logs_bucket_name
    prefix  = "alb"
    enabled = true
  }

  tags = var.tags
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB; the tasks speak plain HTTP inside private subnets, reachable only from the ALB's security group.
  for_each = local.target_groups

  name                 = "${var.name}-${each.value.service}-${substr(each.value.colour, 0, 1)}"
  port                 = each.value.port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = "/health"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = merge(var.tags, { Service = each.value.service, Colour = each.value.colour })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["${var.default_service}-blue"].arn
  }

  # CodeDeploy moves the default action between the gateway's blue and green target groups.
  lifecycle {
    ignore_changes = [default_action]

    # A target group must be reachable through a listener before ECS accepts it for a service.
    precondition {
      condition     = alltrue([for svc, cfg in var.services : svc == var.default_service || length(cfg.path_patterns) > 0])
      error_message = "Every service except the default one needs path_patterns in the services catalogue."
    }
  }

  tags = var.tags
}

resource "aws_lb_listener" "test" {
  load_balancer_arn = aws_lb.this.arn
  port              = 8443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["${var.default_service}-blue"].arn
  }

  lifecycle {
    ignore_changes = [default_action]
  }

  tags = var.tags
}

resource "aws_lb_listener_rule" "https" {
  for_each = local.routed

  listener_arn = aws_lb_listener.https.arn
  priority     = each.value.priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["${each.key}-blue"].arn
  }

  condition {
    path_pattern {
      values = each.value.path_patterns
    }
  }

  lifecycle {
    ignore_changes = [action]
  }

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_lb_listener_rule" "test" {
  for_each = local.routed

  listener_arn = aws_lb_listener.test.arn
  priority     = each.value.priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["${each.key}-blue"].arn
  }

  condition {
    path_pattern {
      values = each.value.path_patterns
    }
  }

  lifecycle {
    ignore_changes = [action]
  }

  tags = merge(var.tags, { Service = each.key })
}
