variable "name" {
  description = "Name prefix, e.g. chat-production."
  type        = string
}

variable "static_assets_bucket_name" {
  description = "The static-assets bucket (s3 module); this module writes its bucket policy."
  type        = string
}

variable "static_assets_bucket_arn" {
  description = "ARN of the static-assets bucket."
  type        = string
}

variable "static_assets_bucket_regional_domain_name" {
  description = "Regional domain name of the static-assets bucket (the origin)."
  type        = string
}

variable "aliases" {
  description = "Host names of the distribution, e.g. [\"app.example.com\"]."
  type        = list(string)
}

variable "acm_certificate_arn" {
  description = "ACM certificate for the aliases; CloudFront requires it to be in us-east-1."
  type        = string
}

variable "logs_bucket_domain_name" {
  description = "Domain name of the log bucket (s3 module); logs go under cloudfront/."
  type        = string
}

variable "price_class" {
  description = "CloudFront price class (edge locations used)."
  type        = string
  default     = "PriceClass_100"
}

variable "default_root_object" {
  description = "Object served for the root URL."
  type        = string
  default     = "index.html"
}

variable "waf_rate_limit" {
  description = "Requests per client IP per 5 minutes above which the distribution's WAF blocks."
  type        = number
  default     = 5000
}

variable "geo_restriction_type" {
  description = "none, whitelist or blacklist."
  type        = string
  default     = "blacklist"
}

variable "geo_restriction_locations" {
  description = "ISO 3166 country codes for geo_restriction_type. The default blocks comprehensively embargoed countries; review it with legal counsel."
  type        = list(string)
  default     = ["CU", "IR", "KP", "SY"]
}

variable "log_retention_days" {
  description = "Days the WAF logs stay in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
