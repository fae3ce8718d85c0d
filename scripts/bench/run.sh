#!/usr/bin/env bash
# Load test of `chipcap serve` on loopback with wrk (bounded: 8 runs of DURATION, default 10 s):
# stateless determinations and ledger applies, 1 and 64 connections, and batches of applies
# (POST /v1/ledger/apply/batch, 8 connections, BATCH requests per call, default 32); then the
# ledger's own apply rate without HTTP and the naive one-transaction-per-apply baseline with 8
# clients, for comparison. Results go to standard output (copy them to docs/benchmarks.md).
# Usage: scripts/bench/run.sh [path/to/chipcap]   (needs wrk; builds the baseline example)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release/chipcap}
DURATION=${DURATION:-10s}
PORT=${CHIPCAP_BENCH_PORT:-18766}
URL="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
export CHIPCAP_DB="$WORK/bench.db"
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
TOKEN=$("$BIN" token create --role officer --name bench 2>/dev/null)
export TOKEN
RUST_LOG=warn "$BIN" serve --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf "$URL/readyz" >/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for c in 1 64; do
  t=$([ "$c" = 1 ] && echo 1 || echo 2)
  echo "== stateless POST /v1/determinations, $c connection(s)"
  BODY=examples/tier2-licence.json wrk -t "$t" -c "$c" -d "$DURATION" --latency -s scripts/bench/post.lua "$URL/v1/determinations" | grep -E "Requests/sec|50%|99%|Non-2xx"
done
for c in 1 64; do
  t=$([ "$c" = 1 ] && echo 1 || echo 2)
  echo "== POST /v1/ledger/apply (SQLite), $c connection(s)"
  RUN="c$c" wrk -t "$t" -c "$c" -d "$DURATION" --latency -s scripts/bench/apply.lua "$URL/v1/ledger/apply" | grep -E "Requests/sec|50%|99%|Non-2xx"
done
BATCH=${BATCH:-32}
echo "== POST /v1/ledger/apply/batch (SQLite), 8 connections, $BATCH requests per call (applies/s = Requests/sec x $BATCH)"
RUN=b8 BATCH=$BATCH wrk -t 2 -c 8 -d "$DURATION" --latency -s scripts/bench/apply_batch.lua "$URL/v1/ledger/apply/batch" | grep -E "Requests/sec|50%|99%|Non-2xx"
echo "== the ledger's own apply rate (SQLite, no HTTP)"
cargo run -q --release -p chipcap-server --example ledger_apply_rate -- "$WORK/rate.db" 20000
echo "== the naive baseline, one durable transaction per apply (lock, sum, insert, commit), 8 clients with a connection each, SQLite (and PostgreSQL when CHIPCAP_TEST_DATABASE_URL is set)"
CHIPCAP_BENCH_ONLY=naive8 cargo run -q --release -p chipcap-ledger --example ledger_bench -- "${DURATION%s}" | grep -E "^\| (SQLite|PostgreSQL)" | cut -d'|' -f2-4
