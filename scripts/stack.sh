#!/usr/bin/env bash
# The local stack of real backing servers, on loopback, with all state under .local/ (git-ignored).
#
#   scripts/stack.sh start [component...]   start (idempotent) and wait until each really answers
#   scripts/stack.sh stop [component...]    stop exactly what was started, by recorded PID
#   scripts/stack.sh status                 show what runs
#
# Components: postgres (15, port 55432), redis (cluster of 6 on 7000-7005: 3 masters + 3 replicas),
# redis-faults (a second such cluster on 7100-7105 that failover and resharding tests may break at will; a
# repeated start restarts its killed nodes and waits until the cluster is ok again), redis-tls (a third such cluster
# on 7500-7505 that speaks TLS only: clients, cluster bus and replication, with a CA and a node certificate for
# 127.0.0.1 that openssl makes in .local/redis-tls on first start),
# kafka (librdkafka's mock cluster, 3 brokers, random ports), mongo (nx-27017 on 27117), s3 (moto on 5055).
# Writes .local/stack.env, which the services (scripts/run.sh) and the tests read.
#
# A second stack can run beside the first: CHAT_STATE_DIR names its own state directory and CHAT_STACK_PORT_OFFSET
# (default 0) is added to every port above (Redis cluster buses, at port + 10000, move with them). A state directory
# remembers the offset it was started with (Redis nodes keep their ports in nodes.conf), so later commands on it need
# only CHAT_STATE_DIR; naming another offset for it is an error. A server is never started on a port that something
# else already answers on (a Redis node of another stack would otherwise be taken for one of ours).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="${CHAT_STATE_DIR:-$ROOT/.local}"
RUN="$STATE/run"
LOGS="$STATE/logs"
ENV_FILE="$STATE/stack.env"
OFFSET_FILE="$STATE/port-offset"
PG_BIN="$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)"

# The offset this state directory was started with: recorded for a non-zero offset, 0 for state made without one,
# empty for a state directory that holds no server state yet.
recorded_offset() {
    if [ -f "$OFFSET_FILE" ]; then cat "$OFFSET_FILE"
    elif [ -d "$STATE/redis" ] || [ -d "$STATE/postgres" ] || [ -d "$STATE/mongo" ]; then echo 0
    fi
}
OFFSET=${CHAT_STACK_PORT_OFFSET:-$(recorded_offset)}
OFFSET=${OFFSET:-0}
if ! [[ "$OFFSET" =~ ^[0-9]+$ ]] || [ "$OFFSET" -gt 10000 ]; then
    echo "stack: CHAT_STACK_PORT_OFFSET=$OFFSET: expected an integer from 0 to 10000" >&2
    exit 2
fi
if [ -n "$(recorded_offset)" ] && [ "$(recorded_offset)" != "$OFFSET" ]; then
    echo "stack: $STATE was started with port offset $(recorded_offset), not $OFFSET; use another CHAT_STATE_DIR" >&2
    exit 2
fi
PG_PORT=$((55432 + OFFSET))
REDIS_PORTS=()
REDIS_FAULT_PORTS=()
REDIS_TLS_PORTS=()
for i in 0 1 2 3 4 5; do
    REDIS_PORTS+=($((7000 + OFFSET + i)))
    REDIS_FAULT_PORTS+=($((7100 + OFFSET + i)))
    REDIS_TLS_PORTS+=($((7500 + OFFSET + i)))
done
REDIS_TLS_DIR="$STATE/redis-tls"
MONGO_PORT=$((27117 + OFFSET))
S3_PORT=$((5055 + OFFSET))
S3_BUCKET=chat-attachments
DATABASES=(identity chat notification gateway)
ALL=(postgres redis redis-faults redis-tls kafka mongo s3)
WAIT="python3 $ROOT/scripts/stack/wait-for.py"

log() { echo "stack: $*"; }

