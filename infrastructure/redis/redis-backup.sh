#!/usr/bin/env bash
# Ships Redis snapshots to S3 (or a local directory) and rotates them: 7 daily, 4 weekly, 3 monthly.
#
# Usage:
#   redis-backup.sh backup        BGSAVE each local node, upload its dump.rdb, then rotate that node's snapshots
#   redis-backup.sh rotate        apply the rotation to every node folder under REDIS_BACKUP_DEST
#   redis-backup.sh plan          read snapshot names on stdin, print "keep daily|weekly|monthly NAME" or
#                                 "delete NAME" for each: the rotation policy alone, no storage involved
#
# Environment:
#   REDIS_BACKUP_DEST        s3://bucket/prefix, or a local directory (absolute path) for tests and dry runs
#   REDIS_PORTS              local node ports (default 6379)
#   REDIS_DATA_DIR           parent of the per-port data directories (default /var/lib/redis-cluster)
#   REDIS_BACKUP_NODE_NAME   name of this machine in snapshot paths (default: hostname)
#   REDIS_BACKUP_ROLES       replica (default: only replicas snapshot, sparing the masters the fork) or all
#   REDIS_AUTH_FILE          file holding the Redis password (optional)
#   REDIS_TLS_CA_FILE        CA of the nodes' certificates: set when the nodes serve TLS only (redis-node-init.sh's
#                            REDIS_TLS=1); redis-cli then connects with --tls and verifies them
#   REDIS_BACKUP_KEEP_DAILY / _WEEKLY / _MONTHLY   7, 4, 3
#
# Snapshot names look like redis-<node>-<port>-YYYYMMDDTHHMMSSZ.rdb; names without such a timestamp are never
# deleted. Rotation (newest first), each snapshot counted in at most one class:
#   daily    the newest snapshot of each of the KEEP_DAILY most recent days;
#   weekly   then the newest snapshot of each of the KEEP_WEEKLY most recent ISO weeks (Monday-Sunday) older
#            than every kept daily's week;
#   monthly  then the newest snapshot of each of the KEEP_MONTHLY most recent calendar months older than every
#            kept snapshot's month.
# With enough history 7 + 4 + 3 = 14 snapshots remain per node, reaching back about four months.
set -euo pipefail

REDIS_BACKUP_DEST=${REDIS_BACKUP_DEST:-}
REDIS_PORTS=${REDIS_PORTS:-6379}
REDIS_DATA_DIR=${REDIS_DATA_DIR:-/var/lib/redis-cluster}
REDIS_BACKUP_NODE_NAME=${REDIS_BACKUP_NODE_NAME:-$(hostname)}
REDIS_BACKUP_ROLES=${REDIS_BACKUP_ROLES:-replica}
REDIS_AUTH_FILE=${REDIS_AUTH_FILE:-}
REDIS_TLS_CA_FILE=${REDIS_TLS_CA_FILE:-}
KEEP_DAILY=${REDIS_BACKUP_KEEP_DAILY:-7}
KEEP_WEEKLY=${REDIS_BACKUP_KEEP_WEEKLY:-4}
KEEP_MONTHLY=${REDIS_BACKUP_KEEP_MONTHLY:-3}

