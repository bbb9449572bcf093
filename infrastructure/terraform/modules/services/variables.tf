variable "overrides" {
  description = "Per-service changes merged over the catalogue below, e.g. { chat = { s3_prefixes = [\"attachments/\", \"exports/\"] } }."
  type        = map(any)
  default     = {}
}
