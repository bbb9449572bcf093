output "kms_key_arns" {
  description = "Map of purpose (data, secrets, s3, logs) to KMS key ARN."
  value = {
    data    = aws_kms_key.data.arn
    secrets = aws_kms_key.secrets.arn
    s3      = aws_kms_key.s3.arn
    logs    = aws_kms_key.logs.arn
  }
}

output "task_role_arns" {
  description = "Map of service to task role ARN (also the IRSA role of its Kubernetes service account)."
  value       = { for name, role in aws_iam_role.task : name => role.arn }
}

output "execution_role_arns" {
  description = "Map of service to ECS task execution role ARN."
  value       = { for name, role in aws_iam_role.execution : name => role.arn }
}

output "service_secret_arns" {
  description = "Map of service to the ARN of its chat/<environment>/<service> secret."
  value       = { for name, secret in aws_secretsmanager_secret.service : name => secret.arn }
}

output "kafka_secret_arns" {
  description = "Map of service to the ARN of its AmazonMSK_ SCRAM secret."
  value       = { for name, secret in aws_secretsmanager_secret.kafka : name => secret.arn }
}

output "internal_secret_arn" {
  description = "ARN of the chat/<environment>/internal secret (JSON key CHAT_INTERNAL_SECRET), shared by every service."
  value       = aws_secretsmanager_secret.internal.arn
}

output "redis_secret_arn" {
  description = "ARN of the Redis Cluster password secret."
  value       = aws_secretsmanager_secret.redis.arn
}

output "redis_tls_secret_arn" {
  description = "ARN of the Redis nodes' TLS secret (JSON certificate, private_key, ca_certificate), read by the Redis instances."
  value       = aws_secretsmanager_secret.redis_tls.arn
}

output "redis_ca_secret_arn" {
  description = "ARN of the chat/<environment>/redis-ca secret (JSON key ca_pem): the CA every service trusts for Redis TLS."
  value       = aws_secretsmanager_secret.redis_ca.arn
}

output "s3_user_names" {
  description = "Map of service to the IAM user whose access key belongs in its secret (empty when s3_static_credentials is false)."
  value       = { for name, user in aws_iam_user.s3 : name => user.name }
}
