variable "name" {
  description = "Name prefix, e.g. chat-production."
  type        = string
}

variable "monthly_limit_usd" {
  description = "Monthly cost budget in USD."
  type        = number

  validation {
    condition     = var.monthly_limit_usd > 0
    error_message = "A budget needs a positive limit."
  }
}

variable "forecast_percent" {
  description = "Share of the limit the month's forecast may reach before a notice."
  type        = number
  default     = 80
}

variable "tag_key" {
  description = "Cost allocation tag that selects the environment's resources."
  type        = string
  default     = "Environment"
}

variable "tag_value" {
  description = "Its value, e.g. production."
  type        = string
}

variable "sns_topic_arn" {
  description = "Topic of the notices (the monitoring module's warning topic)."
  type        = string
}

variable "emails" {
  description = "Addresses that also get the notices."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
