#!/usr/bin/env bash
# The product's throughput ladder, with all five services running as the README starts them:
#
#   ./scripts/bench.sh                     # ladder 250 → 3,000 messages/s, 20 s a step
#   BENCH_RATES=500,1000 BENCH_STEP_SECONDS=10 ./scripts/bench.sh
#   ./scripts/bench.sh idle                # memory per idle WebSocket at 1,000 / 5,000 / 10,000 sockets
#   BENCH_PERF=chat ./scripts/bench.sh     # also records the named service with perf (call graphs) during the ladder
#
# It installs what is missing, starts the local stack, makes the release build of scripts/checks/containers.sh
# (same command, same .build-release), starts the five services on ports 27080-27084 with only the test's rate
# limits raised (sign-ups, requests and sends per user and per address), and runs ChatLoad: 100 users in groups of
# 10, every user online, each step followed by a 5 s drain. ChatLoad takes each process's CPU time from /proc per
# step: the five services, the load program, and the stand-ins (PostgreSQL with its backends, nx-27017, the Kafka
# mock, the six Redis nodes). Results: .local/bench/ladder.json and ladder.png (p50/p99 against rate, CPU per
# process); it prints the highest rate with p99 < 50 ms and nothing lost or duplicated, and the product's CPU per
# delivered message at each rate. The idle run writes .local/bench/idle.json. Services' logs: .local/bench/logs/;
# their /metrics at the end of the ladder: .local/bench/metrics/.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-ladder}
rates=${BENCH_RATES:-250,500,1000,1500,2000,2500,3000}
step=${BENCH_STEP_SECONDS:-20}
out=.local/bench
scratch=.build-release
mkdir -p "$out/logs"

./scripts/install.sh
python3 -c 'import matplotlib' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check matplotlib
./scripts/stack.sh start
echo "bench: release build in $scratch"
swift build -c release --static-swift-stdlib --scratch-path "$scratch" >"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }
bin=$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)

# 10,000 relayed sockets hold 20,000 descriptors in the gateway: raise the soft limit as far as the hard one allows.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

set -a
# shellcheck disable=SC1091 # written by scripts/stack.sh
. .local/stack.env
set +a
export CHAT_UPSTREAM_AUTH=http://127.0.0.1:27081 CHAT_UPSTREAM_USER=http://127.0.0.1:27082
export CHAT_UPSTREAM_CHAT=http://127.0.0.1:27083 CHAT_UPSTREAM_NOTIFICATION=http://127.0.0.1:27084
export CHAT_ADMIN_PORT=27090
# The test's limits: the load program signs up and sends from one address, far above one person's pace.
export CHAT_RATE_LIMIT_PER_USER=1000000 CHAT_RATE_LIMIT_PER_ADDRESS=1000000 CHAT_REGISTER_LIMIT_PER_ADDRESS=1000000
export CHAT_SEND_BUDGET_PER_SECOND=1000 CHAT_SEND_BUDGET_BURST=1000

declare -A ports=([api-gateway]=27080 [auth]=27081 [user]=27082 [chat]=27083 [notification]=27084)
declare -A pids=()
stop_services() {
    for service in "${!pids[@]}"; do kill -TERM "${pids[$service]}" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap stop_services EXIT
# A service left running on one of these ports would answer the readiness checks and the load in place of this build's.
for port in "${ports[@]}" "$CHAT_ADMIN_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "bench: port $port is already in use; stop what listens there first" >&2
        exit 1
    fi
done
for service in auth user chat notification api-gateway; do
    CHAT_HTTP_PORT=${ports[$service]} "$bin/$service" >"$out/logs/$service.log" 2>&1 </dev/null &
    pids[$service]=$!
done
for service in auth user chat notification api-gateway; do
    ready=""
    for _ in $(seq 300); do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${ports[$service]}/ready")" = 200 ]; then ready=1; break; fi
        sleep 0.2
    done
    [ -n "$ready" ] || { echo "bench: $service is not ready; see $out/logs/$service.log" >&2; exit 1; }
done
echo "bench: five services ready on 27080-27084"

watch=""
for service in api-gateway auth user chat notification; do watch+="$service=${pids[$service]},"; done
watch+="postgres=$(cat .local/run/postgres.pid)+,nx-27017=$(cat .local/run/mongo.pid),kafka-mock=$(cat .local/run/kafka.pid)"
for port in 7000 7001 7002 7003 7004 7005; do watch+=",redis=$(cat ".local/run/redis-$port.pid")"; done

