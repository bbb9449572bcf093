# terraform init -backend-config=backend.hcl
# The same state bucket as production's primary region, another key (the bucket lives in the primary region).
bucket       = "REPLACE-WITH-STATE-BUCKET"
key          = "chat-backend/production-r2/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
