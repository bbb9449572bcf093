terraform {
  # No provider: this module only computes values, so `terraform validate` works on it without downloads.
  required_version = ">= 1.10.0"
}
