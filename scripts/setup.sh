#!/usr/bin/env bash
# Installs everything FindMe Studio needs to build, run and test on Debian 12.
# Safe to re-run: each step checks first and does nothing when already done.
#   scripts/setup.sh          system packages + test tools (s3s-fs) + UI packages
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Tauri 2 / WebKitGTK build deps, Xvfb + WebKitWebDriver for end-to-end tests,
# libvips-tools/hyperfine/exiftool and libjpeg-turbo-progs (djpeg) as benchmark and test
# references, chromium for UI tests,
# postgresql for the scaled-out event server's tests (a private cluster per run: scripts/pg.sh).
APT_PACKAGES=(
  build-essential pkg-config file curl ca-certificates python3-pip unzip
  libssl-dev libxdo-dev libwebkit2gtk-4.1-dev libjavascriptcoregtk-4.1-dev
  libsoup-3.0-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev
  xvfb xauth webkit2gtk-driver fonts-dejavu-core imagemagick
  libturbojpeg0-dev libjpeg-turbo-progs libvips-tools hyperfine libimage-exiftool-perl chromium nodejs npm
  postgresql
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from outside Debian (e.g. nodesource); don't fight it.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=(); for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found; install Rust with rustup (https://rustup.rs) and re-run" >&2
  exit 1
fi

# s3s-fs: the S3-compatible server the event server's S3 tests run against
# (scripts/s3.sh). Pinned: 0.15+ needs a newer rustc. Cold: ~4-5 min; kept: nothing.
if [ ! -x .cache/tools/bin/s3s-fs ]; then
  echo "setup: installing s3s-fs 0.14.1 into .cache/tools"
  cargo install s3s-fs --version 0.14.1 --features binary --locked --root .cache/tools
fi

# UI packages (lockfile-exact); skipped when node_modules was installed from this lockfile.
if [ -f ui/package-lock.json ]; then
  want=$(sha256sum ui/package-lock.json | cut -d' ' -f1)
  if [ "$(cat ui/node_modules/.findme-lock-sha256 2>/dev/null)" != "$want" ]; then
    (cd ui && npm ci --no-audit --no-fund)
    echo "$want" > ui/node_modules/.findme-lock-sha256
  fi
fi
echo "setup: ok"
scripts/models.sh
