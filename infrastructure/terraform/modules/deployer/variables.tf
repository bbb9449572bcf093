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

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
