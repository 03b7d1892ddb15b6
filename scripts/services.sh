#!/usr/bin/env bash
# The services the scaled-out event server runs on, private to this machine's
# tests: a throw-away PostgreSQL cluster (scripts/pg.sh) and an S3-compatible
# server (s3s-fs, scripts/s3.sh).
#   eval "$(scripts/services.sh start)"  -> both running; exports FINDME_TEST_*
#   scripts/services.sh stop             -> both stopped and removed
# The exports are namespaced (FINDME_TEST_S3_*, not AWS_*): other tests (the
# Rekognition mock) read the AWS variables, and a global AWS_ENDPOINT_URL would
# send them to the S3 server. The event-server harness (crates/event-server/
# tests/common/stores.rs) hands them to the server as AWS_* settings.
set -euo pipefail
here=$(dirname "$0")

case "${1:-}" in
start)
    pg=$("$here/pg.sh" start)
    if ! s3=$("$here/s3.sh" start); then
        "$here/pg.sh" stop
        exit 1
    fi
    (
        eval "$pg"
        eval "$s3"
        cat <<EOF2
export FINDME_TEST_POSTGRES='postgres://postgres@127.0.0.1:$PGPORT/postgres'
export FINDME_TEST_S3_BUCKET=${S3_URL#s3://} FINDME_TEST_S3_ENDPOINT=$AWS_ENDPOINT_URL
export FINDME_TEST_S3_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID FINDME_TEST_S3_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
EOF2
    ) | sed 's|FINDME_TEST_S3_BUCKET=\([^/ ]*\)/[^ ]*|FINDME_TEST_S3_BUCKET=\1|'
    ;;
stop)
    "$here/s3.sh" stop
    "$here/pg.sh" stop
    ;;
*)
    echo "usage: services.sh start|stop" >&2
    exit 2
    ;;
esac
