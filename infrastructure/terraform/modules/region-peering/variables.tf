variable "name" {
  description = "Name prefix, e.g. chat-production-r2."
  type        = string
}

variable "mode" {
  description = "none, request (the second region) or accept (the writer region)."
  type        = string
  default     = "none"

  validation {
    condition     = contains(["none", "request", "accept"], var.mode)
    error_message = "mode is none, request or accept."
  }
}

variable "vpc_id" {
  description = "This region's VPC."
  type        = string
}

variable "route_table_ids" {
  description = "Route tables that get a route to the peer's CIDR (the private subnets', where tasks and nodes run)."
  type        = list(string)
}

variable "peer_vpc_id" {
  description = "The other region's VPC (request mode)."
  type        = string
  default     = ""
}

variable "peer_region" {
  description = "The other region."
  type        = string
  default     = ""
}

variable "peer_cidr_block" {
  description = "The other region's VPC CIDR; it must not overlap this one."
  type        = string
  default     = ""
}

variable "peering_connection_id" {
  description = "The request to accept (accept mode): the other region's output peering_connection_id."
  type        = string
  default     = ""
}

variable "peer_service_discovery_zone_id" {
  description = "Hosted zone of the writer region's Cloud Map namespace, associated with this VPC (request mode)."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
