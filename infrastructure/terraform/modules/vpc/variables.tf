variable "name" {
  description = "Name prefix of every resource, e.g. chat-production."
  type        = string
}

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC; a /16 leaves room for the subnet layout below."
  type        = string
  default     = "10.0.0.0/16"
}

variable "availability_zones" {
  description = "Exactly three availability zones; every tier gets one subnet in each."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 3
    error_message = "The layout needs exactly three availability zones."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for the whole VPC (cheaper, staging) instead of one per availability zone (production)."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Days the VPC flow logs are kept in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "logs_kms_key_arn" {
  description = "KMS key encrypting the flow log group (the iam module's logs key)."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
