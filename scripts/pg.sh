#!/usr/bin/env bash
# A private, throw-away PostgreSQL cluster for tests (Debian's postgresql-15 package).
#   pg.sh start   -> initdb into a new temp dir, start on a private port + unix socket dir,
#                    create database $PG_DB; prints `export ...` lines (eval them).
#   pg.sh stop    -> stop the cluster started last and remove its temp dir.
# The server refuses to run as root: as root, it runs as the package's `postgres` user.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
. "$(dirname "$0")/lib/service-ports.sh"
PG_DB=${PG_DB:-findme}
POINTER=${PG_POINTER:-$(service_pointer pg)}   # remembers the running cluster's dir

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f s", b - a }'; }

if [ "$(id -u)" = 0 ]; then
    RUN=(runuser -u postgres --)
else
    RUN=()
fi

start() {
    if [ -f "$POINTER" ]; then
        local old
        old=$(cat "$POINTER")
        if [ -d "$old/data" ] && "${RUN[@]}" "$PGBIN/pg_ctl" -D "$old/data" status >/dev/null 2>&1; then
            echo "pg.sh: a cluster is already running at $old (pg.sh stop first)" >&2
            exit 1
        fi
        echo "pg.sh: clearing a stale pointer to $old (its server is not running)" >&2
        rm -rf "$old" "$POINTER"
    fi
    local explicit=0
    [ -n "${PG_PORT:-}" ] && explicit=1
    PG_PORT=$(pick_port pg.sh "${PG_PORT:-54329}" "$explicit")
    local dir
    dir=$(mktemp -d /tmp/findme-pg.XXXXXX)
    mkdir -p "$dir/sock"
    [ "${#RUN[@]}" -gt 0 ] && chown -R postgres: "$dir"
    echo "$dir" >"$POINTER"

    local t
    t=$(now)
    # --no-sync: a test cluster needs no durability; trust: only this machine's tests connect.
    "${RUN[@]}" "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync \
        -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    echo "pg.sh: initdb $(took "$t")" >&2

    t=$(now)
    "${RUN[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $PG_PORT -k $dir/sock -c listen_addresses=127.0.0.1 -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "pg.sh: start $(took "$t")" >&2

    t=$(now)
    "$PGBIN/psql" -X -q -h "$dir/sock" -p "$PG_PORT" -U postgres -d postgres \
        -c "CREATE DATABASE $PG_DB" >/dev/null
    echo "pg.sh: createdb $(took "$t")" >&2

    cat <<EOF
export PGHOST=$dir/sock PGPORT=$PG_PORT PGUSER=postgres PGDATABASE=$PG_DB
export DATABASE_URL='postgres://postgres@localhost:$PG_PORT/$PG_DB?host=$dir/sock'
export DATABASE_URL_TCP='postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB'
EOF
}

stop() {
    [ -f "$POINTER" ] || { echo "pg.sh: nothing to stop" >&2; return 0; }
    local dir t
    dir=$(cat "$POINTER")
    t=$(now)
    if [ -d "$dir/data" ]; then
        "${RUN[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    echo "pg.sh: stop $(took "$t")" >&2
    t=$(now)
    rm -rf "$dir" "$POINTER"
    echo "pg.sh: remove $(took "$t")" >&2
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) echo "usage: pg.sh start|stop" >&2; exit 2 ;;
esac
