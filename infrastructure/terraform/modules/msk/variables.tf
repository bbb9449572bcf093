variable "name" {
  description = "Cluster name, e.g. chat-production (the iam module derives topic ARNs from it)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the brokers."
  type        = string
}

variable "private_subnet_ids" {
  description = "Three private subnets, one broker in each."
  type        = list(string)
}

variable "allowed_cidr_blocks" {
  description = "Networks allowed to reach the brokers (TLS 9094, SASL/SCRAM 9096, IAM 9098)."
  type        = list(string)
}

variable "kafka_version" {
  description = "Apache Kafka version of the brokers."
  type        = string
  default     = "3.6.0"
}

variable "broker_instance_type" {
  description = "Broker instance type, e.g. kafka.m7g.large (production) or kafka.t3.small (staging)."
  type        = string
}

variable "broker_count" {
  description = "Number of brokers; a multiple of the three subnets."
  type        = number
  default     = 3
}

variable "broker_volume_gb" {
  description = "EBS volume of each broker."
  type        = number
  default     = 500
}

variable "kms_key_arn" {
  description = "KMS key for data at rest (iam module's data key)."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key of the broker log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days broker logs stay in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "scram_secret_arns" {
  description = "AmazonMSK_ secrets (iam module) to associate for SASL/SCRAM. Associate them only once they hold a value."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
