output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "CIDR of the VPC; the security groups of the data stores admit it."
  value       = aws_vpc.this.cidr_block
}

output "availability_zones" {
  description = "The three availability zones, in subnet order."
  value       = var.availability_zones
}

output "public_subnet_ids" {
  description = "Public subnets (ALB, NAT gateways), one per availability zone."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (ECS tasks, EKS nodes, MSK brokers, Redis instances), one per availability zone."
  value       = aws_subnet.private[*].id
}

output "private_subnet_cidrs" {
  description = "CIDRs of the private subnets, in availability-zone order (the Redis module derives fixed addresses from them)."
  value       = aws_subnet.private[*].cidr_block
}

output "database_subnet_ids" {
  description = "Isolated subnets (RDS, DocumentDB), one per availability zone."
  value       = aws_subnet.database[*].id
}

output "private_route_table_ids" {
  description = "Route tables of the private subnets."
  value       = aws_route_table.private[*].id
}

output "nat_gateway_public_ips" {
  description = "Public addresses the private subnets reach the internet from (for allow-lists of third parties)."
  value       = aws_eip.nat[*].public_ip
}
