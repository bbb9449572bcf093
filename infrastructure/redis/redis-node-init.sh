#!/usr/bin/env bash
# Installs and configures Redis Cluster node(s) on one machine and, on the designated node, forms the cluster once.
#
# On EC2 this runs from user data (see terraform/modules/redis-ec2): one node per instance, port 6379, systemd.
# Locally it can start several nodes on one machine for testing, e.g.:
#
#   REDIS_DATA_DIR=/tmp/rc REDIS_PORTS="7100 7101 7102 7103 7104 7105" REDIS_BIND=127.0.0.1 \
#   REDIS_CLUSTER_NODES="127.0.0.1:7100,127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103,127.0.0.1:7104,127.0.0.1:7105" \
#   REDIS_FORM_CLUSTER=1 REDIS_SERVICE_MANAGER=daemon REDIS_INSTALL_PACKAGES=0 REDIS_INSTALL_CLOUDWATCH_AGENT=0 \
#   ./redis-node-init.sh
#
# Parameters (environment variables):
#   REDIS_PORTS                   space-separated ports of the nodes to run here (default 6379). The cluster bus of
#                                 each node is its port + 10000 (6379 -> 16379, 7100 -> 17100).
#   REDIS_DATA_DIR                parent of one data directory per port (default /var/lib/redis-cluster).
#   REDIS_CONF_DIR                where the node configuration files go (default /etc/redis/cluster with systemd,
#                                 $REDIS_DATA_DIR/conf otherwise).
#   REDIS_BIND                    listen address (default 0.0.0.0).
#   REDIS_ANNOUNCE_IP             address announced to the cluster (default: the instance's private IP on EC2, else none).
#   REDIS_CLUSTER_NODES           every node of the cluster as host:port, comma-separated, masters first: the first
#                                 REDIS_MASTERS entries become masters, the rest replicas. Required to form the cluster.
#   REDIS_MASTERS                 number of masters (default 3).
#   REDIS_FORM_CLUSTER            1 on exactly one (designated) node: wait for every node, then form the cluster
#                                 unless it already exists (default 0).
#   REDIS_SERVICE_MANAGER         systemd (one unit per port, the EC2 case) or daemon (redis-server --daemonize with a
#                                 pid file per node in its data directory; for local runs). Default systemd.
#   REDIS_INSTALL_PACKAGES        1 to apt-get install redis-server/redis-tools/awscli (default 1).
#   REDIS_INSTALL_CLOUDWATCH_AGENT  1, 0 or auto (default auto: only when running on EC2).
#   REDIS_PASSWORD                password of the default user (requirepass + masterauth); empty for none.
#   REDIS_PASSWORD_SECRET_ID      Secrets Manager secret holding the password (plain string, or JSON with a
#                                 CHAT_REDIS_PASSWORD key); read when REDIS_PASSWORD is empty.
#   REDIS_MAXMEMORY               maxmemory per node, e.g. 6gb (default: unset, i.e. no limit).
#   REDIS_MAXMEMORY_POLICY        default noeviction: the chat keeps state that must not disappear silently.
#   REDIS_NODE_TIMEOUT_MS         cluster-node-timeout (default 5000).
#   REDIS_WAIT_SECONDS            how long the designated node waits for its peers (default 900: instances boot at
#                                 different speeds).
#   REDIS_BACKUP_DEST             s3://bucket/prefix for snapshots: installs a daily backup timer (systemd mode only).
#   REDIS_CLOUDWATCH_NAMESPACE    namespace of the Redis metrics pushed through the CloudWatch agent (default Chat/Redis).
#   REDIS_CLUSTER_NAME            dimension value identifying this cluster in CloudWatch (default chat).
#
# Encryption in transit (the services connect with CHAT_REDIS_TLS=true and the CA of CHAT_REDIS_TLS_CA_FILE):
#   REDIS_TLS                     1: each node serves TLS on its port (tls-port), the cluster bus and replication use
#                                 TLS too (tls-cluster, tls-replication), and the plaintext port is closed (port 0)
#                                 unless REDIS_PLAINTEXT_PORT is set. Default 0 (plaintext, the local stack's case).
#   REDIS_TLS_DIR                 where the certificate files are written or expected (default /etc/redis/tls with
#                                 systemd, $REDIS_DATA_DIR/tls otherwise): node.crt, node.key, ca.crt.
#   REDIS_TLS_SECRET_ID           Secrets Manager secret holding them as JSON {"certificate", "private_key",
#                                 "ca_certificate"} (PEM); read when the files are not there yet.
#   REDIS_PLAINTEXT_PORT          a plaintext port kept open beside the TLS port, only while clients move to TLS
#                                 (infrastructure/README.md, "Redis in transit"); default none.
set -euo pipefail

