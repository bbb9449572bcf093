variable "name" {
  description = "Name prefix, e.g. chat-staging; the role is <name>-deployer."
  type        = string
}

variable "trusted_role_arns" {
  description = "Roles that may assume this one: the pipeline's deploy projects (modules/pipeline output deploy_role_arns)."
  type        = list(string)
}

variable "cluster_name" {
  description = "ECS cluster of the environment's services (ecs module)."
  type        = string
}

variable "codedeploy_app_name" {
  description = "CodeDeploy application of the gateway's blue/green deployments (ecs module)."
  type        = string
}

variable "passable_role_arns" {
  description = "The task and execution roles a new task definition revision may name (iam module)."
  type        = list(string)
}

variable "ecr_repository_prefix" {
  description = "ECR namespace of the images (<prefix>/<service>)."
  type        = string
}

variable "static_assets_bucket_arn" {
  description = "The web client's bucket (s3 module); empty where the environment serves none (the second region)."
  type        = string
  default     = ""
}

variable "static_assets_kms_key_arn" {
  description = "KMS key of that bucket (iam module's s3 key)."
  type        = string
  default     = ""
}

variable "web_distribution_arn" {
  description = "CloudFront distribution of the web client, whose cache a release invalidates; empty for none."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
