#!/usr/bin/env bash
# Builds (once) the pinned dev set of real photos, faces and hostile files that the
# tests use, into .cache/devset, and verifies every file against its pinned hash.
# The builder fetches only from Debian and PyPI (tests/devset/make_dev_set.sh is a
# copy of the team's ../shared/corpus script); the files are not committed because
# their licences vary.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${FINDME_DEVSET:-$PWD/.cache/devset}
pins=tests/devset/DEV_SET.sha256

verify() {
  [ -f "$out/SHA256SUMS" ] || return 1
  (cd "$out" && sha256sum --quiet -c "$OLDPWD/$pins") >/dev/null 2>&1
}

if verify; then
  echo "devset: ok ($out)"
  exit 0
fi
echo "devset: building into $out (about a minute; needs apt-get download and pip)"
rm -rf "$out.partial"
# apt-get download needs current package lists.
if [ "$(id -u)" -eq 0 ]; then apt-get update -q >/dev/null; else sudo apt-get update -q >/dev/null; fi
bash tests/devset/make_dev_set.sh "$out.partial"
rm -rf "$out"
mv "$out.partial" "$out"
verify || { echo "devset: files do not match $pins" >&2; exit 1; }
echo "devset: ok ($out)"
