#!/usr/bin/env bash
# Builds and starts FindMe Studio (debug build).
#
#   scripts/run-app.sh            # catalog in the app data folder
#   FINDME_DATA_DIR=/tmp/lib scripts/run-app.sh
#
# With no display ($DISPLAY and $WAYLAND_DISPLAY unset) the app runs under
# xvfb-run: it works, but nobody can see it.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

scripts/setup.sh

want=$(sha256sum ui/package-lock.json | cut -d' ' -f1)
if [ "$(cat ui/node_modules/.findme-lock-sha256 2>/dev/null)" != "$want" ]; then
  (cd ui && npm ci --no-audit --no-fund)
  echo "$want" > ui/node_modules/.findme-lock-sha256
fi
(cd ui && npm run build)
cargo build -p findme-studio
BIN="${CARGO_TARGET_DIR:-$REPO/target}/debug/findme-studio"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run-app: no display (\$DISPLAY is unset); running under xvfb-run, so the window is invisible." >&2
  echo "run-app: stop it with Ctrl-C." >&2
  exec xvfb-run -a --server-args="-screen 0 1280x800x24" "$BIN" "$@"
fi
exec "$BIN" "$@"
