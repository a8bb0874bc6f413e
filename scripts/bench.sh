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
echo "== Bluesky Jetstream: decode + filter, and end to end over a local WebSocket, one core"
./target/release/vigie bench jetstream --events 200000
echo "== fetch to alert e-mail"
cargo bench --bench alert_latency
echo "== idle daemon with 200 sources"
./target/release/vigie bench idle --sources 200 --settle 10
echo "== bert backend vs Python transformers (same model folder, same texts, 2 threads)"
eval "$(bash scripts/libtorch.sh --env)"
eval "$(bash scripts/test-models.sh --env)"
cargo build --release -q --features bert
DATA="${VIGIE_SHARED_DATA:-../shared/data}/sentiment-dev/en.jsonl"
for batch in 1 32; do
  ./target/release/vigie bench bert --models "$VIGIE_TEST_MODELS" --model all-minilm-l6-v2 \
    --data "$DATA" --texts 512 --batch "$batch" --threads 2
  "$VIGIE_PYTHON" benches/transformers_bench.py --models "$VIGIE_TEST_MODELS" --model all-minilm-l6-v2 \
    --data "$DATA" --texts 512 --batch "$batch" --threads 2
done
