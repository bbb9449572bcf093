variable "name" {
  description = "Name prefix, e.g. chat-production."
  type        = string
}

variable "zone_id" {
  description = "Public hosted zone of the API's host name."
  type        = string
}

variable "record_name" {
  description = "The API's host name, shared by the regions (e.g. api.chat.example.com)."
  type        = string
}

variable "regional_record_name" {
  description = "This region's own host name (e.g. api-eu-west-1.chat.example.com), covered by the ALB's certificate."
  type        = string
}

variable "region" {
  description = "This region (the latency record's region and set identifier)."
  type        = string
}

variable "alb_dns_name" {
  description = "DNS name of this region's ALB (ecs module)."
  type        = string
}

variable "alb_zone_id" {
  description = "Hosted zone of this region's ALB (ecs module)."
  type        = string
}

variable "health_check_path" {
  description = "The gateway's readiness on its public port."
  type        = string
  default     = "/ready"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
