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
started=$(date +%s)
step() { echo; echo "== $* [$(( $(date +%s) - started ))s]"; }

step "setup (system packages, UI packages)"
scripts/setup.sh

step "dev set of real photos"
scripts/devset.sh
export FINDME_DEVSET=${FINDME_DEVSET:-$PWD/.cache/devset}

step "UI: type check, build, unit tests"
(cd ui && npm run build && npm test)

step "rustfmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi

step "generated TypeScript types match the Rust wire types"
cargo test -p findme-engine --features ts --locked --quiet export_bindings
if git rev-parse --git-dir >/dev/null 2>&1; then
  git diff --exit-code -- ui/src/lib/bindings || {
    echo "ui/src/lib/bindings is stale: commit the regenerated files" >&2
    exit 1
  }
fi

step "end-to-end tests in the real window"
scripts/e2e.sh

step "all tests passed"
