variable "name" {
  description = "Name prefix, e.g. chat-production."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the instances."
  type        = string
}

variable "vpc_cidr_block" {
  description = "Only this network may reach 6379 (clients) and 16379 (cluster bus)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Three private subnets, one per availability zone, in the order of private_subnet_cidrs."
  type        = list(string)
}

variable "private_subnet_cidrs" {
  description = "CIDRs of private_subnet_ids; each node gets a fixed address in its subnet so that the node list is known at boot."
  type        = list(string)
}

variable "host_offset" {
  description = "Fixed addresses are host_offset + 0 (masters) and host_offset + 1 (replicas) within each private subnet."
  type        = number
  default     = 10
}

variable "instance_type" {
  description = "Instance type of the six nodes, e.g. r7g.large (production) or t4g.small (staging); the AMI must match its architecture."
  type        = string
}

variable "ami_ssm_parameter" {
  description = "SSM parameter naming the Debian 12 AMI (its architecture must match instance_type)."
  type        = string
  default     = "/aws/service/debian/release/12/latest/arm64"
}

variable "root_volume_gb" {
  description = "Root volume (holds the RDB and AOF files): at least three times maxmemory."
  type        = number
  default     = 50
}

variable "maxmemory" {
  description = "maxmemory of each node, e.g. 10gb; leave about a quarter of the instance's memory for forks and buffers."
  type        = string
}

variable "node_timeout_ms" {
  description = "cluster-node-timeout: how long a master may be unreachable before its replica takes over."
  type        = number
  default     = 5000
}

variable "kms_key_arn" {
  description = "KMS key of the volumes and of the backups bucket (iam module's data key)."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key of the instances' log group."
  type        = string
}

variable "redis_secret_arn" {
  description = "Secret holding the Redis password (iam module)."
  type        = string
}

variable "tls_enabled" {
  description = "Serve TLS only (clients on 6379, cluster bus, replication), with the certificate of redis_tls_secret_arn; the services then set CHAT_REDIS_TLS=true."
  type        = bool
  default     = true
}

variable "redis_tls_secret_arn" {
  description = "Secret holding the nodes' TLS material as JSON {certificate, private_key, ca_certificate} (PEM; iam module). The certificate's SANs name the six node addresses."
  type        = string
  default     = ""
}

variable "peer_client_cidr_blocks" {
  description = "Networks of peered VPCs whose clients may reach 6379 (the other region's gateways when this region writes)."
  type        = list(string)
  default     = []
}

variable "secrets_kms_key_arn" {
  description = "KMS key of the secret (iam module's secrets key)."
  type        = string
}

variable "backups_bucket_name" {
  description = "Bucket receiving the snapshots under redis/ (s3 module)."
  type        = string
}

variable "init_script_path" {
  description = "The node init script embedded in the user data."
  type        = string
  default     = null
}

variable "backup_script_path" {
  description = "The backup script embedded in the user data."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Days the instances' logs stay in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "termination_protection" {
  description = "Protect the instances against accidental termination."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
