#!/usr/bin/env bash
# Browser test of the dashboard: starts `chipcap serve` on loopback with a fresh SQLite ledger,
# seeds the sample ledger, lets Debian's chromium (headless) run the page, and checks in the DOM
# it produced that the map, the allocation bars, the NVEU staircase, the UVEU shares and a
# determination result are there, and that the scenario page runs the sample scenario. Saves
# docs/dashboard.png.
# Usage: scripts/dashboard-browser-test.sh [path/to/chipcap]   (needs curl and chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/chipcap}
PORT=${CHIPCAP_TEST_PORT:-18765}
URL="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
export CHIPCAP_DB="$WORK/sample.db"
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

TOKEN=$("$BIN" token create --role admin --name browser-test 2>/dev/null)
RUST_LOG=warn "$BIN" serve --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
# Wait for readiness (bounded: 10 s), then seed.
for _ in $(seq 100); do curl -sf "$URL/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$URL/readyz" >/dev/null || { echo "server did not start"; cat "$WORK/server.log"; exit 1; }
scripts/seed-sample-ledger.sh "$URL" "$TOKEN"

CHROME=(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars
  --user-data-dir="$WORK/profile" --virtual-time-budget=10000)
timeout 120 "${CHROME[@]}" --dump-dom "$URL/?demo=1" >"$WORK/dom.html" 2>"$WORK/chromium.log" || true

fail=0
passed=0
failed=0
check() { # description, extended regex, minimum count
  local n
  n=$( (grep -oE "$2" "$WORK/dom.html" || true) | wc -l)
  if [ "$n" -ge "$3" ]; then echo "ok   $1 ($n)"; passed=$((passed + 1)); else echo "FAIL $1 ($n < $3)"; fail=1; failed=$((failed + 1)); fi
}
check "page finished loading"            'data-ready="true"' 1
check "world map with country outlines"  'class="country tier[123]" data-code="[A-Z]{2}" data-tier="[123]"><path d="M' 150
check "Tier 1, 2 and 3 all coloured"     'data-tier="3"' 10
check "allocation bars"                  'class="bar-row" data-country="[A-Z]{2}"' 5
check "allocation marks 80/90/95/100"    '<span>95</span>' 5
check "NVEU staircase"                   'data-nveu="Falcon Data' 1
check "UVEU shares"                      'data-uveu="Northstar Cloud"' 1
check "determination result"             'class="decision" data-decision="(license_required|authorized|not_controlled|no_license_required)"' 1
check "rule version shown and switchable" 'data-rule-set="advanced-computing-2023"' 1
check "rule version selector"            'id="f-ruleset"' 1
check "reasons with citations"           'class="cite">15 CFR' 5
check "recent determinations"            'class="recent"' 1
# The scenario page: `/?scenario` posts the sample scenario (the issue's example) on load.
timeout 120 "${CHROME[@]}" --dump-dom "$URL/?scenario=1" >"$WORK/scenario.html" 2>>"$WORK/chromium.log" || true
check_scenario() { # description, extended regex, minimum count
  local n
  n=$( (grep -oE "$2" "$WORK/scenario.html" || true) | wc -l)
  if [ "$n" -ge "$3" ]; then echo "ok   $1 ($n)"; passed=$((passed + 1)); else echo "FAIL $1 ($n < $3)"; fail=1; failed=$((failed + 1)); fi
}
check_scenario "scenario: MY exhausted 2026Q1"   'data-country="MY"><td>MY</td><td class="exhausted">2026Q1' 1
check_scenario "scenario: TH exhausted 2027Q2"   'data-country="TH"><td>TH</td><td class="exhausted">2027Q2' 1
check_scenario "scenario: SVG charts as images"  '<img src="data:image/svg\+xml' 3
if grep -qE 'src="https?://|href="https?://' "$WORK/dom.html"; then echo "FAIL the page references an outside URL"; fail=1; failed=$((failed + 1)); else passed=$((passed + 1)); fi

timeout 120 "${CHROME[@]}" --window-size=1400,1900 --screenshot="docs/dashboard.png" "$URL/?demo=1" >/dev/null 2>&1 || true
if [ -s docs/dashboard.png ]; then echo "ok   screenshot docs/dashboard.png"; passed=$((passed + 1)); else echo "FAIL no screenshot"; fail=1; failed=$((failed + 1)); fi
echo "dashboard browser test: $passed passed, $failed failed"
if [ "$fail" -ne 0 ]; then
  echo "--- server log"; tail -20 "$WORK/server.log"; exit 1
fi
