#!/bin/sh
# The ctest fixtures of the Keras reference suite, run inside the build tree.
#   keras-ref.sh setup SRCDIR WORKDIR      npm ci of the pinned TensorFlow.js into WORKDIR
#   keras-ref.sh generate SRCDIR WORKDIR [REALDIR]
#                                          reference models (tfjs, and the attention
#                                          models of make-attention-models.py) + their Keras files;
#                                          tfjs' predictions for the real Keras files
# Exit 77 (ctest: skipped) when node or npm is missing.
set -eu
what=$1 src=$2 work=$3 real=${4:-}
for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "keras-ref: $tool not found: the Keras reference suite is skipped (scripts/install-deps.sh test installs nodejs npm)"
    exit 77
  fi
done
mkdir -p "$work"
case $what in
setup)
  # npm ci wipes and reinstalls node_modules; skip it when the installed tree
  # came from this very lock file (a re-run of the suite in the same build).
  if [ -f "$work/node_modules/.arnn-lock" ] && cmp -s "$src/package-lock.json" "$work/node_modules/.arnn-lock"; then
    echo "keras-ref: @tensorflow/tfjs already installed from this lock file"
    exit 0
  fi
  cp "$src/package.json" "$src/package-lock.json" "$work/"
  # --ignore-scripts: the pure-JS packages need no install step (and none may download anything)
  (cd "$work" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  cp "$src/package-lock.json" "$work/node_modules/.arnn-lock"
  ;;
generate)
  # The references depend only on the generators, the lock file and the real
  # files: a re-run of the suite in the same build (scripts/test.sh runs it
  # once per ISA cap) reuses them when none of those changed.
  stamp=$(cat "$src"/*.js "$src"/*.py "$src"/package-lock.json 2>/dev/null | cksum)
  if [ -n "$real" ] && [ -d "$real" ]; then
    stamp="$stamp $(ls -l "$real" | cksum)"
  fi
  if [ -f "$work/files/manifest.json" ] && [ -f "$work/.arnn-generated" ] && [ "$(cat "$work/.arnn-generated")" = "$stamp" ]; then
    echo "keras-ref: references already generated from these sources"
    exit 0
  fi
  rm -rf "$work/dumps" "$work/files" "$work/real-dumps" "$work/.arnn-generated"
  NODE_PATH="$work/node_modules" node "$src/make-models.js" "$work/dumps"
  # the attention layers tfjs lacks: configs written in Python, numpy_ref references
  /usr/bin/python3 "$src/make-attention-models.py" "$work/dumps"
  /usr/bin/python3 "$src/write-keras.py" "$work/dumps" "$work/files"
  if [ -n "$real" ] && [ -d "$real" ]; then
    /usr/bin/python3 "$src/real_dumps.py" "$real" "$work/real-dumps"
    NODE_PATH="$work/node_modules" node "$src/predict-dumps.js" "$work/real-dumps"/*.json
  else
    echo "keras-ref: no real Keras files at '$real': only the generated models are referenced"
  fi
  echo "$stamp" > "$work/.arnn-generated"
  ;;
*)
  echo "usage: keras-ref.sh setup|generate SRCDIR WORKDIR" >&2
  exit 2
  ;;
esac
