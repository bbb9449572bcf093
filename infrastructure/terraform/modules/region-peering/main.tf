# The private path between the two regions' VPCs (infrastructure/README.md, "Two regions"): the second region's
# gateways reach the writer region's services (Cloud Map names), its Redis Cluster and its databases over an
# inter-region VPC peering, encrypted by AWS between regions and never on the internet.
#
#   request  (second region) asks for the peering, routes the writer's VPC through it and associates the writer's
#            Cloud Map zone (<service>.chat-<env>.internal) with this VPC, so the upstream names resolve here
#   accept   (writer region) accepts that request and routes the second region's VPC back through it
# Security groups admit the peer's CIDR where needed (ecs, redis-ec2, rds, documentdb: peer_cidr_blocks).

resource "aws_vpc_peering_connection" "this" {
  count = var.mode == "request" ? 1 : 0

  vpc_id      = var.vpc_id
  peer_vpc_id = var.peer_vpc_id
  peer_region = var.peer_region
  auto_accept = false
  tags        = merge(var.tags, { Name = "${var.name}-to-${var.peer_region}" })
}

resource "aws_vpc_peering_connection_accepter" "this" {
  count = var.mode == "accept" ? 1 : 0

  vpc_peering_connection_id = var.peering_connection_id
  auto_accept               = true
  tags                      = merge(var.tags, { Name = "${var.name}-from-${var.peer_region}" })
}

locals {
  connection_id = var.mode == "request" ? try(aws_vpc_peering_connection.this[0].id, "") : var.peering_connection_id
}

resource "aws_route" "to_peer" {
  count = var.mode == "none" ? 0 : length(var.route_table_ids)

  route_table_id            = var.route_table_ids[count.index]
  destination_cidr_block    = var.peer_cidr_block
  vpc_peering_connection_id = local.connection_id
}

resource "aws_route53_zone_association" "peer_namespace" {
  count = var.mode == "request" && var.peer_service_discovery_zone_id != "" ? 1 : 0

  zone_id = var.peer_service_discovery_zone_id
  vpc_id  = var.vpc_id
}
