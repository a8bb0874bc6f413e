#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md on this machine.
# Creates a Python venv with feedparser and scikit-learn (the tools a user would otherwise
# pick) in the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${VIGIE_CACHE:-$HOME/.cache/vigie}"
VENV="$CACHE/venv-bench"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "feedparser==6.0.*"
fi
"$VENV/bin/python" -c "import sklearn" 2>/dev/null || "$VENV/bin/pip" install -q "scikit-learn==1.9.*"
cargo build --release -q
BIN="${CARGO_TARGET_DIR:-target}/release/vigie"
echo "== ingest (1,000-item feed): vigie vs Python feedparser"
"$BIN" bench ingest --items 1000 --rounds 20 --python "$VENV/bin/python"
echo "== vigie run --once end to end (5,000-item feed, 1,000 matching, lexicon, new SQLite) vs feedparser's parse"
"$BIN" bench once --items 5000 --matching 1000 --rounds 15 --python "$VENV/bin/python"
echo "== recurring questions: a week of 10,000 questions grouped, vigie vs scikit-learn"
"$BIN" bench questions --questions 10000 --rounds 5 --python "$VENV/bin/python"
echo "== lexicon backend"
"$BIN" bench lexicon --texts 200000
echo "== Bluesky Jetstream: decode + filter, and end to end over a local WebSocket, one core"
"$BIN" bench jetstream --events 200000
echo "== fetch to alert e-mail"
cargo bench --bench alert_latency
echo "== idle daemon with 200 sources"
"$BIN" bench idle --sources 200 --settle 10
echo "== signals: replay throughput (lexicon), engine start over 1M stored mentions"
"$BIN" bench replay --mentions 100000 --days 28
"$BIN" bench stored --mentions 1000000
echo "== escalation list page with 10,000 open escalations (SQLite, then PostgreSQL)"
"$BIN" bench web --escalations 10000 --rounds 30
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  DB="vigie_bench_$$"
  psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $DB"
  "$BIN" bench web --escalations 10000 --rounds 30 --store "postgres://postgres@127.0.0.1:5432/$DB"
  psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE $DB WITH (FORCE)"
fi
echo "== bert backend vs Python transformers (same model folder, same texts, 2 threads)"
eval "$(bash scripts/libtorch.sh --env)"
eval "$(bash scripts/test-models.sh --env)"
cargo build --release -q --features bert
DATA="${VIGIE_SHARED_DATA:-../shared/data}/sentiment-dev/en.jsonl"
for batch in 1 32; do
  "$BIN" bench bert --models "$VIGIE_TEST_MODELS" --model all-minilm-l6-v2 \
    --data "$DATA" --texts 512 --batch "$batch" --threads 2
  "$VIGIE_PYTHON" benches/transformers_bench.py --models "$VIGIE_TEST_MODELS" --model all-minilm-l6-v2 \
    --data "$DATA" --texts 512 --batch "$batch" --threads 2
done
