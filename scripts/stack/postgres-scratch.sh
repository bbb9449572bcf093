#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for tests that must restart or stop their server (the shared stack's stays up).
#
#   scripts/stack/postgres-scratch.sh start DIR PORT   initdb into DIR (once), start on 127.0.0.1:PORT, wait until ready
#   scripts/stack/postgres-scratch.sh restart DIR      fast restart (sessions are terminated), wait until ready
#   scripts/stack/postgres-scratch.sh stop DIR         fast stop, then remove DIR
#
# DIR must be under the repository's .local/. The server runs as the postgres user (PostgreSQL refuses root), trusts
# connections from 127.0.0.1 (user postgres, database postgres) and is tuned for tests (no fsync). It listens on TCP
# only: a Unix socket path is limited to 107 bytes, which a checkout under a long directory would exceed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PG_BIN="$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)"
[ -n "$PG_BIN" ] || { echo "postgres-scratch: PostgreSQL 15 is not installed" >&2; exit 1; }

usage() { echo "usage: $0 start DIR PORT | restart DIR | stop DIR" >&2; exit 2; }

command=${1:-}
dir=${2:-}
if [ -z "$command" ] || [ -z "$dir" ]; then usage; fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
case "$dir" in "$ROOT/.local/"*) ;; *) echo "postgres-scratch: $dir is not under $ROOT/.local" >&2; exit 2 ;; esac
data="$dir/data"
pg() { runuser -u postgres -- "$PG_BIN/$1" "${@:2}"; }

# The postgres user must be able to traverse every parent of its directory.
ensure_traversable_for_postgres() {
    local path=$1
    while [ "$path" != "/" ]; do
        if ! runuser -u postgres -- test -x "$path" 2>/dev/null; then chmod o+x "$path"; fi
        path=$(dirname "$path")
    done
}

# The server must not keep the caller's file descriptors open: a caller that waits for this script through an
# inherited descriptor (Foundation's Process does) would otherwise wait for the server's whole lifetime.
close_inherited_descriptors() {
    local fd
    for fd in "/proc/$$/fd"/*; do
        fd=${fd##*/}
        if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
}

close_inherited_descriptors
case "$command" in
    start)
        port=${3:-}
        [ -n "$port" ] || usage
        ensure_traversable_for_postgres "$dir"
        chown postgres:postgres "$dir"
        if [ ! -f "$data/PG_VERSION" ]; then
            pg initdb -D "$data" -U postgres --auth-local=trust --auth-host=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        fi
        pg pg_ctl -D "$data" -l "$dir/server.log" -w -t 30 start \
            -o "-p $port -k '' -c listen_addresses=127.0.0.1 -c max_connections=100 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
        pg pg_isready -h 127.0.0.1 -p "$port" -t 30 >/dev/null
        ;;
    restart)
        # pg_ctl restart reuses the options of the last start (postmaster.opts), so the port stays the same.
        pg pg_ctl -D "$data" -l "$dir/server.log" -m fast -w -t 30 restart >/dev/null
        ;;
    stop)
        if [ -f "$data/postmaster.pid" ]; then pg pg_ctl -D "$data" -m fast -w -t 30 stop >/dev/null; fi
        rm -rf "$dir"
        ;;
    *) usage ;;
esac
