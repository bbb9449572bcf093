terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
      # CloudFront's web ACL must live in us-east-1: the caller passes a provider for that region as aws.us_east_1.
      configuration_aliases = [aws.us_east_1]
    }
  }
}