REDIS_PORTS=${REDIS_PORTS:-6379}
REDIS_DATA_DIR=${REDIS_DATA_DIR:-/var/lib/redis-cluster}
REDIS_SERVICE_MANAGER=${REDIS_SERVICE_MANAGER:-systemd}
if [[ $REDIS_SERVICE_MANAGER == systemd ]]; then
  REDIS_CONF_DIR=${REDIS_CONF_DIR:-/etc/redis/cluster}
else
  REDIS_CONF_DIR=${REDIS_CONF_DIR:-$REDIS_DATA_DIR/conf}
fi
REDIS_BIND=${REDIS_BIND:-0.0.0.0}
REDIS_ANNOUNCE_IP=${REDIS_ANNOUNCE_IP:-}
REDIS_CLUSTER_NODES=${REDIS_CLUSTER_NODES:-}
REDIS_MASTERS=${REDIS_MASTERS:-3}
REDIS_FORM_CLUSTER=${REDIS_FORM_CLUSTER:-0}
REDIS_INSTALL_PACKAGES=${REDIS_INSTALL_PACKAGES:-1}
REDIS_INSTALL_CLOUDWATCH_AGENT=${REDIS_INSTALL_CLOUDWATCH_AGENT:-auto}
REDIS_PASSWORD=${REDIS_PASSWORD:-}
REDIS_PASSWORD_SECRET_ID=${REDIS_PASSWORD_SECRET_ID:-}
REDIS_MAXMEMORY=${REDIS_MAXMEMORY:-}
REDIS_MAXMEMORY_POLICY=${REDIS_MAXMEMORY_POLICY:-noeviction}
REDIS_NODE_TIMEOUT_MS=${REDIS_NODE_TIMEOUT_MS:-5000}
REDIS_WAIT_SECONDS=${REDIS_WAIT_SECONDS:-900}
REDIS_BACKUP_DEST=${REDIS_BACKUP_DEST:-}
REDIS_CLOUDWATCH_NAMESPACE=${REDIS_CLOUDWATCH_NAMESPACE:-Chat/Redis}
REDIS_CLUSTER_NAME=${REDIS_CLUSTER_NAME:-chat}
REDIS_TLS=${REDIS_TLS:-0}
if [[ $REDIS_SERVICE_MANAGER == systemd ]]; then
  REDIS_TLS_DIR=${REDIS_TLS_DIR:-/etc/redis/tls}
else
  REDIS_TLS_DIR=${REDIS_TLS_DIR:-$REDIS_DATA_DIR/tls}
fi
REDIS_TLS_SECRET_ID=${REDIS_TLS_SECRET_ID:-}
REDIS_PLAINTEXT_PORT=${REDIS_PLAINTEXT_PORT:-}
REDIS_SERVER_BIN=${REDIS_SERVER_BIN:-redis-server}
REDIS_CLI_BIN=${REDIS_CLI_BIN:-redis-cli}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '%s redis-node-init: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# redis-cli reads the password from REDISCLI_AUTH, which keeps it off the command line (and out of `ps`). With TLS
# it verifies the nodes' certificates against the cluster's CA, as the services do.
rcli() {
  local -a tls=()
  [[ $REDIS_TLS == 1 ]] && tls=(--tls --cacert "$REDIS_TLS_DIR/ca.crt")
  if [[ -n $REDIS_PASSWORD ]]; then
    REDISCLI_AUTH=$REDIS_PASSWORD "$REDIS_CLI_BIN" "${tls[@]}" "$@"
  else
    "$REDIS_CLI_BIN" "${tls[@]}" "$@"
  fi
}
rcli_at() {
  local hostport=$1
  shift
  rcli -h "${hostport%:*}" -p "${hostport##*:}" "$@"
}

