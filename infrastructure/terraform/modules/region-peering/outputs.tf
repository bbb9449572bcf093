output "peering_connection_id" {
  description = "The peering requested here (the writer region's peering_connection_id to accept), or the one accepted."
  value       = local.connection_id
}
