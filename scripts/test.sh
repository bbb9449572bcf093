#!/usr/bin/env bash
# Runs the whole test suite on this machine: installs what is missing, checks the code's format (swift format lint
# with .swift-format), starts the local stack of real servers, builds, runs every Swift test (unit and integration), then the static checks in scripts/checks/ and the fault suite
# (scripts/faults.sh, on a stack of its own), and stops the stack again. Exits non-zero if anything fails. Set
# CHAT_KEEP_STACK=1 to leave the stack running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started )) s"; }

./scripts/install.sh
status=0
# The format check: swift-format ships with the toolchain; `swift format format -i -r Services Shared Tests
# Package.swift` fixes what it finds.
if ! swift format lint --strict -r Services Shared Tests Package.swift; then
    echo "test: the format check failed"
    status=1
fi
if [ "${CHAT_KEEP_STACK:-0}" != 1 ]; then trap './scripts/stack.sh stop >/dev/null 2>&1 || true' EXIT; fi
./scripts/stack.sh start
echo "test: stack up after $(elapsed)"

swift build --build-tests
echo "test: build finished after $(elapsed)"
export CHAT_STACK_ENV="$PWD/.local/stack.env"
# The test process links libmongoc too: no shared-memory counters for it either (see scripts/stack.sh).
export MONGOC_DISABLE_SHM=1
CHAT_BIN_DIR="$(swift build --show-bin-path)"
export CHAT_BIN_DIR

swift test --skip-build || status=1
echo "test: swift tests finished after $(elapsed)"

for check in scripts/checks/*.sh; do
    [ -e "$check" ] || continue
    echo "test: running $check"
    bash "$check" || { echo "test: $check failed"; status=1; }
done
# The fault suite runs on a stack of its own and reuses the release build the container checks made.
echo "test: running scripts/faults.sh"
./scripts/faults.sh || { echo "test: scripts/faults.sh failed"; status=1; }
echo "test: fault suite finished after $(elapsed)"
echo "test: finished after $(elapsed) with status $status"
exit $status
