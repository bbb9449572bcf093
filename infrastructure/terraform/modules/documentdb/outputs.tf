output "endpoint" {
  description = "Cluster (writer) endpoint."
  value       = aws_docdb_cluster.this.endpoint
}

output "reader_endpoint" {
  description = "Reader endpoint (load-balanced over the replicas)."
  value       = aws_docdb_cluster.this.reader_endpoint
}

output "port" {
  description = "Port of the cluster."
  value       = aws_docdb_cluster.this.port
}

output "cluster_identifier" {
  description = "Identifier of the cluster (CloudWatch dimension DBClusterIdentifier)."
  value       = aws_docdb_cluster.this.cluster_identifier
}

output "mongo_uri_template" {
  description = "CHAT_MONGO_URI without credentials: insert user:password@ after mongodb:// and store it in each service's secret."
  value       = "mongodb://${aws_docdb_cluster.this.endpoint}:${aws_docdb_cluster.this.port}/chat?tls=true&tlsCAFile=global-bundle.pem&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false"
}

output "security_group_id" {
  description = "Security group of the cluster."
  value       = aws_security_group.this.id
}
