variable "attachments_bucket_name" {
  description = "Name of the bucket holding user attachments (and avatars) below per-service prefixes."
  type        = string
}

variable "static_assets_bucket_name" {
  description = "Name of the bucket behind CloudFront; its bucket policy is written by the cloudfront module."
  type        = string
}

variable "backups_bucket_name" {
  description = "Name of the bucket receiving Redis snapshots (prefix redis/)."
  type        = string
}

variable "logs_bucket_name" {
  description = "Name of the bucket receiving ALB, CloudFront and S3 access logs."
  type        = string
}

variable "s3_kms_key_arn" {
  description = "KMS key of the attachments and static-assets buckets (iam module's s3 key)."
  type        = string
}

variable "data_kms_key_arn" {
  description = "KMS key of the backups bucket (iam module's data key)."
  type        = string
}

variable "cors_allowed_origins" {
  description = "Origins allowed to PUT/GET attachments directly with presigned URLs (the web client's origins)."
  type        = list(string)
  default     = []
}

variable "attachments_infrequent_access_days" {
  description = "Days after which attachments move to STANDARD_IA (older conversations are rarely opened)."
  type        = number
  default     = 90
}

variable "noncurrent_version_days" {
  description = "Days a replaced or deleted object version of the data buckets is kept (the window to undo a deletion)."
  type        = number
  default     = 30
}

variable "backup_expiry_days" {
  description = "Safety net for snapshots the rotation of redis-backup.sh did not remove (it keeps about four months)."
  type        = number
  default     = 200
}

variable "log_retention_days" {
  description = "Days access logs are kept."
  type        = number
  default     = 365
}

variable "attachments_replica_bucket_arn" {
  description = "Attachments bucket of the second region, which this region's attachments replicate to (replication.tf); empty for none."
  type        = string
  default     = ""
}

variable "attachments_replica_kms_key_arn" {
  description = "KMS key (in the second region) the replicas are encrypted with: that region's iam module s3 key."
  type        = string
  default     = ""
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets (never in production)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