if [ "$mode" = idle ]; then
    "$bin/ChatLoad" --gateway http://127.0.0.1:27080 --idle 1000,5000,10000 \
        --processes "api-gateway=${pids[api-gateway]},chat=${pids[chat]}" --json "$out/idle.json"
    exit 0
fi

perf_pid=""
if [ -n "${BENCH_PERF:-}" ]; then
    perf record -F "${BENCH_PERF_HZ:-499}" --call-graph "${BENCH_PERF_CALL_GRAPH:-fp}" -o "$out/perf-$BENCH_PERF.data" -p "${pids[$BENCH_PERF]}" >"$out/perf-record.log" 2>&1 &
    perf_pid=$!
fi
"$bin/ChatLoad" --gateway http://127.0.0.1:27080 --users 100 --group-size 10 --rates "$rates" --duration "$step" \
    --drain 5 --processes "$watch" --json "$out/ladder.json" | tee "$out/ladder.txt"
# What the services counted during the ladder (writer batch sizes, stage latencies, …), for the figures' why.
mkdir -p "$out/metrics"
for service in auth user chat notification; do
    curl -s "http://127.0.0.1:${ports[$service]}/metrics" >"$out/metrics/$service.prom" || true
done
curl -s "http://127.0.0.1:$CHAT_ADMIN_PORT/metrics" >"$out/metrics/api-gateway.prom" || true
if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid"
    wait "$perf_pid" || true
    perf report -i "$out/perf-$BENCH_PERF.data" --no-children --percent-limit 0.7 --stdio -g none \
        >"$out/perf-$BENCH_PERF.txt" 2>/dev/null
    echo "bench: perf profile of $BENCH_PERF in $out/perf-$BENCH_PERF.txt (perf report -i $out/perf-$BENCH_PERF.data for call graphs)"
fi
python3 - "$out" <<'PY'
import json, pathlib, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

out = pathlib.Path(sys.argv[1])
steps = json.loads((out / "ladder.json").read_text())["steps"]
rates = [s["targetRate"] for s in steps]
fig, (latency, cpu) = plt.subplots(1, 2, figsize=(13, 5))
for key, style in (("p50", "o-"), ("p99", "s-")):
    latency.plot(rates, [s["deliveryLatencyMs"][key] for s in steps], style, label=f"delivery {key}")
latency.axhline(50, color="grey", linestyle="--", linewidth=0.8, label="50 ms")
latency.set_yscale("log")
latency.set_xlabel("messages/s (groups of 10: 9 deliveries each)")
latency.set_ylabel("ms (send → deliver)")
latency.legend()
latency.set_title("Latency against rate")
names = sorted({n for s in steps for n in s["cpuPercent"]}, key=lambda n: -max(s["cpuPercent"].get(n, 0) for s in steps))
bottom = [0.0] * len(steps)
for name in names:
    values = [s["cpuPercent"].get(name, 0) for s in steps]
    cpu.bar([str(r) for r in rates], values, bottom=bottom, label=name)
    bottom = [b + v for b, v in zip(bottom, values)]
cpu.set_xlabel("messages/s")
cpu.set_ylabel("% of one core (2 cores = 200 %)")
cpu.legend(fontsize=7)
cpu.set_title("CPU per process")
fig.tight_layout()
fig.savefig(out / "ladder.png", dpi=110)

print("\nrate/s  acked/s  lost  dup  p50 ms  p99 ms  product CPU %  ms CPU/delivery")
best = None
for s in steps:
    ok = s["deliveryLatencyMs"]["p99"] < 50 and s["lost"] == 0 and s["duplicated"] == 0
    if ok:
        best = s["targetRate"]
    print(f'{s["targetRate"]:6}  {s["achievedRate"]:7.0f}  {s["lost"]:4}  {s["duplicated"]:3}  '
          f'{s["deliveryLatencyMs"]["p50"]:6.1f}  {s["deliveryLatencyMs"]["p99"]:6.1f}  '
          f'{s["productCpuPercent"]:13.0f}  {s["productCpuMsPerDelivery"]:15.4f}{"" if ok else "  (over)"}')
print(f"\nhighest rate with p99 < 50 ms, 0 lost, 0 duplicated: {best if best else 'none'} messages/s")
print(f"plot: {out / 'ladder.png'}, figures: {out / 'ladder.json'}")
PY
