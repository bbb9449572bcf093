#!/usr/bin/env bash
# The fault suite: the whole product under a steady chat load while its backing servers fail one at a time, then a
# login storm (Tests/FaultSuite). It runs against a stack of its own, so that killing and restarting servers breaks
# nothing anyone else uses:
#   1. starts an isolated stack (state in .local/faults/stack, ports moved by CHAT_FAULTS_PORT_OFFSET, default 300);
#   2. builds the release binaries, or finds them built: the same command as scripts/checks/containers.sh in the same
#      scratch folder (CHAT_SCRATCH_PATH, default .build-release), so nothing is built twice;
#   3. runs FaultSuite, which starts the five services (two chat instances) on ports 20080-20085 and prints the
#      results table; the report goes to .local/faults/fault-suite.json;
#   4. stops the isolated stack and any service process the suite left behind.
# Arguments are passed to FaultSuite (e.g. --rate 500, --only chat-instance,login-storm; --help lists them).
# Exits with the suite's status: non-zero on any violation.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
scratch=${CHAT_SCRATCH_PATH:-.build-release}
output=.local/faults
export CHAT_STATE_DIR="$PWD/$output/stack"
export CHAT_STACK_PORT_OFFSET=${CHAT_FAULTS_PORT_OFFSET:-300}
stack=(postgres redis kafka mongo s3)

# shellcheck disable=SC2317 # called by the trap
cleanup() {
    # Services the suite started and could not stop (it records their PIDs).
    local pid
    if [ -f "$output/product.pids" ]; then
        while read -r pid; do
            if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
        done < "$output/product.pids"
    fi
    ./scripts/stack.sh stop "${stack[@]}" >/dev/null 2>&1 || true
}
trap cleanup EXIT

mkdir -p "$output"
./scripts/stack.sh start "${stack[@]}"
echo "faults: isolated stack up (port offset $CHAT_STACK_PORT_OFFSET) after $(( $(date +%s) - started )) s"

mkdir -p "$scratch"
if ! swift build -c release --static-swift-stdlib --scratch-path "$scratch" >"$output/build.log" 2>&1; then
    echo "faults: release build failed (last lines of $output/build.log):"
    tail -n 20 "$output/build.log"
    exit 1
fi
bin=$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)
echo "faults: release binaries ready after $(( $(date +%s) - started )) s"

status=0
"$bin/FaultSuite" --bin-dir "$bin" --stack-env "$CHAT_STATE_DIR/stack.env" --stack-script scripts/stack.sh \
    --output-dir "$output" "$@" || status=$?
echo "faults: finished after $(( $(date +%s) - started )) s with status $status"
exit $status
