#!/usr/bin/env bash
# The Python package's test suite (issue 16): builds the ecmova wheel (maturin), installs it in
# a fresh virtual environment with pip (pyarrow from PyPI; the wheel itself needs no Rust at
# install time), and runs pytest on crates/ecmova-py/tests against it and the release CLI.
#
#   scripts/test-python.sh [PYTEST ARGS...]
#
# Needs python3 with venv and pip, and the registries (PyPI) the first time; the venv is kept
# in target/py-venv and rebuilt when missing. The wheel is built with `--locked` and the same
# release profile as `cargo test --workspace --release`, so the shared crates are not rebuilt.
# Outside CI, a machine without python3 -m venv skips the suite with a message; in CI
# (CI=true) that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
  msg="python3 with venv and ensurepip is needed for the Python suite (Debian: python3-venv)"
  if [ "${CI:-}" = "true" ]; then
    echo "error: $msg" >&2
    exit 1
  fi
  echo "skipped: $msg" >&2
  exit 0
fi

venv="$root/target/py-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
py="$venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check --upgrade \
  "maturin>=1.9,<2" "pytest>=7" "pyarrow>=14" "pandas>=1.5" "dask[distributed]"

echo "== ecmova wheel (maturin, abi3)"
wheels="$(mktemp -d)"
trap 'rm -rf "$wheels"' EXIT
(cd crates/ecmova-py && "$venv/bin/maturin" build --release --locked --out "$wheels")
# Installed like on a user's machine: the built wheel, its dependencies from PyPI.
"$py" -m pip install --quiet --disable-pip-version-check --force-reinstall "$wheels"/ecmova-*.whl

echo "== the CLI the suite compares against"
# `cargo test --workspace --release` (scripts/test-all.sh) has just built it (then this is a
# no-op); alone, build it. Always asked, so that a stale binary (say, one without `cohort`)
# is never what the suite compares against.
cargo build --release --locked -p ecmova

echo "== pytest crates/ecmova-py/tests"
# From outside the source tree, so that `import ecmova` is the installed wheel.
cd "$root/target"
ECMOVA_CLI="$root/target/release/ecmova" "$py" -m pytest -q -rs "$root/crates/ecmova-py/tests" "$@"
