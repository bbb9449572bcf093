output "distribution_id" {
  description = "ID of the distribution (for invalidations after a web client release)."
  value       = aws_cloudfront_distribution.this.id
}

output "distribution_arn" {
  description = "ARN of the distribution."
  value       = aws_cloudfront_distribution.this.arn
}

output "domain_name" {
  description = "CloudFront domain name; point the aliases (CNAME or alias records) at it."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "hosted_zone_id" {
  description = "Hosted zone of the distribution, for alias records."
  value       = aws_cloudfront_distribution.this.hosted_zone_id
}
