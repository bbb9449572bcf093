#!/usr/bin/env bash
# Starts everything locally: installs what is missing, starts the backing servers, builds, starts the five
# services, waits until each answers /ready with 200 and prints the gateway's address. Ctrl-C stops it all.
# CHAT_BUILD_CONFIGURATION=release builds optimised binaries (slower to build).
set -euo pipefail
cd "$(dirname "$0")/.."
configuration=${CHAT_BUILD_CONFIGURATION:-debug}

./scripts/install.sh
./scripts/stack.sh start
swift build -c "$configuration"
bin="$(swift build -c "$configuration" --show-bin-path)"

set -a
# shellcheck disable=SC1091
. .local/stack.env
# Local use only: push targets may be webhook receivers on this machine (as in docker/docker-compose.yml).
export CHAT_PUSH_ALLOW_PRIVATE_TARGETS=true
set +a
mkdir -p .local/logs
pids=()
stopping=0
shutdown() {
    trap - INT TERM EXIT
    stopping=1
    echo "run: stopping services"
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait "${pids[@]}" 2>/dev/null || true
    ./scripts/stack.sh stop
    exit 0
}
trap shutdown INT TERM EXIT

# Each service listens on its default port (8080-8084) and logs JSON lines to .local/logs/<service>.log. Each runs in
# a session of its own, so that Ctrl-C reaches this script only, which stops them in order.
for service in auth user chat notification api-gateway; do
    setsid "$bin/$service" >".local/logs/$service.log" 2>&1 </dev/null &
    pids+=($!)
done
for port in 8081 8082 8083 8084 8080; do
    for _ in $(seq 300); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready")" = 200 ] && break
        sleep 0.2
    done
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready")" != 200 ]; then
        echo "run: the service on port $port is not ready:" >&2
        curl -s "http://127.0.0.1:$port/ready" >&2 || true
        exit 1
    fi
done
echo "run: all five services are ready"
echo "run: web client and API at http://127.0.0.1:8080 (API description at /v1/openapi.json; gateway metrics at http://127.0.0.1:9090/metrics)"
echo "run: auth 8081, user 8082, chat 8083, notification 8084; logs in .local/logs/"
echo "run: press Ctrl-C to stop"
wait -n "${pids[@]}" || true
if [ "$stopping" = 0 ]; then echo "run: a service exited; see .local/logs/" >&2; fi
