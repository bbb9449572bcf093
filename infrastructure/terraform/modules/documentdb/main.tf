# DocumentDB holds the messages. TLS is mandatory (cluster parameter `tls = enabled`): clients connect with
# tls=true&tlsCAFile=global-bundle.pem&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false.
#
# Two regions: with global_role = "primary" this cluster becomes the primary of a global cluster
# (global_cluster_identifier), whose storage-level replication keeps a "secondary" cluster in the second region
# typically under a second behind; the secondary takes no writes until a failover makes it the primary.

locals {
  secondary = var.global_role == "secondary"
}

resource "aws_docdb_global_cluster" "this" {
  count = var.global_role == "primary" ? 1 : 0

  global_cluster_identifier    = var.global_cluster_identifier
  source_db_cluster_identifier = aws_docdb_cluster.this.arn
  deletion_protection          = var.deletion_protection
}

resource "aws_docdb_subnet_group" "this" {
  name       = "${var.name}-docdb"
  subnet_ids = var.database_subnet_ids
  tags       = var.tags
}

resource "aws_security_group" "this" {
  name        = "${var.name}-docdb"
  description = "DocumentDB: 27017 from the private subnets only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-docdb" })
}

resource "aws_vpc_security_group_ingress_rule" "docdb" {
  for_each = toset(var.allowed_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "DocumentDB from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 27017
  to_port           = 27017
  cidr_ipv4         = each.value
}

resource "aws_docdb_cluster_parameter_group" "this" {
  name        = "${var.name}-docdb5"
  family      = "docdb5.0"
  description = "DocumentDB 5.0 for ${var.name}: TLS required, audit and profiler logs"

  parameter {
    name  = "tls"
    value = "enabled"
  }
  parameter {
    name  = "audit_logs"
    value = "enabled"
  }
  parameter {
    name  = "profiler"
    value = "enabled"
  }
  parameter {
    name  = "profiler_threshold_ms"
    value = "200"
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "docdb" {
  for_each = toset(["audit", "profiler"])

  name              = "/aws/docdb/${var.name}-docdb/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_docdb_cluster" "this" {
  cluster_identifier = "${var.name}-docdb"
  engine             = "docdb"
  engine_version     = var.engine_version

  # A secondary of a global cluster has the primary's users, and joins it at creation.
  global_cluster_identifier = local.secondary ? var.global_cluster_identifier : null
  master_username           = local.secondary ? null : "chat_admin"
  # DocumentDB keeps the generated master password in Secrets Manager; it never enters the state.
  manage_master_user_password = local.secondary ? null : true

  db_subnet_group_name            = aws_docdb_subnet_group.this.name
  vpc_security_group_ids          = [aws_security_group.this.id]
  db_cluster_parameter_group_name = aws_docdb_cluster_parameter_group.this.name

  storage_encrypted = true
  kms_key_id        = var.kms_key_arn

  backup_retention_period         = var.backup_retention_days
  preferred_backup_window         = "02:00-03:00"
  preferred_maintenance_window    = "sun:04:30-sun:05:30"
  deletion_protection             = var.deletion_protection
  skip_final_snapshot             = false
  final_snapshot_identifier       = "${var.name}-docdb-final"
  enabled_cloudwatch_logs_exports = ["audit", "profiler"]

  tags = var.tags

  # Joining or leaving the global cluster happens through it (and the failover procedure), not here.
  lifecycle {
    ignore_changes = [global_cluster_identifier]
  }

  depends_on = [aws_cloudwatch_log_group.docdb]
}

resource "aws_docdb_cluster_instance" "this" {
  count = var.instance_count

  identifier                 = "${var.name}-docdb-${count.index}"
  cluster_identifier         = aws_docdb_cluster.this.id
  instance_class             = var.instance_class
  auto_minor_version_upgrade = true
  promotion_tier             = count.index
  tags                       = var.tags
}
