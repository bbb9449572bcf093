output "role_arn" {
  description = "The role the pipeline's deploy action for this environment assumes (its DEPLOY_ROLE_ARN)."
  value       = aws_iam_role.this.arn
}
