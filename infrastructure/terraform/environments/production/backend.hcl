# terraform init -backend-config=backend.hcl
# The state bucket is created once, outside this configuration (versioned, encrypted, public access blocked).
bucket       = "REPLACE-WITH-STATE-BUCKET"
key          = "chat-backend/production/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
