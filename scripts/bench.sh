#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md on this machine.
# Creates a Python venv with feedparser (the tool a user would otherwise pick) in the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${VIGIE_CACHE:-$HOME/.cache/vigie}"
VENV="$CACHE/venv-bench"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "feedparser==6.0.*"
fi
cargo build --release -q
echo "== ingest (1,000-item feed): vigie vs Python feedparser"
./target/release/vigie bench ingest --items 1000 --rounds 20 --python "$VENV/bin/python"
echo "== lexicon backend"
./target/release/vigie bench lexicon --texts 200000
echo "== fetch to alert e-mail"
cargo bench --bench alert_latency
echo "== idle daemon with 200 sources"
./target/release/vigie bench idle --sources 200 --settle 10
