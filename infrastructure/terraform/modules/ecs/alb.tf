# One internet-facing ALB, in front of the api-gateway only (the one public service of the catalogue):
#   :443   production listener: every request (/v1/* including the /v1/ws WebSocket upgrade) -> api-gateway. The
#          gateway checks the access token, signs the caller's identity (X-Chat-Identity) and applies the rate
#          limits, then calls auth, user, chat or notification through their Cloud Map names inside the VPC.
#   :8443  test listener, reachable only from test_listener_cidrs (by default the NAT gateways, i.e. test hooks
#          running in the VPC): during a blue/green deployment it serves the gateway's replacement tasks before
#          production traffic moves.
#   :80    redirects to https:// (301) and serves nothing itself: a client typing the bare host name lands on TLS
#          before it sends a token.
# The gateway has two target groups (blue, green); CodeDeploy swaps them in the listeners' default actions. Their
# health check is GET /ready on the public port, which answers only 200 or 503 (the detailed /ready and /metrics are
# on the gateway's admin port, 9090, which no load balancer reaches). The other services have no target group and no
# route: they deploy rolling (services.tf).
# WebSockets need no stickiness (one upgrade, then one long-lived connection); idle_timeout_seconds (>= 300) keeps
# quiet connections open between the clients' pings.

locals {
  colours = ["blue", "green"]
  # The public service (exactly one; the listeners' preconditions check it).
  public_services = [for svc, cfg in var.services : svc if cfg.public]
  public_service  = local.public_services[0]
  target_groups = merge([for svc, cfg in var.services : {
    for colour in local.colours : "${svc}-${colour}" => { service = svc, colour = colour, port = cfg.port }
  } if cfg.public]...)
  ports = sort([for cfg in var.services : cfg.port])
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

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:Port 80's only listener answers a 301 redirect to HTTPS (aws_lb_listener.http); no request is forwarded to a target in clear.
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from the internet, redirected to HTTPS"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
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
  description                  = "To the ${local.public_service} tasks only"
  ip_protocol                  = "tcp"
  from_port                    = var.services[local.public_service].port
  to_port                      = var.services[local.public_service].port
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
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB; the gateway's tasks speak plain HTTP inside private subnets, reachable only from the ALB's security group and the other tasks.
  for_each = local.target_groups

  name                 = "${var.name}-${each.value.service}-${substr(each.value.colour, 0, 1)}"
  port                 = each.value.port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  # /ready, not /health: a task whose dependencies do not answer gets no traffic; the container's health check
  # (/health) decides restarts.
  health_check {
    path                = "/ready"
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
    target_group_arn = aws_lb_target_group.this["${local.public_service}-blue"].arn
  }

  # CodeDeploy moves the default action between the gateway's blue and green target groups.
  lifecycle {
    ignore_changes = [default_action]

    # One public entry point: the gateway verifies tokens and signs identities for every other service.
    precondition {
      condition     = length(local.public_services) == 1
      error_message = "Exactly one service of the catalogue (the api-gateway) must be public."
    }
  }

  tags = var.tags
}

# Port 80 only redirects (checkov CKV_AWS_2/CKV_AWS_103 accept a redirect to HTTPS): no request is forwarded in clear.
resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
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
    target_group_arn = aws_lb_target_group.this["${local.public_service}-blue"].arn
  }

  lifecycle {
    ignore_changes = [default_action]
  }

  tags = var.tags
}
