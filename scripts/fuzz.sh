#!/usr/bin/env bash
# Fuzz ecmova on stable Rust (issue 13): runs each fuzz target for N seconds.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS defaults to 60 per target. TARGETs: scenario (scenario parser + build + a short run),
# patient (patient parser + assessment), csv (the CSV batch reader), action (the session
# action decoder + apply + advance on a live session); default all four.
# Environment: ECMOVA_FUZZ_SEED=N replays a run (the seed is printed at the start);
# ECMOVA_FUZZ_STRICT=1 makes physically impossible outputs fail the target (they are counted
# and kept as findings otherwise); ECMOVA_FUZZ_FINDINGS=DIR sets where reproducers go
# (default target/fuzz-findings).
#
# The targets are property tests (proptest as the generator; `cargo fuzz` needs nightly). Without
# ECMOVA_FUZZ_SECS they run a bounded, deterministic number of cases inside `cargo test`; this
# script sets ECMOVA_FUZZ_SECS. Exit status: non-zero if any target found a panic or a
# non-finite output; the report (cases, outcomes, findings, failures) is printed per target.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(scenario patient csv action)
fi
export ECMOVA_FUZZ_SECS="$secs"
export ECMOVA_FUZZ_FINDINGS="${ECMOVA_FUZZ_FINDINGS:-$PWD/target/fuzz-findings}"

status=0
for t in "${targets[@]}"; do
  echo "== fuzz $t for $secs s (findings in $ECMOVA_FUZZ_FINDINGS/$t)"
  case "$t" in
    scenario) cmd=(cargo test --release -p ecmova-fuzz --test scenario -- --nocapture --test-threads=1) ;;
    patient) cmd=(cargo test --release -p ecmova-fuzz --test patient -- --nocapture --test-threads=1) ;;
    csv) cmd=(cargo test --release -p ecmova --bin ecmova clinical::batch::fuzz -- --nocapture --test-threads=1) ;;
    action) cmd=(cargo test --release -p ecmova-fuzz --test action -- --nocapture --test-threads=1) ;;
    *) echo "unknown target $t (scenario, patient, csv, action)" >&2; exit 2 ;;
  esac
  if ! "${cmd[@]}"; then
    status=1
  fi
done
exit $status
