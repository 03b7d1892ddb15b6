#!/usr/bin/env bash
# Sets up everything FindMe Studio needs and runs every test: formatting, lints,
# the UI type check and unit tests, all Rust tests (unit, integration on real
# files, crash and load tests), generated-type freshness, and the end-to-end tests
# in the real app window under Xvfb. This is what CI runs (.ci/run).
#
#   scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
# No debug info in the workspace's test binaries either (dependencies have none:
# Cargo.toml): it is ~40 % of each ~130 MB binary, and CI machines have run out of
# disk (2026-11-30: "No space left on device" at 1137 s). Panics still name the
# file and line; only backtraces lose line numbers.
export CARGO_PROFILE_DEV_DEBUG=${CARGO_PROFILE_DEV_DEBUG:-0}
started=$(date +%s)
# Each step prints the free disk and the build's size, so a full disk is visible.
step() {
  echo
  echo "== $* [$(( $(date +%s) - started ))s] disk free: $(df -h --output=avail . | tail -1 | tr -d ' '), target: $(du -sh target 2>/dev/null | cut -f1)"
}

step "setup (system packages, UI packages)"
scripts/setup.sh

step "dev set of real photos"
scripts/devset.sh
export FINDME_DEVSET=${FINDME_DEVSET:-$PWD/.cache/devset}

step "UI: type check, build, unit tests"
(cd ui && npm run build && npm test)

step "rustfmt"
cargo fmt --all -- --check

# Every cargo step below uses the same package set and features (FEATURES), so
# dependencies compile once: a single-package build would resolve other features
# and compile tract, the AWS SDK and Tauri again (~20 CI minutes).
FEATURES=(--workspace --locked --features findme-engine/ts)

step "clippy"
cargo clippy "${FEATURES[@]}" --all-targets -- -D warnings

step "Rust tests (also writes the TypeScript bindings: export_bindings)"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run "${FEATURES[@]}" --no-fail-fast
else
  cargo test "${FEATURES[@]}" --no-fail-fast
fi

step "generated TypeScript types match the Rust wire types"
if git rev-parse --git-dir >/dev/null 2>&1; then
  git diff --exit-code -- ui/src/lib/bindings || {
    echo "ui/src/lib/bindings is stale: commit the regenerated files" >&2
    exit 1
  }
fi

step "end-to-end tests in the real window"
scripts/e2e.sh

step "all tests passed"
