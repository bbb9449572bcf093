variable "name" {
  description = "Name prefix of the pipeline's resources, e.g. chat-production (the account that builds)."
  type        = string
}

variable "connection_arn" {
  description = "AWS CodeConnections connection to the source repository (created and authorised once in the console)."
  type        = string
}

variable "repository_id" {
  description = "Source repository, owner/name."
  type        = string
}

variable "branch" {
  description = "Branch whose pushes start the pipeline."
  type        = string
  default     = "main"
}

variable "vpc_id" {
  description = "VPC of the CodeBuild projects (the smoke test reaches the test listeners from its NAT addresses)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (with NAT) of the CodeBuild projects."
  type        = list(string)
}

variable "ecr_repository_prefix" {
  description = "ECR namespace the build pushes to (<prefix>/<service>)."
  type        = string
}

variable "build_image" {
  description = "Image of the CodeBuild projects: the Swift toolchain on Debian 12, from ECR Public's copy of the Docker official image (no Docker Hub rate limit)."
  type        = string
  default     = "public.ecr.aws/docker/library/swift:6.3.1-bookworm"
}

variable "build_compute_type" {
  description = "Compute of the build project: the tests and five release builds need 7 GB of memory or more."
  type        = string
  default     = "BUILD_GENERAL1_LARGE"
}

variable "targets" {
  description = "Where the release goes, in order: per target its name (stage name), whether a manual approval comes first, the role to assume there (modules/deployer; empty: this account's own role), its region, ECS cluster, CodeDeploy application, the test listener the smoke test uses, and the static-assets bucket and CloudFront distribution of the web client (empty where the target has none)."
  type = list(object({
    name              = string
    approval_before   = bool
    deployer_role_arn = string
    region            = string
    ecs_cluster       = string
    codedeploy_app    = string
    smoke_gateway_url = string
    static_assets     = string
    web_distribution  = string
  }))
}

variable "approval_topic_arn" {
  description = "SNS topic told when a release waits for approval; empty for none."
  type        = string
  default     = ""
}

variable "kms_key_arn" {
  description = "KMS key of the artifacts, the build logs and the projects (iam module's logs key)."
  type        = string
}

variable "logs_bucket_name" {
  description = "Bucket receiving the artifact bucket's access logs (prefix s3/)."
  type        = string
}

variable "log_retention_days" {
  description = "Days the build logs stay in CloudWatch Logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
