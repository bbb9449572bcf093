# Secrets are created empty: their values never pass through Terraform (or its state). The deploy order in
# infrastructure/README.md says when to fill them (`aws secretsmanager put-secret-value`).
#
#   chat/<environment>/<service>          JSON with the service's secret CHAT_ variables: CHAT_POSTGRES_URL,
#                                         CHAT_MONGO_URI, CHAT_REDIS_USERNAME, CHAT_REDIS_PASSWORD,
#                                         CHAT_S3_ACCESS_KEY_ID, CHAT_S3_SECRET_ACCESS_KEY (every key present; empty
#                                         strings where a service does not use the store); auth's also holds
#                                         CHAT_JWT_SIGNING_KEY, its access-token signing key
#   chat/<environment>/internal           JSON {"CHAT_INTERNAL_SECRET": ...}: the one secret every service shares
#                                         (the gateway signs the caller's identity with it, the services verify)
#   AmazonMSK_<name>-<service>            {"username": ..., "password": ...}: the service's SASL/SCRAM login to MSK
#                                         (MSK requires the AmazonMSK_ prefix and a customer-managed key)
#   chat/<environment>/redis              the Redis Cluster password, read by the Redis instances at boot
#   chat/<environment>/redis-tls          the Redis nodes' TLS material, JSON {"certificate", "private_key",
#                                         "ca_certificate"} (PEM), read by the Redis instances only
#   chat/<environment>/redis-ca           JSON {"ca_pem": ...}: the CA that signed the nodes' certificate, which every
#                                         service trusts (CHAT_REDIS_TLS_CA_FILE); public, but kept beside the rest

resource "aws_secretsmanager_secret" "service" {
  #checkov:skip=CKV2_AWS_57:The values are connection URIs built from credentials owned elsewhere (RDS, DocumentDB, Redis); they are rotated with those credentials by the runbook in infrastructure/README.md, not by a rotation Lambda.
  for_each = var.services

  name                    = "chat/${var.environment}/${each.key}"
  description             = "Secret CHAT_ variables of ${each.key} (${var.environment})"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = 30
  tags                    = merge(var.tags, { Service = each.key })
}

resource "aws_secretsmanager_secret" "kafka" {
  #checkov:skip=CKV2_AWS_57:MSK SCRAM secrets must keep the value MSK has associated; they are rotated by replacing the association (runbook in infrastructure/README.md).
  for_each = var.services

  name                    = "AmazonMSK_${var.name}-${each.key}"
  description             = "SASL/SCRAM login of ${each.key} to MSK (${var.environment})"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = 30
  tags                    = merge(var.tags, { Service = each.key })
}

resource "aws_secretsmanager_secret" "internal" {
  #checkov:skip=CKV2_AWS_57:Every service must switch to a new value together (a restart of all five), which a rotation Lambda cannot coordinate; rotated by the runbook in infrastructure/README.md.
  name                    = "chat/${var.environment}/internal"
  description             = "CHAT_INTERNAL_SECRET shared by the services (${var.environment})"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = 30
  tags                    = var.tags
}

resource "aws_secretsmanager_secret" "redis" {
  #checkov:skip=CKV2_AWS_57:Redis Cluster passwords cannot change without a coordinated restart of all nodes and clients; rotated by runbook.
  name                    = "chat/${var.environment}/redis"
  description             = "Redis Cluster password (${var.environment})"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = 30
  tags                    = var.tags
}

resource "aws_secretsmanager_secret" "redis_tls" {
  #checkov:skip=CKV2_AWS_57:The nodes' certificate is replaced by re-issuing it from the cluster's CA and restarting the nodes one by one (runbook in docs/operations.md), not by a rotation Lambda.
  name                    = "chat/${var.environment}/redis-tls"
  description             = "Redis Cluster node certificate, key and CA (${var.environment})"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = 30
  tags                    = var.tags
}

resource "aws_secretsmanager_secret" "redis_ca" {
  #checkov:skip=CKV2_AWS_57:A CA certificate is public and changes only with the nodes' certificate (runbook in docs/operations.md); nothing to rotate on a schedule.
  name                    = "chat/${var.environment}/redis-ca"
  description             = "CA of the Redis Cluster's certificates, trusted by every service (${var.environment})"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = 30
  tags                    = var.tags
}
