#!/usr/bin/env bash
# Runs infrastructure/redis/redis-node-init.sh against a temporary directory with six local nodes on ports
# 7200-7205 (cluster bus 17200-17205) and checks the cluster it forms: 3 masters, 3 replicas, every replica in
# another "zone" than its master (zone = node index mod 3, as on EC2), cluster_state:ok everywhere, keys written and
# read through `redis-cli -c`, password required, persistence files present, a second run leaving the cluster alone, and a snapshot
# shipped by redis-backup.sh (local directory mode).
#
# Then the same script with REDIS_TLS=1 on ports 7210-7215 (bus 17210-17215), with a CA and a node certificate that
# openssl makes here: no plaintext port, cluster bus and replication over TLS (replicas connected, cluster_state ok),
# keys through `redis-cli --tls -c`, a client trusting another CA refused, snapshots shipped over TLS.
#
# The twelve servers are stopped by PID and the directory removed on every exit. Ports 7000-7005 and 7100-7105 belong
# to the local stack (scripts/stack.sh: its cluster and its failover-test cluster) and are never touched.
set -euo pipefail

# The caller's REDIS_* settings (a password, a backup destination, ...) must not change what is tested.
unset "${!REDIS_@}"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
INIT=$ROOT/infrastructure/redis/redis-node-init.sh
BACKUP=$ROOT/infrastructure/redis/redis-backup.sh
BASE=7200
PORTS=(7200 7201 7202 7203 7204 7205)
NODES=$(printf '127.0.0.1:%s,' "${PORTS[@]}")
NODES=${NODES%,}
TLS_BASE=7210
TLS_PORTS=(7210 7211 7212 7213 7214 7215)
TLS_NODES=$(printf '127.0.0.1:%s,' "${TLS_PORTS[@]}")
TLS_NODES=${TLS_NODES%,}
# Production nodes require a password (requirepass + masterauth); so does this cluster. The test's own redis-cli
# calls read it from REDISCLI_AUTH.
PASSWORD="infra-check-$RANDOM-$RANDOM"
export REDISCLI_AUTH=$PASSWORD

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

for port in "${PORTS[@]}" "${TLS_PORTS[@]}"; do
  for p in "$port" "$((port + 10000))"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      fail "port $p is already in use; refusing to touch whatever listens there"
    fi
  done
done

WORK=$(mktemp -d)
cleanup() {
  local port pid pids=()
  for port in "${PORTS[@]}" "${TLS_PORTS[@]}"; do
    [[ -f $WORK/$port/redis.pid ]] || continue
    pid=$(<"$WORK/$port/redis.pid")
    # Only a redis-server of ours: the pid file could be stale and the number reused.
    if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "redis-server.*:$port"; then
      kill "$pid" 2>/dev/null && pids+=("$pid")
    fi
  done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive == 0)) && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run_init() {
  REDIS_PASSWORD=$PASSWORD REDIS_DATA_DIR=$WORK REDIS_PORTS="${PORTS[*]}" REDIS_BIND=127.0.0.1 REDIS_CLUSTER_NODES=$NODES \
    REDIS_FORM_CLUSTER=1 REDIS_SERVICE_MANAGER=daemon REDIS_INSTALL_PACKAGES=0 REDIS_INSTALL_CLOUDWATCH_AGENT=0 \
    REDIS_NODE_TIMEOUT_MS=2000 REDIS_WAIT_SECONDS=30 timeout 120 "$INIT"
}

run_init >"$WORK/init.log" 2>&1 || {
  cat "$WORK/init.log" >&2
  fail "redis-node-init.sh failed"
}

for port in "${PORTS[@]}"; do
  [[ $(env -u REDISCLI_AUTH redis-cli -p "$port" ping 2>&1) == *NOAUTH* ]] || fail "node $port answers without the password"
  state=$(redis-cli -p "$port" cluster info | tr -d '\r' | awk -F: '$1 == "cluster_state" { print $2 }')
  [[ $state == ok ]] || fail "node $port: cluster_state:$state"
  [[ -d $WORK/$port/appendonlydir ]] || fail "node $port has no AOF directory"
done

nodes=$(redis-cli -p "$BASE" cluster nodes | tr -d '\r')
masters=$(awk '$3 ~ /master/' <<<"$nodes" | wc -l)
replicas=$(awk '$3 ~ /slave/' <<<"$nodes" | wc -l)
((masters == 3 && replicas == 3)) || fail "expected 3 masters and 3 replicas, got $masters and $replicas"

