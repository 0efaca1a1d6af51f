#!/usr/bin/env bash
# Regenerates the web simulator's screenshots in docs/images (README.md shows monitor.png,
# layout-1366x768.png and assess.png) with the headless Chromium the browser tests use
# (crates/ecmova-server/tests/browser.rs, ECMOVA_SCREENSHOTS). Needs chromium and
# chromium-driver (Debian packages), as the browser tests do.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ECMOVA_SCREENSHOTS="$tmp" cargo test -p ecmova-server --release --test browser -- --test-threads 1
for f in monitor.png assess.png layout-1366x768.png; do
  if [ ! -s "$tmp/$f" ]; then
    echo "screenshots.sh: $f was not written (is chromium installed? the browser tests skip without it)" >&2
    exit 1
  fi
  cp "$tmp/$f" docs/images/
  echo "docs/images/$f"
done
