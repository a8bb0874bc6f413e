#!/usr/bin/env bash
# Runs every test: unit, integration (real HTTP, real SQLite and PostgreSQL, the real binary).
# Usage: bash scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
export VIGIE_CACHE="${VIGIE_CACHE:-$HOME/.cache/vigie}"

cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets "$@"
