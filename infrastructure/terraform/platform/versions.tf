terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
      # CloudFront's certificate and web ACL live in us-east-1: the environment passes a provider for that region as
      # aws.us_east_1, which this module hands on to the cloudfront module.
      configuration_aliases = [aws.us_east_1]
    }
  }
}
