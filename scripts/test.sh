#!/usr/bin/env bash
# Sets up everything FindMe Studio needs and runs every test: formatting, lints,
# the UI type check and unit tests, all Rust tests (unit, integration on real
# files, crash and load tests), generated-type freshness, and the end-to-end tests
# in the real app window under Xvfb. This is what CI runs (.ci/run).
#
#   scripts/test.sh
#
# Setup steps stop the run when they fail (nothing after them could run). The test
# steps after them all run even when one fails, so one failure does not hide the
# state of the others; the script then names every failed step and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
# No debug info in the workspace's test binaries either (dependencies have none:
# Cargo.toml): it is ~40 % of each ~130 MB binary, and CI machines have run out of
# disk (2026-11-30: "No space left on device" at 1137 s). Panics still name the
# file and line; only backtraces lose line numbers.
export CARGO_PROFILE_DEV_DEBUG=${CARGO_PROFILE_DEV_DEBUG:-0}
started=$(date +%s)
failed=()
# Each step prints the free disk and the build's size, so a full disk is visible.
header() {
  echo
  echo "== $* [$(( $(date +%s) - started ))s] disk free: $(df -h --output=avail . | tail -1 | tr -d ' '), target: $(du -sh target 2>/dev/null | cut -f1)"
}
# step NAME FUNCTION: runs FUNCTION (with `set -e` in force) and records a failure.
step() {
  local name=$1 rc
  header "$name"
  set +e
  ( set -euo pipefail; "$2" )
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "== FAILED: $name (exit $rc)"
    failed+=("$name")
  fi
}

header "setup (system packages, UI packages)"
scripts/setup.sh

header "dev set of real photos"
scripts/devset.sh
export FINDME_DEVSET=${FINDME_DEVSET:-$PWD/.cache/devset}

# PostgreSQL and an S3-compatible server for the scaled-out event server's tests,
# private to this run (ports 54329/54330 or the next free ones), stopped when the
# script exits. Captured before the eval: `eval "$(cmd)"` would swallow a failed
# start and every test that needs the services would fail far from the cause.
header "test services (PostgreSQL, S3-compatible server)"
trap 'scripts/services.sh stop >/dev/null 2>&1 || true' EXIT
services_env=$(scripts/services.sh start)
eval "$services_env"
echo "services: $FINDME_TEST_POSTGRES, $FINDME_TEST_S3_ENDPOINT"

# Every cargo step below uses the same package set and features (FEATURES), so
# dependencies compile once: a single-package build would resolve other features
# and compile tract, the AWS SDK and Tauri again (~20 CI minutes).
FEATURES=(--workspace --locked --features findme-engine/ts)

check_ui() { cd ui && npm run build && npm test; }
check_format() { cargo fmt --all -- --check; }
check_lints() { cargo clippy "${FEATURES[@]}" --all-targets -- -D warnings; }
run_rust_tests() {
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run "${FEATURES[@]}" --no-fail-fast
  else
    cargo test "${FEATURES[@]}" --no-fail-fast
  fi
}
# The event server's whole suite again, on PostgreSQL + S3 (tests/common/stores.rs).
run_event_server_on_services() {
  export FINDME_TEST_STORE=postgres-s3
  if cargo nextest --version >/dev/null 2>&1; then
    # (the tests of the stores themselves need no second pass)
    cargo nextest run "${FEATURES[@]}" --no-fail-fast \
      -E 'package(findme-event-server) - binary(pg_store) - binary(s3_store) - binary(s3_faults) - binary(two_instances)'
  else
    cargo test --locked --no-fail-fast -p findme-event-server
  fi
}
check_bindings() {
  git rev-parse --git-dir >/dev/null 2>&1 || return 0
  # (and the gallery filters' cases for the fake shell, written by the same run)
  git diff --exit-code -- ui/src/lib/bindings ui/browser/filter-cases.json || {
    echo "ui/src/lib/bindings or ui/browser/filter-cases.json is stale: commit the regenerated files" >&2
    return 1
  }
}
run_e2e() { scripts/e2e.sh; }

step "UI: type check, build, unit tests" check_ui
step "rustfmt" check_format
step "clippy" check_lints
step "Rust tests (also writes the TypeScript bindings: export_bindings)" run_rust_tests
step "event server on PostgreSQL + S3 (the same suite)" run_event_server_on_services
step "generated TypeScript types (and filter cases) match the Rust side" check_bindings
step "browser tests (Chromium) and end-to-end tests in the real window" run_e2e

if [ ${#failed[@]} -gt 0 ]; then
  header "FAILED: ${#failed[@]} step(s)"
  printf '  - %s\n' "${failed[@]}"
  exit 1
fi
header "all tests passed"
