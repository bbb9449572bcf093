variable "name" {
  description = "Identifier prefix, e.g. chat-production."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "database_subnet_ids" {
  description = "The isolated database subnets (three availability zones)."
  type        = list(string)
}

variable "allowed_cidr_blocks" {
  description = "Networks allowed to connect on 27017 (the private subnets' CIDRs)."
  type        = list(string)
}

variable "instance_class" {
  description = "Instance class, e.g. db.r6g.large (production) or db.t4g.medium (staging)."
  type        = string
}

variable "instance_count" {
  description = "Instances in the cluster: one primary, the rest replicas spread over the availability zones."
  type        = number
  default     = 3
}

variable "engine_version" {
  description = "DocumentDB engine version (MongoDB API compatibility)."
  type        = string
  default     = "5.0.0"
}

variable "backup_retention_days" {
  description = "Days of continuous backup (30-35: the restore window the runbooks promise; 35 is DocumentDB's maximum)."
  type        = number
  default     = 35

  validation {
    condition     = var.backup_retention_days >= 30 && var.backup_retention_days <= 35
    error_message = "Keep 30 to 35 days of backups (docs/operations.md, RPO and RTO)."
  }
}

variable "global_role" {
  description = "none (one region), primary (this cluster founds the global cluster) or secondary (it joins the global cluster as a read-only copy)."
  type        = string
  default     = "none"

  validation {
    condition     = contains(["none", "primary", "secondary"], var.global_role)
    error_message = "global_role is none, primary or secondary."
  }
}

variable "global_cluster_identifier" {
  description = "Name of the global cluster (both regions use the same)."
  type        = string
  default     = ""
}

variable "deletion_protection" {
  description = "Refuse deletion of the cluster."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key for storage and the managed master password (iam module's data key)."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key of the exported log groups."
  type        = string
}

variable "log_retention_days" {
  description = "Days the audit and profiler logs stay in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
