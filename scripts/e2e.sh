#!/usr/bin/env bash
# End-to-end tests of FindMe Studio in its real window (tests/e2e).
#
#   scripts/e2e.sh
#
# Builds the UI, runs the gallery's browser tests on the built UI in headless
# Chromium (ui/browser, the Tauri shell faked in the page: 20,000 tiles), builds the
# debug app, then runs `node --test` in tests/e2e under xvfb-run. Each test starts tauri-driver itself (on port 4444, driving
# /usr/bin/WebKitWebDriver) with FINDME_DATA_DIR set to a fresh temp folder, which
# the app inherits, and stops it with SIGTERM.
#
# tauri-driver: `cargo install tauri-driver --version 2.1.0 --locked` into
# <repo>/.tools (once, ~1 CPU-minute). The prebuilt npm `@crabnebula/tauri-driver`
# can't be used: its lockfile needs platform packages this registry doesn't serve,
# so `npm ci` fails. Set TAURI_DRIVER=/path/to/tauri-driver to use another build.
#
# Photos: FINDME_DEVSET (a folder with camera-jpeg/ and faces/), else <repo>/.cache/devset.
# Face model (event.test.js matches on this computer): FINDME_MODELS_DIR, else
# <repo>/.cache/models (scripts/setup.sh fetches it).
# Screenshots: target/e2e-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

scripts/setup.sh

# npm ci in $1 unless node_modules was installed from the current lockfile.
npm_ci_if_needed() {
  local dir=$1 want
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$dir/node_modules/.findme-lock-sha256" 2>/dev/null)" != "$want" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund)
    echo "$want" > "$dir/node_modules/.findme-lock-sha256"
  fi
}

echo "e2e: building the UI"
npm_ci_if_needed ui
(cd ui && npm run build)

echo "e2e: gallery browser tests (headless Chromium, built UI)"
# A failure here is reported at the end: the real-window tests still run.
browser_rc=0
(cd ui && npm run test:browser:built) || browser_rc=$?

echo "e2e: building the app"
# The same package set and features as scripts/test.sh's test build, so in CI
# this reuses every compiled dependency instead of building them again.
cargo build --workspace --bins --tests --locked --features findme-engine/ts
TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}
export FINDME_STUDIO_BIN="$TARGET_DIR/debug/findme-studio"
# event.test.js starts the reference event server (built above with the app).
export FINDME_EVENT_SERVER_BIN="$TARGET_DIR/debug/findme-event-server"

export TAURI_DRIVER=${TAURI_DRIVER:-$REPO/.tools/bin/tauri-driver}
if [ ! -x "$TAURI_DRIVER" ]; then
  echo "e2e: installing tauri-driver 2.1.0 into $REPO/.tools"
  cargo install tauri-driver --version 2.1.0 --locked --root "$REPO/.tools"
fi

npm_ci_if_needed tests/e2e

export E2E_ARTIFACTS="$REPO/target/e2e-artifacts"
mkdir -p "$E2E_ARTIFACTS"
if [ -z "${FINDME_DEVSET:-}" ] && [ ! -d "$REPO/.cache/devset" ]; then
  echo "e2e: no photos: set FINDME_DEVSET to a folder with camera-jpeg/ (or create $REPO/.cache/devset)" >&2
  exit 1
fi

echo "e2e: running tests/e2e under xvfb-run (screenshots in $E2E_ARTIFACTS)"
window_rc=0
(cd tests/e2e && xvfb-run -a --server-args="-screen 0 1280x800x24" npm test) 2>&1 |
  tee "$E2E_ARTIFACTS/window-tests.tap" || window_rc=$?

if [ "$browser_rc" -ne 0 ] || [ "$window_rc" -ne 0 ]; then
  # The failures again, last, so they survive a log cut to its tail: each
  # `not ok` with its YAML block (the error, expected/actual, the stack's top).
  echo "e2e: failed tests (full output: $E2E_ARTIFACTS/window-tests.tap):" >&2
  awk '/^ *not ok /{on=1} on{print; n++} on && /^ *\.\.\.$/{on=0} n>200{exit}' \
    "$E2E_ARTIFACTS/window-tests.tap" >&2 || true
  echo "e2e: FAILED: browser tests exit $browser_rc, real-window tests exit $window_rc" >&2
  exit 1
fi
