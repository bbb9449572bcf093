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
  description = "SQL to run once as the master user: one login role and one database per database name (services sharing a database share its role), and the read-only login role chat_identity_reader, which may connect to identity. Set each role's password afterwards (ALTER ROLE ... PASSWORD) and store it in the secrets of the services using it (chat_identity_reader's in chat's CHAT_IDENTITY_POSTGRES_URL)."
  value = join("\n", concat(
    ["-- One role and one database per database name; run with psql as chat_admin against the postgres database."],
    flatten([for database in sort(distinct(values(var.databases))) : [
      "CREATE ROLE \"${database}\" LOGIN;",
      # PostgreSQL 15: only a member of the owner may create a database for it (or grant on its objects below).
      "GRANT \"${database}\" TO CURRENT_USER;",
      "CREATE DATABASE \"${database}\" OWNER \"${database}\";",
      "REVOKE ALL ON DATABASE \"${database}\" FROM PUBLIC;",
    ]]),
    [
      "-- chat reads identity's users, contacts and blocks (CHAT_IDENTITY_POSTGRES_URL) as a role of its own, which can",
      "-- write nothing; identity_reader_sql grants it those three tables once they exist.",
      "CREATE ROLE \"${local.identity_reader}\" LOGIN;",
      "ALTER ROLE \"${local.identity_reader}\" SET default_transaction_read_only = on;",
      "GRANT CONNECT ON DATABASE \"${local.identity_database}\" TO \"${local.identity_reader}\";",
    ],
  ))
}

output "identity_reader_sql" {
  description = "SQL to run as the master user once auth or user has started (their migrations create identity's tables), and again after a migration that recreates one of them; idempotent: chat_identity_reader may SELECT identity's users, contacts and blocks, and nothing else (no other table, no write)."
  value = join("\n", [
    "-- Run with psql as chat_admin (a member of ${local.identity_database} since the bootstrap SQL); idempotent.",
    "\\connect ${local.identity_database}",
    "GRANT USAGE ON SCHEMA public TO \"${local.identity_reader}\";",
    "GRANT SELECT ON TABLE ${join(", ", [for table in local.identity_reader_tables : "public.${table}"])} TO \"${local.identity_reader}\";",
  ])
}
