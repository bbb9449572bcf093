output "attachments_bucket_name" {
  description = "Name of the attachments bucket (CHAT_S3_BUCKET)."
  value       = aws_s3_bucket.data["attachments"].id
}

output "attachments_bucket_arn" {
  description = "ARN of the attachments bucket."
  value       = aws_s3_bucket.data["attachments"].arn
}

output "static_assets_bucket_name" {
  description = "Name of the static-assets bucket."
  value       = aws_s3_bucket.data["static-assets"].id
}

output "static_assets_bucket_arn" {
  description = "ARN of the static-assets bucket."
  value       = aws_s3_bucket.data["static-assets"].arn
}

output "static_assets_bucket_regional_domain_name" {
  description = "Regional domain name of the static-assets bucket (the CloudFront origin)."
  value       = aws_s3_bucket.data["static-assets"].bucket_regional_domain_name
}

output "backups_bucket_name" {
  description = "Name of the backups bucket."
  value       = aws_s3_bucket.data["backups"].id
}

output "backups_bucket_arn" {
  description = "ARN of the backups bucket."
  value       = aws_s3_bucket.data["backups"].arn
}

output "logs_bucket_name" {
  description = "Name of the log bucket (ALB under alb/, CloudFront under cloudfront/, S3 under s3/)."
  value       = aws_s3_bucket.logs.id
}

output "logs_bucket_domain_name" {
  description = "Domain name of the log bucket, as CloudFront's logging configuration wants it."
  value       = aws_s3_bucket.logs.bucket_domain_name
}
