# The API's host name in both regions (infrastructure/README.md, "Two regions"): a latency-based alias record per
# region, each with a Route 53 health check of that region's gateway (GET /ready on the public port, which answers 200
# only when the gateway's own dependencies do). Clients get the nearest healthy region; a region whose check fails
# drops out of the answers within about a minute (three failed checks 10 s apart, then the record's 60 s alias TTL at
# most). Each region also gets a plain regional name (api-<region>.…): the health check's target, and the smoke
# test's address of that region's test listener.

resource "aws_route53_record" "regional" {
  zone_id = var.zone_id
  name    = var.regional_record_name
  type    = "A"

  alias {
    name                   = var.alb_dns_name
    zone_id                = var.alb_zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_health_check" "gateway" {
  fqdn              = var.regional_record_name
  type              = "HTTPS"
  port              = 443
  resource_path     = var.health_check_path
  request_interval  = 10
  failure_threshold = 3
  measure_latency   = true
  tags              = merge(var.tags, { Name = "${var.name}-gateway-ready" })

  depends_on = [aws_route53_record.regional]
}

resource "aws_route53_record" "latency" {
  zone_id         = var.zone_id
  name            = var.record_name
  type            = "A"
  set_identifier  = var.region
  health_check_id = aws_route53_health_check.gateway.id

  latency_routing_policy {
    region = var.region
  }

  alias {
    name                   = var.alb_dns_name
    zone_id                = var.alb_zone_id
    evaluate_target_health = true
  }
}