# Zone of a node = its index in the node list mod 3; a replica must not share its master's zone.
zone() { echo $((($1 - BASE) % 3)); }
while read -r _ addr flags master _; do
  [[ $flags == *slave* ]] || continue
  port=${addr%@*}
  port=${port##*:}
  master_port=$(awk -v id="$master" '$1 == id { split($2, a, "[:@]"); print a[2] }' <<<"$nodes")
  [[ $(zone "$port") != $(zone "$master_port") ]] || fail "replica $port shares zone $(zone "$port") with master $master_port"
done <<<"$nodes"

for i in $(seq 1 20); do
  redis-cli -c -p "$BASE" set "infra-check:$i" "value-$i" >/dev/null
done
for i in $(seq 1 20); do
  value=$(redis-cli -c -p "$((BASE + 4))" get "infra-check:$i")
  [[ $value == "value-$i" ]] || fail "GET infra-check:$i through $((BASE + 4)) returned '$value'"
done

# A second run (a reboot, a re-run of user data) must find the cluster and leave it alone.
run_init >"$WORK/init2.log" 2>&1 || {
  cat "$WORK/init2.log" >&2
  fail "second run of redis-node-init.sh failed"
}
grep -q "not forming it again" "$WORK/init2.log" || fail "second run did not recognise the existing cluster"
[[ $(redis-cli -p "$BASE" cluster nodes | wc -l) == 6 ]] || fail "second run changed the cluster"

# Snapshots: the replicas' data shipped to a local destination by redis-backup.sh.
printf '%s' "$PASSWORD" >"$WORK/auth"
REDIS_AUTH_FILE=$WORK/auth REDIS_BACKUP_DEST=$WORK/backups REDIS_PORTS="${PORTS[*]}" REDIS_DATA_DIR=$WORK REDIS_BACKUP_NODE_NAME=local \
  timeout 60 "$BACKUP" backup >"$WORK/backup.log" 2>&1 || {
  cat "$WORK/backup.log" >&2
  fail "redis-backup.sh backup failed"
}
shipped=$(find "$WORK/backups" -name 'redis-local-*.rdb' -size +0 | wc -l)
((shipped == 3)) || fail "expected 3 replica snapshots, found $shipped"

# ---------------------------------------------------------------------------------------------------------------
# The same cluster with TLS, as on EC2 (REDIS_TLS=1): a CA and one node certificate for 127.0.0.1, made here.
# ---------------------------------------------------------------------------------------------------------------
TLS=$WORK/tls
mkdir -p "$TLS" "$WORK/other-ca"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=infra-check Redis CA" \
  -keyout "$WORK/ca.key" -out "$TLS/ca.crt" >/dev/null 2>&1 || fail "openssl could not make the CA"
openssl req -newkey rsa:2048 -nodes -subj "/CN=redis-node" -keyout "$TLS/node.key" -out "$WORK/node.csr" \
  >/dev/null 2>&1 || fail "openssl could not make the node key"
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$WORK/node.ext"
openssl x509 -req -days 1 -in "$WORK/node.csr" -CA "$TLS/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial \
  -extfile "$WORK/node.ext" -out "$TLS/node.crt" >/dev/null 2>&1 || fail "openssl could not sign the node certificate"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=another CA" \
  -keyout "$WORK/other-ca/ca.key" -out "$WORK/other-ca/ca.crt" >/dev/null 2>&1 || fail "openssl could not make a second CA"

REDIS_TLS=1 REDIS_TLS_DIR=$TLS REDIS_PASSWORD=$PASSWORD REDIS_DATA_DIR=$WORK REDIS_PORTS="${TLS_PORTS[*]}" \
  REDIS_BIND=127.0.0.1 REDIS_CLUSTER_NODES=$TLS_NODES REDIS_FORM_CLUSTER=1 REDIS_SERVICE_MANAGER=daemon \
  REDIS_INSTALL_PACKAGES=0 REDIS_INSTALL_CLOUDWATCH_AGENT=0 REDIS_NODE_TIMEOUT_MS=2000 REDIS_WAIT_SECONDS=30 \
  timeout 120 "$INIT" >"$WORK/init-tls.log" 2>&1 || {
  cat "$WORK/init-tls.log" >&2
  fail "redis-node-init.sh with REDIS_TLS=1 failed"
}
tcli() { redis-cli --tls --cacert "$TLS/ca.crt" "$@"; }

for port in "${TLS_PORTS[@]}"; do
  [[ $(redis-cli -p "$port" ping 2>&1) != PONG ]] || fail "TLS node $port answers in plaintext"
  [[ $(redis-cli --tls --cacert "$WORK/other-ca/ca.crt" -p "$port" ping 2>&1) != PONG ]] ||
    fail "TLS node $port was accepted with a certificate of another CA"
  state=$(tcli -p "$port" cluster info | tr -d '\r' | awk -F: '$1 == "cluster_state" { print $2 }')
  [[ $state == ok ]] || fail "TLS node $port: cluster_state:$state"
  grep -q '^tls-cluster yes' "$WORK/conf/$port.conf" || fail "TLS node $port: cluster bus not over TLS"
done
# Replicas connected: replication (tls-replication) works over TLS.
linked=$(tcli -p "$TLS_BASE" cluster nodes | tr -d '\r' | awk '$3 ~ /slave/ && $8 == "connected"' | wc -l)
((linked == 3)) || fail "expected 3 connected replicas over TLS, got $linked"
for i in $(seq 1 20); do
  tcli -c -p "$TLS_BASE" set "infra-check-tls:$i" "value-$i" >/dev/null
done
for i in $(seq 1 20); do
  value=$(tcli -c -p "$((TLS_BASE + 4))" get "infra-check-tls:$i")
  [[ $value == "value-$i" ]] || fail "GET infra-check-tls:$i over TLS through $((TLS_BASE + 4)) returned '$value'"
done
REDIS_TLS_CA_FILE=$TLS/ca.crt REDIS_AUTH_FILE=$WORK/auth REDIS_BACKUP_DEST=$WORK/backups-tls REDIS_PORTS="${TLS_PORTS[*]}" \
  REDIS_DATA_DIR=$WORK REDIS_BACKUP_NODE_NAME=local timeout 60 "$BACKUP" backup >"$WORK/backup-tls.log" 2>&1 || {
  cat "$WORK/backup-tls.log" >&2
  fail "redis-backup.sh backup over TLS failed"
}
shipped=$(find "$WORK/backups-tls" -name 'redis-local-*.rdb' -size +0 | wc -l)
((shipped == 3)) || fail "expected 3 replica snapshots over TLS, found $shipped"

echo "clusters of 3 masters + 3 replicas on 7200-7205 and over TLS on 7210-7215: state ok, replicas in other zones, 20 keys through -c, idempotent re-run, 3 snapshots shipped; TLS: no plaintext port, another CA refused, bus and replication over TLS"
