#!/usr/bin/env bash
# CI for `chipcap serve` beyond `cargo test`: installs Debian's chromium and schemathesis, builds the
# release binary, runs the dashboard browser test (screenshot in docs/) and schemathesis against
# /openapi.json. Bounded: each step has a timeout; about 3-6 minutes on the 2-core machine after the
# release build. Called by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== server: packages"
if ! command -v chromium >/dev/null || ! command -v curl >/dev/null || ! python3 -m venv --help >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium curl python3-venv fonts-dejavu-core >/dev/null
fi
VENV=${CHIPCAP_ST_VENV:-/tmp/chipcap-schemathesis}
if [ ! -x "$VENV/bin/st" ]; then
  python3 -m venv "$VENV"
  timeout 600 "$VENV/bin/pip" install -q schemathesis
fi

echo "== server: release build"
cargo build --release -p chipcap
BIN=${CARGO_TARGET_DIR:-target}/release/chipcap

echo "== server: dashboard browser test"
timeout 300 scripts/dashboard-browser-test.sh "$BIN"

echo "== server: schemathesis"
ST="$VENV/bin/st" TIMEOUT=300 MAX_EXAMPLES=50 scripts/schemathesis.sh "$BIN"
