variable "name" {
  description = "Identifier prefix, e.g. chat-production."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the instance."
  type        = string
}

variable "database_subnet_ids" {
  description = "The isolated database subnets (three availability zones)."
  type        = list(string)
}

variable "allowed_cidr_blocks" {
  description = "Networks allowed to connect on 5432 (the private subnets' CIDRs)."
  type        = list(string)
}

variable "instance_class" {
  description = "Instance class, e.g. db.r6g.xlarge (production) or db.t4g.medium (staging)."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL 15 minor version; minor upgrades are applied automatically in the maintenance window."
  type        = string
  default     = "15"
}

variable "allocated_storage_gb" {
  description = "Initial gp3 storage."
  type        = number
  default     = 100
}

variable "max_allocated_storage_gb" {
  description = "Upper bound of storage autoscaling."
  type        = number
  default     = 1000
}

variable "multi_az" {
  description = "Synchronous standby in another availability zone."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days of automated backups and point-in-time recovery (30-35: the restore window the runbooks promise; 35 is RDS's maximum)."
  type        = number
  default     = 35

  validation {
    condition     = var.backup_retention_days >= 30 && var.backup_retention_days <= 35
    error_message = "Keep 30 to 35 days of backups (docs/operations.md, RPO and RTO)."
  }
}

variable "replicate_source_db" {
  description = "ARN of the primary region's instance, which this one replicates (the second region); empty for a primary instance."
  type        = string
  default     = ""
}

variable "deletion_protection" {
  description = "Refuse deletion of the instance."
  type        = bool
  default     = true
}

variable "databases" {
  description = "Map of service to its database (several services may share one); the bootstrap SQL output creates each database once (RDS itself creates only one)."
  type        = map(string)
}

variable "max_connections" {
  description = "max_connections of the parameter group; must cover every task's CHAT_POSTGRES_POOL_SIZE at the autoscaling maximum."
  type        = number
  default     = 500
}

variable "kms_key_arn" {
  description = "KMS key for storage, Performance Insights and the managed master password (iam module's data key)."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key of the exported log groups."
  type        = string
}

variable "log_retention_days" {
  description = "Days the exported PostgreSQL logs stay in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
