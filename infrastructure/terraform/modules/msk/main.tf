# Three brokers, one per availability zone. Clients authenticate with SASL/SCRAM (port 9096, what librdkafka in the
# services speaks: CHAT_KAFKA_SECURITY_PROTOCOL=sasl_ssl, CHAT_KAFKA_SASL_MECHANISM=SCRAM-SHA-512) or with IAM
# (port 9098; then the task roles' topic-scoped policies apply). Plaintext and unauthenticated access are off.

resource "aws_security_group" "this" {
  name        = "${var.name}-msk"
  description = "MSK brokers: TLS, SCRAM and IAM listeners from the private subnets only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-msk" })
}

resource "aws_vpc_security_group_ingress_rule" "brokers" {
  for_each = toset(var.allowed_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "Kafka listeners (9094 TLS, 9096 SCRAM, 9098 IAM) from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 9094
  to_port           = 9098
  cidr_ipv4         = each.value
}

resource "aws_msk_configuration" "this" {
  name           = "${var.name}-kafka"
  kafka_versions = [var.kafka_version]
  description    = "Durable defaults: topics are created deliberately, three replicas, two in sync for a write."

  server_properties = <<-EOT
    auto.create.topics.enable=false
    default.replication.factor=3
    min.insync.replicas=2
    num.partitions=6
    unclean.leader.election.enable=false
    log.retention.hours=168
    allow.everyone.if.no.acl.found=false
  EOT
}

resource "aws_cloudwatch_log_group" "brokers" {
  name              = "/chat/${var.name}/msk"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_msk_cluster" "this" {
  cluster_name           = var.name
  kafka_version          = var.kafka_version
  number_of_broker_nodes = var.broker_count

  broker_node_group_info {
    instance_type   = var.broker_instance_type
    client_subnets  = var.private_subnet_ids
    security_groups = [aws_security_group.this.id]

    storage_info {
      ebs_storage_info {
        volume_size = var.broker_volume_gb
      }
    }

    connectivity_info {
      public_access {
        type = "DISABLED"
      }
    }
  }

  configuration_info {
    arn      = aws_msk_configuration.this.arn
    revision = aws_msk_configuration.this.latest_revision
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = var.kms_key_arn
    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }

  client_authentication {
    unauthenticated = false
    sasl {
      scram = true
      iam   = true
    }
  }

  # Per-topic-per-broker metrics feed the throughput widgets; consumer lag (SumOffsetLag, EstimatedMaxTimeLag)
  # is published per consumer group at every level.
  enhanced_monitoring = "PER_TOPIC_PER_BROKER"

  open_monitoring {
    prometheus {
      jmx_exporter {
        enabled_in_broker = true
      }
      node_exporter {
        enabled_in_broker = true
      }
    }
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.brokers.name
      }
    }
  }

  tags = var.tags
}

resource "aws_msk_scram_secret_association" "this" {
  count = length(var.scram_secret_arns) > 0 ? 1 : 0

  cluster_arn     = aws_msk_cluster.this.arn
  secret_arn_list = var.scram_secret_arns
}
