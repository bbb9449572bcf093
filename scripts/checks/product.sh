#!/usr/bin/env bash
# Product checks against the running services, after the Swift tests, with the local stack up (scripts/test.sh):
# the OpenAPI document's validity, the WebSocket frame types' documentation, schemathesis over every operation,
# the web client in headless Chromium (two people, a chat restart), and `chatctl smoke`. The five service
# binaries come from $CHAT_BIN_DIR (the debug build's bin dir) and run on ports 28080-28084 with the stack's
# environment (.local/stack.env, or $CHAT_STACK_ENV); logs go to .local/product/, screenshots to .local/screenshots/.
#
# Installs nothing: the tools come from scripts/apt-packages.txt (chromium, chromium-driver) and
# scripts/requirements-checks.txt (openapi-spec-validator, schemathesis, selenium).
#
# One line per check, then "product: N passed, M failed"; exits non-zero if any check failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
export CHAT_BIN_DIR="${CHAT_BIN_DIR:-$ROOT/.build/debug}"
export CHAT_STACK_ENV="${CHAT_STACK_ENV:-$ROOT/.local/stack.env}"
export PYTHONDONTWRITEBYTECODE=1
exec python3 Tests/Product/run_checks.py
