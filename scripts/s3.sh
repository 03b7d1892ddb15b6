#!/usr/bin/env bash
# A private S3-compatible server for tests (issue 18, docs/scale-out.md): s3s-fs
# (crates.io, installed by scripts/setup.sh into .cache/tools; S3S overrides the
# binary) on 127.0.0.1:$S3_PORT with a temp data dir and fixed test keys; creates
# bucket $S3_BUCKET. The event server's S3 tests (tests/s3_store.rs,
# tests/s3_faults.rs, the suite on PostgreSQL+S3) read what `start` prints, plus
# FINDME_TEST_S3_BUCKET (the bucket's name).
#   s3.sh start -> prints `export AWS_...` lines (eval them);  s3.sh stop -> kill + remove.
#   S3_PORT (54330, or the next free one), S3_BUCKET (findme), S3_POINTER
#   (.cache/services/s3.current): run several side by side with different pointers.
set -euo pipefail
S3S=${S3S:-$(dirname "$0")/../.cache/tools/bin/s3s-fs}
. "$(dirname "$0")/lib/service-ports.sh"
S3_BUCKET=${S3_BUCKET:-findme}
POINTER=${S3_POINTER:-$(service_pointer s3)}
KEY=findme-test SECRET=findme-test-secret

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f s", b - a }'; }

start() {
    if [ -f "$POINTER" ]; then
        local old
        old=$(cat "$POINTER")
        # (a killed server that nobody reaped is a zombie: kill -0 still succeeds)
        if ps -o stat= -p "$(cat "$old/pid" 2>/dev/null || echo 0)" 2>/dev/null | grep -qv Z; then
            echo "s3.sh: already running ($old; s3.sh stop first)" >&2
            exit 1
        fi
        echo "s3.sh: clearing a stale pointer to $old (its server is not running)" >&2
        rm -rf "$old" "$POINTER"
    fi
    local explicit=0
    [ -n "${S3_PORT:-}" ] && explicit=1
    S3_PORT=$(pick_port s3.sh "${S3_PORT:-54330}" "$explicit")
    [ -x "$S3S" ] || { echo "s3.sh: no s3s-fs at $S3S: run scripts/setup.sh (or set S3S)" >&2; exit 1; }
    local dir t
    dir=$(mktemp -d /tmp/findme-s3.XXXXXX)
    mkdir -p "$dir/data/$S3_BUCKET"       # s3s-fs: a bucket is a top-level folder
    echo "$dir" >"$POINTER"
    t=$(now)
    RUST_LOG=${RUST_LOG:-warn} setsid "$S3S" --host 127.0.0.1 --port "$S3_PORT" \
        --access-key "$KEY" --secret-key "$SECRET" "$dir/data" >"$dir/server.log" 2>&1 &
    echo $! >"$dir/pid"
    # Ready when the port answers (any HTTP status).
    for _ in $(seq 1 200); do
        if curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/"; then break; fi
        kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
        sleep 0.05
    done
    echo "s3.sh: start $(took "$t")" >&2
    cat <<EOF2
export AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PORT AWS_ALLOW_HTTP=true
export S3_URL=s3://$S3_BUCKET/findme
EOF2
}

stop() {
    [ -f "$POINTER" ] || { echo "s3.sh: nothing to stop" >&2; return 0; }
    local dir pid t
    dir=$(cat "$POINTER")
    t=$(now)
    pid=$(cat "$dir/pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    fi
    rm -rf "$dir" "$POINTER"
    echo "s3.sh: stop+remove $(took "$t")" >&2
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) echo "usage: s3.sh start|stop" >&2; exit 2 ;;
esac