# Replaces the shell with a command that keeps only stdin, stdout and stderr of the descriptors this script
# inherited: a server started from a test process (the tests restart Redis nodes, the fault suite PostgreSQL and
# nx-27017, through this script) would otherwise keep that process's listening sockets, which have no close-on-exec
# flag, and hold their ports after it exits. Run it in a subshell or a background job, never in the script itself.
exec_without_inherited_fds() {
    for fd in /proc/self/fd/*; do
        fd=${fd##*/}
        if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec "$@"
}
# Runs a server detached from the caller: a session of its own (setsid), no terminal input, hang-ups ignored, so
# that neither Ctrl-C in the shell that started the stack nor that shell's end stops it (Redis and PostgreSQL
# daemonise themselves). Backgrounded by the caller, whose $! is then the server's PID: setsid runs it in place,
# since a background job of a script does not lead a process group.
daemon() { exec_without_inherited_fds setsid nohup "$@" </dev/null; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Fails when something already listens on 127.0.0.1:$1 (called only before starting a server of ours there).
port_free() {
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
        log "port $1 is taken by another process (another stack? set CHAT_STACK_PORT_OFFSET)"
        return 1
    fi
}

# Stops the process whose PID is in $1 (TERM, then KILL after 5 s) and removes the file.
stop_pid() {
    local file=$1 pid
    [ -f "$file" ] || return 0
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
}

# PostgreSQL refuses to run as root: it runs as the postgres user, which must be able to reach its data directory.
ensure_traversable_for_postgres() {
    local dir=$1
    while [ "$dir" != "/" ]; do
        if ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then chmod o+x "$dir"; fi
        dir=$(dirname "$dir")
    done
}

# PostgreSQL listens on TCP only: a Unix socket path is limited to 107 bytes, which a checkout under a long directory
# would exceed. Administration connects as the postgres superuser over TCP with the password initdb was given.
start_postgres() {
    local data="$STATE/postgres/data"
    mkdir -p "$STATE/postgres"
    ensure_traversable_for_postgres "$STATE/postgres"
    chown postgres:postgres "$STATE/postgres"
    if [ ! -f "$data/PG_VERSION" ]; then
        log "postgres: initdb"
        echo "chat" > "$STATE/postgres/pwfile"
        chown postgres "$STATE/postgres/pwfile"
        runuser -u postgres -- "$PG_BIN/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            --pwfile="$STATE/postgres/pwfile" -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        port_free "$PG_PORT"
        (exec_without_inherited_fds runuser -u postgres -- \
            "$PG_BIN/pg_ctl" -D "$data" -l "$STATE/postgres/server.log" -w -t 30 start \
            -o "-p $PG_PORT -k '' -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off") >/dev/null
    fi
    head -1 "$data/postmaster.pid" > "$RUN/postgres.pid"
    runuser -u postgres -- "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -t 30 >/dev/null
    local psql=(env PGPASSWORD=chat psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)
    if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname='chat'")" != "1" ]; then
        "${psql[@]}" -c "CREATE ROLE chat LOGIN CREATEDB PASSWORD 'chat'"
    fi
    for db in "${DATABASES[@]}"; do
        if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname='$db'")" != "1" ]; then
            "${psql[@]}" -c "CREATE DATABASE $db OWNER chat"
        fi
    done
    PGPASSWORD=chat psql -h 127.0.0.1 -p "$PG_PORT" -U chat -d chat -qAt -c "SELECT 1" >/dev/null
    log "postgres: ready on 127.0.0.1:$PG_PORT (databases: ${DATABASES[*]})"
}

stop_postgres() {
    local data="$STATE/postgres/data"
    if [ -f "$data/postmaster.pid" ]; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || stop_pid "$RUN/postgres.pid"
    fi
    rm -f "$RUN/postgres.pid"
}

