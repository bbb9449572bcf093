output "pipeline_name" {
  description = "The release pipeline."
  value       = aws_codepipeline.this.name
}

output "build_project_name" {
  description = "CodeBuild project of the build stage (buildspec.yml)."
  value       = aws_codebuild_project.build.name
}

output "deploy_role_arn" {
  description = "Role of the deploy projects: each target's deployer role (modules/deployer) must trust it."
  value       = aws_iam_role.deploy.arn
}

output "artifacts_bucket" {
  description = "Bucket of the pipeline's artifacts."
  value       = aws_s3_bucket.artifacts.bucket
}