log() { printf '%s redis-backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# plan: names on stdin -> decisions on stdout. Pure: no storage, no clock, so it can be tested with any dates.
plan() {
  local tmp
  tmp=$(mktemp)
  # "<timestamp> <name>" for names carrying a timestamp, newest first.
  sed -nE 's/^(.*[^0-9])?([0-9]{8}T[0-9]{6}Z)([^0-9].*)?$/\2 &/p' | sort -r -k1,1 >"$tmp"
  if [[ ! -s $tmp ]]; then
    rm -f "$tmp"
    return 0
  fi
  # GNU date converts every timestamp in one call: day, ISO week (%G-W%V) and month.
  cut -d' ' -f1 "$tmp" |
    sed -E 's/^(....)(..)(..)T(..)(..)(..)Z$/\1-\2-\3 \4:\5:\6 UTC/' |
    date -u -f - '+%F %G-W%V %Y-%m' |
    paste -d' ' - "$tmp" |
    awk -v kd="$KEEP_DAILY" -v kw="$KEEP_WEEKLY" -v km="$KEEP_MONTHLY" '
      # fields: day week month timestamp name
      {
        day = $1; week = $2; month = $3; name = $5
        if (nd < kd) {
          if (!(day in days)) { days[day] = 1; weeks[week] = 1; months[month] = 1; nd++; print "keep daily " name; next }
        } else if (nw < kw) {
          if (!(week in weeks)) { weeks[week] = 1; months[month] = 1; nw++; print "keep weekly " name; next }
        } else if (nm < km) {
          if (!(month in months)) { months[month] = 1; nm++; print "keep monthly " name; next }
        }
        print "delete " name
      }'
  rm -f "$tmp"
}

is_s3() { [[ $REDIS_BACKUP_DEST == s3://* ]]; }

# Lists the snapshot names (not paths) in one node folder of the destination.
list_snapshots() {
  local folder=$1
  if is_s3; then
    aws s3 ls "$REDIS_BACKUP_DEST/$folder/" | awk '{ print $4 }'
  else
    [[ -d $REDIS_BACKUP_DEST/$folder ]] || return 0
    find "$REDIS_BACKUP_DEST/$folder" -mindepth 1 -maxdepth 1 -type f -printf '%f\n'
  fi
}

list_folders() {
  if is_s3; then
    aws s3 ls "$REDIS_BACKUP_DEST/" | awk '$1 == "PRE" { sub("/$", "", $2); print $2 }'
  else
    [[ -d $REDIS_BACKUP_DEST ]] || return 0
    find "$REDIS_BACKUP_DEST" -mindepth 1 -maxdepth 1 -type d -printf '%f\n'
  fi
}

delete_snapshot() {
  if is_s3; then
    aws s3 rm --only-show-errors "$REDIS_BACKUP_DEST/$1/$2"
  else
    rm -f -- "$REDIS_BACKUP_DEST/$1/$2"
  fi
}

rotate_folder() {
  local folder=$1 action class name kept=0 deleted=0
  while read -r action class name; do
    if [[ $action == delete ]]; then
      # "delete NAME" has no class field: the name landed in the second field.
      delete_snapshot "$folder" "$class"
      deleted=$((deleted + 1))
    else
      kept=$((kept + 1))
    fi
  done < <(list_snapshots "$folder" | plan)
  log "$folder: kept $kept, deleted $deleted"
}

rotate() {
  [[ -n $REDIS_BACKUP_DEST ]] || die "REDIS_BACKUP_DEST is not set"
  local folder
  while read -r folder; do
    [[ -n $folder ]] && rotate_folder "$folder"
  done < <(list_folders)
}

rcli() {
  local -a tls=()
  [[ -n $REDIS_TLS_CA_FILE ]] && tls=(--tls --cacert "$REDIS_TLS_CA_FILE")
  if [[ -n $REDIS_AUTH_FILE && -s $REDIS_AUTH_FILE ]]; then
    REDISCLI_AUTH=$(<"$REDIS_AUTH_FILE") redis-cli "${tls[@]}" "$@"
  else
    redis-cli "${tls[@]}" "$@"
  fi
}

persistence_field() {
  rcli -p "$1" info persistence | tr -d '\r' | awk -F: -v k="$2" '$1 == k { print $2 }'
}

# BGSAVE and wait for it. rdb_saves (Redis 7) counts completed saves; LASTSAVE alone has one-second resolution and
# would miss a save finishing within the second of the previous one.
snapshot_node() {
  local port=$1 before deadline=$((SECONDS + 600))
  before=$(persistence_field "$port" rdb_saves)
  [[ -n $before ]] || die "port $port: INFO has no rdb_saves (Redis 7 or newer is required)"
  rcli -p "$port" bgsave schedule >/dev/null
  until (($(persistence_field "$port" rdb_saves) > before)) && [[ $(persistence_field "$port" rdb_bgsave_in_progress) == 0 ]]; do
    ((SECONDS < deadline)) || die "BGSAVE on port $port did not finish within 600 s"
    sleep 0.5
  done
  [[ $(persistence_field "$port" rdb_last_bgsave_status) == ok ]] || die "BGSAVE on port $port failed"
}

backup() {
  [[ -n $REDIS_BACKUP_DEST ]] || die "REDIS_BACKUP_DEST is not set"
  local port role stamp folder name src
  for port in $REDIS_PORTS; do
    role=$(rcli -p "$port" role | head -n1 | tr -d '\r')
    if [[ $REDIS_BACKUP_ROLES == replica && $role != slave ]]; then
      log "port $port is a $role; skipped (REDIS_BACKUP_ROLES=replica)"
      continue
    fi
    snapshot_node "$port"
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    folder="$REDIS_BACKUP_NODE_NAME-$port"
    name="redis-$folder-$stamp.rdb"
    src="$REDIS_DATA_DIR/$port/dump.rdb"
    [[ -s $src ]] || die "no snapshot at $src"
    if is_s3; then
      aws s3 cp --only-show-errors "$src" "$REDIS_BACKUP_DEST/$folder/$name"
    else
      mkdir -p "$REDIS_BACKUP_DEST/$folder"
      cp -- "$src" "$REDIS_BACKUP_DEST/$folder/$name"
    fi
    log "port $port: shipped $name"
    rotate_folder "$folder"
  done
}

case ${1:-} in
  plan) plan ;;
  rotate) rotate ;;
  backup) backup ;;
  *)
    echo "usage: $0 backup|rotate|plan" >&2
    exit 2
    ;;
esac