# Starts (or restarts the dead nodes of) the 6-node cluster on the given ports and waits for cluster_state:ok.
# With tls as second argument the nodes serve TLS only (port 0): clients, the cluster bus and replication, with the
# certificate of make_redis_tls_certificates; redis-cli then speaks TLS trusting its CA.
start_redis_cluster() {
    local name=$1 mode=$2 port fresh=0
    shift 2
    local ports=("$@") cli=(redis-cli) listen
    if [ "$mode" = tls ]; then cli+=(--tls --cacert "$REDIS_TLS_DIR/ca.crt"); fi
    for port in "${ports[@]}"; do
        local dir="$STATE/redis/$port"
        mkdir -p "$dir"
        [ -f "$dir/nodes.conf" ] || fresh=1
        if ! pid_alive "$RUN/redis-$port.pid"; then
            port_free "$port"
            port_free $((port + 10000))
            if [ "$mode" = tls ]; then
                listen=(--port 0 --tls-port "$port" --tls-cluster yes --tls-replication yes
                    --tls-cert-file "$REDIS_TLS_DIR/node.crt" --tls-key-file "$REDIS_TLS_DIR/node.key"
                    --tls-ca-cert-file "$REDIS_TLS_DIR/ca.crt" --tls-auth-clients optional)
            else
                listen=(--port "$port")
            fi
            (exec_without_inherited_fds redis-server "${listen[@]}" --bind 127.0.0.1 --dir "$dir" --cluster-enabled yes \
                --cluster-config-file nodes.conf --cluster-node-timeout 2000 --appendonly no --save "" \
                --daemonize yes --pidfile "$RUN/redis-$port.pid" --logfile "$LOGS/redis-$port.log")
        fi
    done
    for port in "${ports[@]}"; do
        for _ in $(seq 100); do "${cli[@]}" -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
        "${cli[@]}" -p "$port" ping | grep -q PONG
    done
    if [ "$fresh" = 1 ] && ! "${cli[@]}" -p "${ports[0]}" cluster info | grep -q "cluster_state:ok"; then
        log "$name: creating the cluster"
        local nodes=()
        for port in "${ports[@]}"; do nodes+=("127.0.0.1:$port"); done
        "${cli[@]}" --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$LOGS/$name-create.log"
    fi
    for port in "${ports[@]}"; do
        for _ in $(seq 200); do "${cli[@]}" -p "$port" cluster info | grep -q "cluster_state:ok" && break; sleep 0.1; done
        "${cli[@]}" -p "$port" cluster info | grep -q "cluster_state:ok" || { log "$name: node $port is not ok"; return 1; }
    done
    log "$name: cluster ok on 127.0.0.1:${ports[0]}-${ports[-1]}"
}

# The CA and the certificate every node of redis-tls presents (subject alternative name IP 127.0.0.1, for clients and
# for the other nodes on the cluster bus), made once per state directory; the CA's key stays beside them, local only.
make_redis_tls_certificates() {
    local dir=$REDIS_TLS_DIR
    [ -s "$dir/ca.crt" ] && [ -s "$dir/node.crt" ] && [ -s "$dir/node.key" ] && return 0
    log "redis-tls: making a CA and the node certificate in $dir"
    mkdir -p "$dir"
    # set -e does not apply inside a subshell that is followed by ||: hence the && chain.
    (
        umask 077
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=chat local stack Redis CA" \
            -keyout "$dir/ca.key" -out "$dir/ca.crt" &&
        openssl req -newkey rsa:2048 -nodes -subj "/CN=chat local stack Redis node" \
            -keyout "$dir/node.key" -out "$dir/node.csr" &&
        printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' > "$dir/node.ext" &&
        openssl x509 -req -days 3650 -in "$dir/node.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
            -CAserial "$dir/ca.srl" -CAcreateserial -extfile "$dir/node.ext" -out "$dir/node.crt"
    ) >"$LOGS/redis-tls-certificates.log" 2>&1 || { log "redis-tls: openssl failed (see $LOGS/redis-tls-certificates.log)"; return 1; }
    rm -f "$dir/node.csr" "$dir/node.ext"
    chmod 644 "$dir/ca.crt" "$dir/node.crt"
}

stop_redis_cluster() {
    local port
    # In parallel: a stopping master waits for its replicas, so one at a time takes seconds each.
    for port in "$@"; do stop_pid "$RUN/redis-$port.pid" & done
    wait
}

