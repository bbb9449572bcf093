output "endpoint" {
  description = "host:port of the instance."
  value       = aws_db_instance.this.endpoint
}

output "address" {
  description = "Host name of the instance (the host of every CHAT_POSTGRES_URL)."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "PostgreSQL port."
  value       = aws_db_instance.this.port
}

output "instance_arn" {
  description = "ARN of the instance: the second region's replicate_source_db."
  value       = aws_db_instance.this.arn
}

output "instance_identifier" {
  description = "Identifier of the instance (CloudWatch dimension DBInstanceIdentifier)."
  value       = aws_db_instance.this.identifier
}

output "master_user_secret_arn" {
  description = "Secret holding the master password, managed and rotated by RDS."
  value       = try(aws_db_instance.this.master_user_secret[0].secret_arn, null)
}

output "security_group_id" {
  description = "Security group of the instance."
  value       = aws_security_group.this.id
}

output "bootstrap_sql" {
  description = "SQL to run once as the master user: one login role and one database per database name (services sharing a database share its role). Set each role's password afterwards (ALTER ROLE ... PASSWORD) and store it in the secrets of the services using it."
  value = join("\n", concat(
    ["-- One role and one database per database name; run with psql as chat_admin against the postgres database."],
    flatten([for database in sort(distinct(values(var.databases))) : [
      "CREATE ROLE \"${database}\" LOGIN;",
      # PostgreSQL 15: only a member of the owner may create a database for it.
      "GRANT \"${database}\" TO CURRENT_USER;",
      "CREATE DATABASE \"${database}\" OWNER \"${database}\";",
      "REVOKE ALL ON DATABASE \"${database}\" FROM PUBLIC;",
    ]]),
  ))
}
