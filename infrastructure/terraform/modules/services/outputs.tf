output "services" {
  description = "Map of service name to { port, database, kafka_produce, kafka_consume, s3_prefixes, public }."
  value       = local.services
}

output "names" {
  description = "The service names, sorted."
  value       = sort(keys(local.services))
}

output "ports" {
  description = "Map of service name to HTTP port."
  value       = { for name, svc in local.services : name => svc.port }
}

output "databases" {
  description = "PostgreSQL database of each service (one RDS instance; auth and user share identity, the others have their own)."
  value       = { for name, svc in local.services : name => svc.database }
}

output "topics" {
  description = "Every Kafka topic a service produces to or consumes from."
  value       = local.topics
}