start_redis() { start_redis_cluster redis plaintext "${REDIS_PORTS[@]}"; }
stop_redis() { stop_redis_cluster "${REDIS_PORTS[@]}"; }
# The tests break this cluster at will and nothing in it is worth keeping: when none of its nodes runs it starts as a
# new, empty cluster, not from node tables (and replication snapshots) a failed test may have left with half-migrated
# slots. A node a test killed while the others run rejoins with its table.
start_redis-faults() {
    local port running=0
    for port in "${REDIS_FAULT_PORTS[@]}"; do pid_alive "$RUN/redis-$port.pid" && running=1; done
    if [ "$running" = 0 ]; then
        for port in "${REDIS_FAULT_PORTS[@]}"; do rm -f "$STATE/redis/$port/nodes.conf" "$STATE/redis/$port/dump.rdb"; done
    fi
    start_redis_cluster redis-faults plaintext "${REDIS_FAULT_PORTS[@]}"
}
stop_redis-faults() { stop_redis_cluster "${REDIS_FAULT_PORTS[@]}"; }
start_redis-tls() { make_redis_tls_certificates && start_redis_cluster redis-tls tls "${REDIS_TLS_PORTS[@]}"; }
stop_redis-tls() { stop_redis_cluster "${REDIS_TLS_PORTS[@]}"; }

# The topics and partition counts come from their single definition in Shared/ChatEvents/KafkaTopic.swift.
kafka_topics() {
    sed -n 's/.*KafkaTopic(name: "\([^"]*\)", partitions: \([0-9]*\)).*/\1:\2/p' "$ROOT/Shared/ChatEvents/KafkaTopic.swift"
}

start_kafka() {
    local binary="$STATE/bin/kafka-mock-cluster" source="$ROOT/scripts/stack/kafka-mock-cluster.c"
    mkdir -p "$STATE/bin" "$STATE/kafka"
    if [ ! -x "$binary" ] || [ "$source" -nt "$binary" ]; then
        local flags
        read -ra flags <<<"$(pkg-config --cflags --libs rdkafka)"
        cc -O2 -Wall -o "$binary" "$source" "${flags[@]}"
    fi
    # A broker started with another topic list (an older checkout) is restarted with the current one.
    if pid_alive "$RUN/kafka.pid" && [ "$(cat "$STATE/kafka/topics" 2>/dev/null)" != "$(kafka_topics)" ]; then
        log "kafka: the topics changed; restarting the brokers"
        stop_kafka
    fi
    if ! pid_alive "$RUN/kafka.pid"; then
        rm -f "$STATE/kafka/bootstrap"
        kafka_topics > "$STATE/kafka/topics"
        # shellcheck disable=SC2046
        daemon "$binary" 3 "$STATE/kafka/bootstrap" "$STATE/kafka/control" $(kafka_topics) >"$LOGS/kafka.log" 2>&1 &
        echo $! > "$RUN/kafka.pid"
    fi
    for _ in $(seq 100); do [ -s "$STATE/kafka/bootstrap" ] && break; sleep 0.1; done
    [ -s "$STATE/kafka/bootstrap" ] || { log "kafka: no bootstrap address (see $LOGS/kafka.log)"; return 1; }
    local broker
    for broker in $(tr ',' ' ' < "$STATE/kafka/bootstrap"); do $WAIT tcp "$broker" 10; done
    log "kafka: 3 brokers at $(cat "$STATE/kafka/bootstrap") (topics: $(kafka_topics | tr '\n' ' '))"
}

stop_kafka() { stop_pid "$RUN/kafka.pid"; }

start_mongo() {
    mkdir -p "$STATE/mongo"
    if ! pid_alive "$RUN/mongo.pid"; then
        port_free "$MONGO_PORT"
        daemon nx-27017 --data-dir "$STATE/mongo" --host 127.0.0.1 -p "$MONGO_PORT" \
            --log-file "$LOGS/mongo.log" --pid-file "$STATE/mongo/nx.pid" >"$LOGS/mongo.out" 2>&1 &
        echo $! > "$RUN/mongo.pid"
    fi
    $WAIT mongo "127.0.0.1:$MONGO_PORT" 30
    log "mongo: nx-27017 ready on 127.0.0.1:$MONGO_PORT"
}

stop_mongo() { stop_pid "$RUN/mongo.pid"; }

start_s3() {
    if ! pid_alive "$RUN/s3.pid"; then
        port_free "$S3_PORT"
        daemon moto_server -H 127.0.0.1 -p "$S3_PORT" >"$LOGS/s3.log" 2>&1 &
        echo $! > "$RUN/s3.pid"
    fi
    $WAIT http "http://127.0.0.1:$S3_PORT/" 30
    curl -sf -o /dev/null -X PUT "http://127.0.0.1:$S3_PORT/$S3_BUCKET"
    curl -sf -o /dev/null -I "http://127.0.0.1:$S3_PORT/$S3_BUCKET"
    log "s3: moto ready on 127.0.0.1:$S3_PORT (bucket $S3_BUCKET)"
}

