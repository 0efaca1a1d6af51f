#!/usr/bin/env bash
# The whole test suite (the README's test command): the Rust workspace, then the Python
# package (scripts/test-python.sh). Extra arguments go to cargo test (CI passes --locked).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test --workspace --release $*"
cargo test --workspace --release "$@"

echo "== Python package"
scripts/test-python.sh
