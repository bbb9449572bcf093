output "node_addresses" {
  description = "host:port of the six nodes; the first three start as masters."
  value       = [for node in local.nodes : "${node.address}:6379"]
}

output "chat_redis_nodes" {
  description = "Value for CHAT_REDIS_NODES (seed nodes: all six, so any surviving node can bootstrap a client)."
  value       = local.node_list
}

output "instance_ids" {
  description = "Instance IDs of nodes 0-5 (CloudWatch dimension InstanceId)."
  value       = aws_instance.node[*].id
}

output "security_group_id" {
  description = "Security group of the nodes."
  value       = aws_security_group.this.id
}

output "log_group_name" {
  description = "Log group of the nodes' init logs."
  value       = aws_cloudwatch_log_group.this.name
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the Redis gauges (used memory, replication link, cluster state)."
  value       = "Chat/Redis"
}
