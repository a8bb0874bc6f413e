#!/usr/bin/env bash
# Runs every test: unit, integration (real HTTP, real SMTP sink, real SQLite and PostgreSQL,
# the real binary) and the bert backend on real libtorch with models made for the tests.
# Usage: bash scripts/test.sh [extra cargo test args]
# VIGIE_NO_BERT=1 skips libtorch and the bert feature (a quicker lexicon-only run).
set -euo pipefail
cd "$(dirname "$0")/.."
export VIGIE_CACHE="${VIGIE_CACHE:-$HOME/.cache/vigie}"

python3 scripts/layers.py
python3 scripts/sizes.py
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
if [ "${VIGIE_NO_BERT:-0}" = "1" ]; then
  cargo test --all-targets "$@"
  exit
fi
eval "$(bash scripts/libtorch.sh --env)"
eval "$(bash scripts/test-models.sh --env)"
cargo clippy --all-targets --features bert -- -D warnings
cargo test --all-targets --features bert "$@"