# EC2 is recognised from DMI data, which needs no network call.
on_ec2() {
  local vendor=""
  [[ -r /sys/devices/virtual/dmi/id/board_vendor ]] && vendor=$(</sys/devices/virtual/dmi/id/board_vendor)
  [[ $vendor == "Amazon EC2" ]] && return 0
  [[ -r /sys/hypervisor/uuid ]] && [[ $(head -c 3 /sys/hypervisor/uuid) == ec2 ]]
}

imds() {
  local token
  token=$(curl -fsS -m 2 -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')
  curl -fsS -m 2 -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/$1"
}

install_packages() {
  [[ $REDIS_INSTALL_PACKAGES == 1 ]] || return 0
  log "installing redis-server, redis-tools and awscli"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q redis-server redis-tools awscli curl ca-certificates jq
  # Debian's package starts a standalone server on 6379, the port the cluster node needs.
  if [[ $REDIS_SERVICE_MANAGER == systemd ]]; then
    systemctl disable --now redis-server.service >/dev/null 2>&1 || true
  fi
}

resolve_password() {
  [[ -z $REDIS_PASSWORD && -n $REDIS_PASSWORD_SECRET_ID ]] || return 0
  log "reading the password from Secrets Manager ($REDIS_PASSWORD_SECRET_ID)"
  local value
  value=$(aws secretsmanager get-secret-value --secret-id "$REDIS_PASSWORD_SECRET_ID" --query SecretString --output text)
  if [[ $value == \{* ]]; then
    value=$(jq -r '.CHAT_REDIS_PASSWORD // .password // empty' <<<"$value")
  fi
  [[ -n $value ]] || die "secret $REDIS_PASSWORD_SECRET_ID holds no password"
  REDIS_PASSWORD=$value
}

# The node certificate (its SANs name the node's address), its key and the CA, from Secrets Manager unless the files
# exist already (a local run, or a rerun). Readable by root and the redis group only.
install_tls_files() {
  [[ $REDIS_TLS == 1 ]] || return 0
  mkdir -p "$REDIS_TLS_DIR"
  if [[ ! -s $REDIS_TLS_DIR/node.crt || ! -s $REDIS_TLS_DIR/node.key || ! -s $REDIS_TLS_DIR/ca.crt ]]; then
    [[ -n $REDIS_TLS_SECRET_ID ]] || die "REDIS_TLS=1 needs $REDIS_TLS_DIR/{node.crt,node.key,ca.crt} or REDIS_TLS_SECRET_ID"
    log "reading the TLS certificate from Secrets Manager ($REDIS_TLS_SECRET_ID)"
    local value
    value=$(aws secretsmanager get-secret-value --secret-id "$REDIS_TLS_SECRET_ID" --query SecretString --output text)
    (
      umask 027
      jq -er .certificate <<<"$value" >"$REDIS_TLS_DIR/node.crt"
      jq -er .private_key <<<"$value" >"$REDIS_TLS_DIR/node.key"
      jq -er .ca_certificate <<<"$value" >"$REDIS_TLS_DIR/ca.crt"
    ) || die "secret $REDIS_TLS_SECRET_ID lacks certificate, private_key or ca_certificate"
  fi
  if [[ $REDIS_SERVICE_MANAGER == systemd ]] && id redis >/dev/null 2>&1; then
    chown root:redis "$REDIS_TLS_DIR" "$REDIS_TLS_DIR"/node.crt "$REDIS_TLS_DIR"/node.key "$REDIS_TLS_DIR"/ca.crt
    chmod 0750 "$REDIS_TLS_DIR"
    chmod 0640 "$REDIS_TLS_DIR"/node.key
  fi
}

tune_kernel() {
  [[ $REDIS_SERVICE_MANAGER == systemd ]] || return 0
  # Background saves fork: without overcommit a large dataset can fail BGSAVE; THP makes forks slow.
  cat >/etc/sysctl.d/60-redis.conf <<'EOF'
vm.overcommit_memory = 1
net.core.somaxconn = 1024
EOF
  sysctl -q --system || true
  if [[ -w /sys/kernel/mm/transparent_hugepage/enabled ]]; then
    echo never >/sys/kernel/mm/transparent_hugepage/enabled
  fi
}

write_node_config() {
  local port=$1 dir=$REDIS_DATA_DIR/$1 conf=$REDIS_CONF_DIR/$1.conf
  mkdir -p "$dir" "$REDIS_CONF_DIR"
  {
    echo "# Written by redis-node-init.sh; rerunning the script rewrites it."
    if [[ $REDIS_TLS == 1 ]]; then
      # Clients, the cluster bus (port + 10000) and replication all speak TLS; the plaintext port is closed unless a
      # migration keeps one open. Nodes present their certificate to each other; clients authenticate with the
      # password, so a client certificate is verified when sent but not required.
      echo "port ${REDIS_PLAINTEXT_PORT:-0}"
      echo "tls-port $port"
      echo "tls-cluster yes"
      echo "tls-replication yes"
      echo "tls-cert-file $REDIS_TLS_DIR/node.crt"
      echo "tls-key-file $REDIS_TLS_DIR/node.key"
      echo "tls-ca-cert-file $REDIS_TLS_DIR/ca.crt"
      echo "tls-auth-clients optional"
      echo "tls-protocols \"TLSv1.2 TLSv1.3\""
    else
      echo "port $port"
    fi
    echo "bind $REDIS_BIND"
    echo "dir $dir"
    echo "cluster-enabled yes"
    echo "cluster-config-file nodes-$port.conf"
    echo "cluster-node-timeout $REDIS_NODE_TIMEOUT_MS"
    [[ -n $REDIS_ANNOUNCE_IP ]] && echo "cluster-announce-ip $REDIS_ANNOUNCE_IP"
    # Persistence: RDB snapshots for backups and fast restarts, AOF (fsync every second) to lose at most ~1 s of
    # writes; the AOF starts with an RDB preamble so rewrites stay small.
    echo "save 900 1 300 10 60 10000"
    echo "dbfilename dump.rdb"
    echo "appendonly yes"
    echo "appendfilename appendonly.aof"
    echo "appenddirname appendonlydir"
    echo "appendfsync everysec"
    echo "aof-use-rdb-preamble yes"
    echo "tcp-keepalive 60"
    echo "maxmemory-policy $REDIS_MAXMEMORY_POLICY"
    [[ -n $REDIS_MAXMEMORY ]] && echo "maxmemory $REDIS_MAXMEMORY"
    if [[ -n $REDIS_PASSWORD ]]; then
      echo "requirepass $REDIS_PASSWORD"
      echo "masterauth $REDIS_PASSWORD"
    else
      # Without a password protected mode would refuse every non-loopback client.
      echo "protected-mode no"
    fi
    if [[ $REDIS_SERVICE_MANAGER == systemd ]]; then
      echo "daemonize no"
      echo "supervised systemd"
      echo "logfile \"\""
    else
      echo "daemonize yes"
      echo "pidfile $dir/redis.pid"
      echo "logfile $dir/redis.log"
    fi
  } >"$conf"
  chmod 0640 "$conf"
  if [[ $REDIS_SERVICE_MANAGER == systemd ]] && id redis >/dev/null 2>&1; then
    chown redis:redis "$dir"
    chown root:redis "$conf"
  fi
}

write_systemd_unit() {
  cat >/etc/systemd/system/redis-cluster@.service <<EOF
[Unit]
Description=Redis Cluster node on port %i
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
User=redis
Group=redis
ExecStart=/usr/bin/redis-server $REDIS_CONF_DIR/%i.conf
# SIGTERM makes Redis write a final snapshot and flush the AOF before exiting.
TimeoutStopSec=120
Restart=always
RestartSec=2
LimitNOFILE=65535
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full
ProtectHome=yes
ReadWritePaths=$REDIS_DATA_DIR

[Install]
WantedBy=multi-user.target
EOF
  systemctl daemon-reload
}

start_node() {
  local port=$1
  if rcli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
    log "node on port $port is already running"
    return 0
  fi
  if [[ $REDIS_SERVICE_MANAGER == systemd ]]; then
    systemctl enable --now "redis-cluster@$port.service"
  else
    "$REDIS_SERVER_BIN" "$REDIS_CONF_DIR/$port.conf"
  fi
}

wait_for_node() {
  local hostport=$1 deadline=$((SECONDS + $2))
  until [[ $(rcli_at "$hostport" ping 2>/dev/null) == PONG ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

cluster_info_field() {
  rcli_at "$1" cluster info 2>/dev/null | tr -d '\r' | awk -F: -v k="$2" '$1 == k { print $2 }'
}

# Forms the cluster: masters first with all slots, then each replica attached to a chosen master.
# Replica i follows master (i + 1) mod masters. With nodes listed AZ by AZ (a, b, c, a, b, c), as the Terraform
# module does, every replica therefore lives in another availability zone than its master.
form_cluster() {
  [[ -n $REDIS_CLUSTER_NODES ]] || die "REDIS_CLUSTER_NODES is required to form the cluster"
  local -a nodes masters replicas
  IFS=',' read -r -a nodes <<<"$REDIS_CLUSTER_NODES"
  ((${#nodes[@]} > REDIS_MASTERS)) || die "need more than $REDIS_MASTERS nodes, got ${#nodes[@]}"
  masters=("${nodes[@]:0:REDIS_MASTERS}")
  replicas=("${nodes[@]:REDIS_MASTERS}")

  log "waiting up to ${REDIS_WAIT_SECONDS}s for all ${#nodes[@]} nodes"
  local node
  for node in "${nodes[@]}"; do
    wait_for_node "$node" "$REDIS_WAIT_SECONDS" || die "node $node did not answer"
  done

  # Forming happens once: if any node already knows peers (the cluster exists, or this script ran before and a
  # restart brought us here again), leave it alone.
  for node in "${nodes[@]}"; do
    if (($(cluster_info_field "$node" cluster_known_nodes) > 1)); then
      log "node $node already belongs to a cluster; not forming it again"
      return 0
    fi
  done

  log "creating the cluster with masters ${masters[*]}"
  rcli --cluster create "${masters[@]}" --cluster-replicas 0 --cluster-yes >&2

  local i master master_id
  for i in "${!replicas[@]}"; do
    master=${masters[$(((i + 1) % REDIS_MASTERS))]}
    master_id=$(rcli_at "$master" cluster myid | tr -d '\r')
    log "adding ${replicas[$i]} as replica of $master ($master_id)"
    rcli --cluster add-node "${replicas[$i]}" "$master" --cluster-slave --cluster-master-id "$master_id" >&2
  done

  wait_for_cluster_ok "${nodes[@]}"
  log "cluster formed: ${#masters[@]} masters, ${#replicas[@]} replicas"
}

wait_for_cluster_ok() {
  local deadline=$((SECONDS + 120)) node all_ok replicas_seen
  local expected_replicas=$(($# - REDIS_MASTERS))
  while :; do
    all_ok=1
    for node in "$@"; do
      [[ $(cluster_info_field "$node" cluster_state) == ok ]] || all_ok=0
    done
    replicas_seen=$(rcli_at "$1" cluster nodes 2>/dev/null | awk '$3 ~ /slave/ && $8 == "connected"' | wc -l)
    if ((all_ok == 1 && replicas_seen == expected_replicas)); then
      return 0
    fi
    ((SECONDS < deadline)) || die "cluster not ok after 120 s (replicas connected: $replicas_seen/$expected_replicas)"
    sleep 0.5
  done
}

want_cloudwatch_agent() {
  case $REDIS_INSTALL_CLOUDWATCH_AGENT in
    1 | yes | true) return 0 ;;
    auto) on_ec2 ;;
    *) return 1 ;;
  esac
}

install_cloudwatch_agent() {
  want_cloudwatch_agent || return 0
  log "installing the CloudWatch agent"
  local arch deb
  arch=$(dpkg --print-architecture)
  deb=$(mktemp --suffix=.deb)
  curl -fsSL -o "$deb" "https://amazoncloudwatch-agent.s3.amazonaws.com/debian/$arch/latest/amazon-cloudwatch-agent.deb"
  dpkg -i -E "$deb"
  rm -f "$deb"

  # The agent collects host metrics and the Redis logs, and listens for StatsD gauges that the redis-metrics timer
  # below sends (memory, replication and cluster state, read from INFO every minute).
  mkdir -p /opt/aws/amazon-cloudwatch-agent/etc
  cat >/opt/aws/amazon-cloudwatch-agent/etc/redis-agent.json <<EOF
{
  "agent": { "metrics_collection_interval": 60 },
  "metrics": {
    "namespace": "$REDIS_CLOUDWATCH_NAMESPACE",
    "append_dimensions": { "InstanceId": "\${aws:InstanceId}" },
    "metrics_collected": {
      "mem": { "measurement": ["mem_used_percent"] },
      "disk": { "measurement": ["used_percent"], "resources": ["/", "$REDIS_DATA_DIR"] },
      "statsd": { "service_address": "127.0.0.1:8125", "metrics_collection_interval": 60, "metrics_aggregation_interval": 60 }
    }
  },
  "logs": {
    "logs_collected": {
      "files": {
        "collect_list": [
          { "file_path": "/var/log/redis-node-init.log", "log_group_name": "/chat/redis/$REDIS_CLUSTER_NAME", "log_stream_name": "{instance_id}/init" }
        ]
      }
    }
  }
}
EOF
  /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \
    -c file:/opt/aws/amazon-cloudwatch-agent/etc/redis-agent.json
  install_metrics_timer
}

install_metrics_timer() {
  [[ $REDIS_SERVICE_MANAGER == systemd ]] || return 0
  # Gauges sent as StatsD over UDP to the local agent (dimensions ClusterName, Port, InstanceId); the monitoring
  # module's dashboards and alarms read them.
  cat >/usr/local/sbin/redis-metrics <<EOF
#!/usr/bin/env bash
set -euo pipefail
export REDISCLI_AUTH=\$(cat /etc/redis/cluster/.auth 2>/dev/null || true)
tls=()
[[ $REDIS_TLS == 1 ]] && tls=(--tls --cacert "$REDIS_TLS_DIR/ca.crt")
for port in $REDIS_PORTS; do
  info=\$(redis-cli "\${tls[@]}" -p "\$port" info 2>/dev/null | tr -d '\r') || continue
  cluster=\$(redis-cli "\${tls[@]}" -p "\$port" cluster info 2>/dev/null | tr -d '\r') || continue
  get() { awk -F: -v k="\$1" '\$1 == k { print \$2 }' <<<"\$2"; }
  role=\$(get role "\$info")
  link_up=1
  [[ \$role == slave && \$(get master_link_status "\$info") != up ]] && link_up=0
  state_ok=0
  [[ \$(get cluster_state "\$cluster") == ok ]] && state_ok=1
  # The agent appends InstanceId. The role is a gauge, not a dimension: a failover must not start a new series.
  tags="#ClusterName:$REDIS_CLUSTER_NAME,Port:\$port"
  {
    echo "redis_is_master:\$([[ \$role == master ]] && echo 1 || echo 0)|g|\$tags"
    echo "redis_used_memory_bytes:\$(get used_memory "\$info")|g|\$tags"
    echo "redis_maxmemory_bytes:\$(get maxmemory "\$info")|g|\$tags"
    echo "redis_mem_fragmentation_ratio:\$(get mem_fragmentation_ratio "\$info")|g|\$tags"
    echo "redis_connected_replicas:\$(get connected_slaves "\$info")|g|\$tags"
    echo "redis_master_link_up:\$link_up|g|\$tags"
    echo "redis_cluster_state_ok:\$state_ok|g|\$tags"
    echo "redis_connected_clients:\$(get connected_clients "\$info")|g|\$tags"
    echo "redis_rdb_last_bgsave_ok:\$([[ \$(get rdb_last_bgsave_status "\$info") == ok ]] && echo 1 || echo 0)|g|\$tags"
    echo "redis_aof_last_write_ok:\$([[ \$(get aof_last_write_status "\$info") == ok ]] && echo 1 || echo 0)|g|\$tags"
  } | while read -r line; do printf '%s' "\$line" >/dev/udp/127.0.0.1/8125; done
done
EOF
  chmod 0755 /usr/local/sbin/redis-metrics
  install -m 0600 /dev/null /etc/redis/cluster/.auth
  printf '%s' "$REDIS_PASSWORD" >/etc/redis/cluster/.auth
  cat >/etc/systemd/system/redis-metrics.service <<'EOF'
[Unit]
Description=Push Redis INFO gauges to the CloudWatch agent
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/redis-metrics
EOF
  cat >/etc/systemd/system/redis-metrics.timer <<'EOF'
[Unit]
Description=Push Redis INFO gauges every minute
[Timer]
OnBootSec=60
OnUnitActiveSec=60
[Install]
WantedBy=timers.target
EOF
  systemctl daemon-reload
  systemctl enable --now redis-metrics.timer
}

install_backup_timer() {
  [[ $REDIS_SERVICE_MANAGER == systemd && -n $REDIS_BACKUP_DEST ]] || return 0
  [[ -f $SCRIPT_DIR/redis-backup.sh ]] || die "redis-backup.sh must sit next to this script"
  install -m 0755 "$SCRIPT_DIR/redis-backup.sh" /usr/local/sbin/redis-backup
  cat >/etc/default/redis-backup <<EOF
REDIS_BACKUP_DEST=$REDIS_BACKUP_DEST
REDIS_PORTS="$REDIS_PORTS"
REDIS_DATA_DIR=$REDIS_DATA_DIR
REDIS_BACKUP_NODE_NAME=${REDIS_ANNOUNCE_IP:-$(hostname)}
REDIS_TLS_CA_FILE=$([[ $REDIS_TLS == 1 ]] && echo "$REDIS_TLS_DIR/ca.crt")
EOF
  cat >/etc/systemd/system/redis-backup.service <<'EOF'
[Unit]
Description=Ship a Redis snapshot to S3 and rotate old ones
[Service]
Type=oneshot
EnvironmentFile=/etc/default/redis-backup
Environment=REDIS_AUTH_FILE=/etc/redis/cluster/.auth
ExecStart=/usr/local/sbin/redis-backup backup
EOF
  cat >/etc/systemd/system/redis-backup.timer <<'EOF'
[Unit]
Description=Daily Redis snapshot to S3
[Timer]
OnCalendar=*-*-* 03:17:00
RandomizedDelaySec=900
Persistent=true
[Install]
WantedBy=timers.target
EOF
  if [[ ! -f /etc/redis/cluster/.auth ]]; then
    install -m 0600 /dev/null /etc/redis/cluster/.auth
    printf '%s' "$REDIS_PASSWORD" >/etc/redis/cluster/.auth
  fi
  systemctl daemon-reload
  systemctl enable --now redis-backup.timer
}

main() {
  [[ $REDIS_SERVICE_MANAGER == systemd || $REDIS_SERVICE_MANAGER == daemon ]] ||
    die "REDIS_SERVICE_MANAGER must be systemd or daemon"
  install_packages
  command -v "$REDIS_SERVER_BIN" >/dev/null || die "$REDIS_SERVER_BIN not found (set REDIS_INSTALL_PACKAGES=1)"
  command -v "$REDIS_CLI_BIN" >/dev/null || die "$REDIS_CLI_BIN not found"
  if [[ -z $REDIS_ANNOUNCE_IP ]] && on_ec2; then
    REDIS_ANNOUNCE_IP=$(imds meta-data/local-ipv4)
  fi
  resolve_password
  install_tls_files
  tune_kernel
  [[ $REDIS_SERVICE_MANAGER == systemd ]] && write_systemd_unit

  local port
  for port in $REDIS_PORTS; do
    write_node_config "$port"
    start_node "$port"
  done
  for port in $REDIS_PORTS; do
    wait_for_node "127.0.0.1:$port" 30 || die "node on port $port did not start"
  done
  log "nodes up on ports: $REDIS_PORTS"

  if [[ $REDIS_FORM_CLUSTER == 1 ]]; then
    form_cluster
  fi
  install_cloudwatch_agent
  install_backup_timer
  log "done"
}

main "$@"
