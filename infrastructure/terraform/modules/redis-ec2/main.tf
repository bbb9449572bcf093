# Six Debian 12 instances forming one Redis Cluster: three masters and three replicas, two nodes per availability
# zone, in the private subnets. Node i (0-5) sits in zone i mod 3 at a fixed address, so every node knows the full
# node list at boot. Nodes 0-2 are masters; replica 3+j follows master (j+1) mod 3, i.e. always one in another zone
# (redis-node-init.sh pairs them). Node 0 forms the cluster, once.
#
# No SSH: operators use SSM Session Manager. Snapshots go to the backups bucket (redis-backup.sh, daily timer).
# Encryption in transit: with tls_enabled every node serves TLS only (clients, cluster bus, replication), with the
# certificate of redis_tls_secret_arn, whose SANs must name the six fixed addresses (output node_addresses).

data "aws_region" "current" {}

data "aws_ssm_parameter" "ami" {
  name = var.ami_ssm_parameter
}

locals {
  region             = data.aws_region.current.region
  init_script_path   = coalesce(var.init_script_path, "${path.module}/../../../redis/redis-node-init.sh")
  backup_script_path = coalesce(var.backup_script_path, "${path.module}/../../../redis/redis-backup.sh")
  nodes = [for i in range(6) : {
    index     = i
    subnet_id = var.private_subnet_ids[i % 3]
    address   = cidrhost(var.private_subnet_cidrs[i % 3], var.host_offset + floor(i / 3))
    role      = i < 3 ? "master" : "replica"
  }]
  node_list = join(",", [for node in local.nodes : "${node.address}:6379"])
}

resource "aws_security_group" "this" {
  name        = "${var.name}-redis"
  description = "Redis Cluster: 6379 (clients) and 16379 (cluster bus) from the VPC only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-redis" })

  lifecycle {
    precondition {
      condition     = !var.tls_enabled || var.redis_tls_secret_arn != ""
      error_message = "tls_enabled needs redis_tls_secret_arn (the nodes' certificate, key and CA)."
    }
  }
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  for_each = { clients = 6379, bus = 16379 }

  security_group_id = aws_security_group.this.id
  description       = "Redis ${each.key} port from the VPC"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = var.vpc_cidr_block
}

# Clients in peered VPCs (the other region's gateways, infrastructure/README.md "Two regions"): the client port only.
resource "aws_vpc_security_group_ingress_rule" "peer_clients" {
  for_each = toset(var.peer_client_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "Redis clients from the peered network ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 6379
  to_port           = 6379
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "redis_peers" {
  for_each = { clients = 6379, bus = 16379 }

  security_group_id = aws_security_group.this.id
  description       = "Redis ${each.key} port to the other nodes"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = var.vpc_cidr_block
}

# Package mirrors (HTTP and HTTPS), AWS APIs (S3, Secrets Manager, CloudWatch, SSM) and the CloudWatch agent download.
resource "aws_vpc_security_group_egress_rule" "redis_internet" {
  for_each = { http = 80, https = 443 }

  security_group_id = aws_security_group.this.id
  description       = "${upper(each.key)} out for packages and AWS APIs"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "redis_dns" {
  security_group_id = aws_security_group.this.id
  description       = "DNS to the VPC resolver"
  ip_protocol       = "udp"
  from_port         = 53
  to_port           = 53
  cidr_ipv4         = var.vpc_cidr_block
}

# ---------------------------------------------------------------------------------------------------------------
# Instance role: Session Manager, CloudWatch agent, its password secret, snapshots below redis/ in the backups bucket
# ---------------------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-redis"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "managed" {
  for_each = toset([
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
  ])

  role       = aws_iam_role.this.name
  policy_arn = each.value
}

data "aws_iam_policy_document" "node" {
  statement {
    sid       = "ReadPasswordAndCertificate"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = compact([var.redis_secret_arn, var.tls_enabled ? var.redis_tls_secret_arn : ""])
  }

  statement {
    sid       = "DecryptPassword"
    actions   = ["kms:Decrypt"]
    resources = [var.secrets_kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "ShipAndRotateSnapshots"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
    resources = ["arn:aws:s3:::${var.backups_bucket_name}/redis/*"]
  }

  statement {
    sid       = "ListSnapshots"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::${var.backups_bucket_name}"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["redis/*"]
    }
  }

  statement {
    sid       = "EncryptSnapshots"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "node" {
  name   = "redis-node"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.node.json
}

resource "aws_iam_instance_profile" "this" {
  name = "${var.name}-redis"
  role = aws_iam_role.this.name
  tags = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/chat/redis/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

# Spread placement: no two nodes share hardware.
resource "aws_placement_group" "this" {
  name     = "${var.name}-redis"
  strategy = "spread"
  tags     = var.tags
}

resource "aws_instance" "node" {
  count = 6

  ami                     = data.aws_ssm_parameter.ami.value
  instance_type           = var.instance_type
  subnet_id               = local.nodes[count.index].subnet_id
  private_ip              = local.nodes[count.index].address
  vpc_security_group_ids  = [aws_security_group.this.id]
  iam_instance_profile    = aws_iam_instance_profile.this.name
  placement_group         = aws_placement_group.this.id
  monitoring              = true
  ebs_optimized           = true
  disable_api_termination = var.termination_protection

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  maintenance_options {
    auto_recovery = "default"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_gb
    encrypted             = true
    kms_key_id            = var.kms_key_arn
    delete_on_termination = true
  }

  # gzip keeps the two embedded scripts well under the 16 KB user-data limit; cloud-init unpacks it.
  user_data_base64 = base64gzip(templatefile("${path.module}/user-data.sh.tftpl", {
    init_script     = file(local.init_script_path)
    backup_script   = file(local.backup_script_path)
    region          = local.region
    address         = local.nodes[count.index].address
    nodes           = local.node_list
    form_cluster    = count.index == 0 ? "1" : "0"
    secret_arn      = var.redis_secret_arn
    tls             = var.tls_enabled ? "1" : "0"
    tls_secret_arn  = var.tls_enabled ? var.redis_tls_secret_arn : ""
    maxmemory       = var.maxmemory
    node_timeout_ms = var.node_timeout_ms
    backups_bucket  = var.backups_bucket_name
    cluster_name    = var.name
  }))

  tags = merge(var.tags, {
    Name      = "${var.name}-redis-${count.index}"
    RedisRole = local.nodes[count.index].role
  })
  volume_tags = merge(var.tags, { Name = "${var.name}-redis-${count.index}" })

  # A new AMI or a changed script must not replace a running node (its data would go): roll nodes deliberately.
  lifecycle {
    ignore_changes = [ami, user_data_base64]
  }
}
