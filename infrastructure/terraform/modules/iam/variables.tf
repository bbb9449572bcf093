variable "name" {
  description = "Name prefix, e.g. chat-production. Secrets are created under chat/<environment>/."
  type        = string
}

variable "environment" {
  description = "Environment name (staging, production); part of secret names."
  type        = string
}

variable "services" {
  description = "The services catalogue (services module output): per service its kafka_produce, kafka_consume and s3_prefixes."
  type = map(object({
    port          = number
    database      = string
    kafka_produce = list(string)
    kafka_consume = list(string)
    s3_prefixes   = list(string)
    public        = bool
  }))
}

variable "attachments_bucket_name" {
  description = "Name of the attachments bucket; task roles get access only below their service's prefixes in it."
  type        = string
}

variable "msk_cluster_name" {
  description = "Name of the MSK cluster; topic and group ARNs are derived from it so that this module can be applied first."
  type        = string
}

variable "ecr_repository_prefix" {
  description = "ECR repositories are <prefix>/<service>; each execution role may pull only its own."
  type        = string
}

variable "eks_oidc_provider_arn" {
  description = "IAM OIDC provider of an EKS cluster. When set, each task role also trusts the Kubernetes service account chat/<service> (IRSA)."
  type        = string
  default     = ""
}

variable "eks_namespace" {
  description = "Kubernetes namespace of the service accounts trusted through IRSA."
  type        = string
  default     = "chat"
}

variable "kms_deletion_window_days" {
  description = "Waiting period before a deleted KMS key is destroyed."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "s3_static_credentials" {
  description = "Create an IAM user per service with S3 prefixes, limited to them, whose access key goes into the service's secret (CHAT_S3_ACCESS_KEY_ID / CHAT_S3_SECRET_ACCESS_KEY). Needed while the services' S3 client reads only static keys; set false once it uses the task role."
  type        = bool
  default     = true
}