stop_s3() { stop_pid "$RUN/s3.pid"; }

# The secret the gateway signs identities with, generated once per state directory.
internal_secret() {
    local file="$STATE/internal-secret"
    [ -s "$file" ] || { head -c 48 /dev/urandom | base64 | tr -d '\n=/+' > "$file"; chmod 600 "$file"; }
    cat "$file"
}

write_env() {
    local brokers=""
    [ -s "$STATE/kafka/bootstrap" ] && brokers=$(cat "$STATE/kafka/bootstrap")
    cat > "$ENV_FILE.tmp" <<ENV
# Written by scripts/stack.sh: where the local backing servers listen.
CHAT_STATE_DIR=$STATE
CHAT_STACK_PORT_OFFSET=$OFFSET
CHAT_POSTGRES_ADMIN_URL=postgresql://chat:chat@127.0.0.1:$PG_PORT/postgres
# Each service's CHAT_POSTGRES_URL is CHAT_POSTGRES_HOST_URL/<its database>: identity (auth, user), chat, notification,
# gateway (api-gateway); unset, the services assume port 55432.
CHAT_POSTGRES_HOST_URL=postgresql://chat:chat@127.0.0.1:$PG_PORT
CHAT_MONGO_URI=mongodb://127.0.0.1:$MONGO_PORT/chat
CHAT_KAFKA_BROKERS=$brokers
CHAT_KAFKA_CONTROL=$STATE/kafka/control
CHAT_REDIS_NODES=127.0.0.1:${REDIS_PORTS[0]},127.0.0.1:${REDIS_PORTS[1]},127.0.0.1:${REDIS_PORTS[2]}
CHAT_REDIS_FAULTS_NODES=127.0.0.1:${REDIS_FAULT_PORTS[0]},127.0.0.1:${REDIS_FAULT_PORTS[1]},127.0.0.1:${REDIS_FAULT_PORTS[2]}
# The TLS-only cluster (redis-tls) and the CA its nodes' certificate chains to, for the TLS client tests.
CHAT_TEST_REDIS_TLS_NODES=127.0.0.1:${REDIS_TLS_PORTS[0]},127.0.0.1:${REDIS_TLS_PORTS[1]},127.0.0.1:${REDIS_TLS_PORTS[2]}
CHAT_TEST_REDIS_TLS_CA_FILE=$REDIS_TLS_DIR/ca.crt
CHAT_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
CHAT_S3_BUCKET=$S3_BUCKET
CHAT_INTERNAL_SECRET=$(internal_secret)
# libmongoc's shared-memory counters (read only by mongoc-stat) stay off: a killed process leaves its segment behind.
MONGOC_DISABLE_SHM=1
ENV
    mv "$ENV_FILE.tmp" "$ENV_FILE"
}

components() { if (($#)); then echo "$@"; else echo "${ALL[@]}"; fi; }

command=${1:-status}
shift || true
mkdir -p "$RUN" "$LOGS"
case "$command" in
    start)
        started=$(date +%s%N)
        if [ "$OFFSET" != 0 ]; then echo "$OFFSET" > "$OFFSET_FILE"; fi
        for component in $(components "$@"); do "start_$component"; done
        write_env
        elapsed=$((($(date +%s%N) - started) / 1000000))
        log "ready in $((elapsed / 1000)).$(printf '%03d' $((elapsed % 1000))) s; environment in $ENV_FILE"
        ;;
    stop)
        for component in $(components "$@"); do "stop_$component"; done
        log "stopped $(components "$@")"
        ;;
    status)
        for file in "$RUN"/*.pid; do
            [ -e "$file" ] || continue
            name=$(basename "$file" .pid)
            if pid_alive "$file"; then echo "$name: running (pid $(cat "$file"))"; else echo "$name: stopped"; fi
        done
        ;;
    *) echo "usage: $0 start|stop|status [component...]" >&2; exit 2 ;;
esac
