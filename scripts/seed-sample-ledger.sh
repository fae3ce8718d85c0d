#!/usr/bin/env bash
# Seeds a running chipcap server with a small sample ledger (for the dashboard screenshots and the
# browser test): licences against several Tier 2 allocations (past the 80/90/95% marks), one NVEU
# with shipments over several quarters, one UVEU with an opening installed base in the US.
# Usage: scripts/seed-sample-ledger.sh URL ADMIN_TOKEN
set -euo pipefail
URL=${1:?usage: seed-sample-ledger.sh URL ADMIN_TOKEN}
TOKEN=${2:?usage: seed-sample-ledger.sh URL ADMIN_TOKEN}

post() {
  local path=$1 body=$2 code
  code=$(curl -s -o /tmp/chipcap-seed.out -w '%{http_code}' -X POST "$URL$path" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$body")
  case $code in
    200|201) ;;
    *) echo "seed: $path answered $code: $(cat /tmp/chipcap-seed.out)" >&2; exit 1 ;;
  esac
}

grant() { # id licence consignee destination quantity date
  post /v1/ledger/grants "{\"id\":\"$1\",\"licence\":\"$2\",\"consignee\":\"$3\",\"destination\":\"$4\",\"items\":[{\"chip\":\"nvidia-h100-sxm\",\"quantity\":$5}],\"date\":\"$6\",\"valid_to\":\"2027-12-31\"}"
}

# Licences drawing on Tier 2 country allocations (790,000,000 TPP each = 49,898 H100s).
grant g-ae-1 L-AE-0001 "Gulf Compute" AE 30000 2025-02-03
grant g-ae-2 L-AE-0002 "Gulf Compute" AE 15500 2025-04-14
grant g-in-1 L-IN-0001 "Bharat AI Labs" IN 47600 2025-03-20
grant g-sa-1 L-SA-0001 "Riyadh Cloud" SA 41000 2025-05-06
grant g-br-1 L-BR-0001 "Sao Paulo Compute" BR 22000 2025-03-02
grant g-my-1 L-MY-0001 "Johor DC" MY 36500 2025-06-11
grant g-pl-1 L-PL-0001 "Warsaw HPC" PL 9000 2025-02-25
grant g-mx-1 L-MX-0001 "Monterrey AI" MX 12500 2025-04-02

# A National VEU in the UAE, shipping over several quarters.
post /v1/ledger/parties '{"id":"p-falcon","date":"2025-01-15","name":"Falcon Data","headquarters":"AE","veu":[{"kind":"nveu","countries":["AE"],"from":"2025-01-15"}]}'
for s in "1 2025-02-10 30000" "2 2025-05-12 22000" "3 2025-08-04 18000" "4 2025-11-17 20000"; do
  set -- $s
  post /v1/ledger/apply "{\"id\":\"s-falcon-$1\",\"date\":\"$2\",\"rule_set\":\"ai-diffusion-2025\",\"destination\":\"AE\",\"items\":[{\"chip\":\"nvidia-h100-sxm\",\"quantity\":$3}],\"consignee\":{\"name\":\"Falcon Data\",\"headquarters\":\"AE\",\"authorization\":\"nveu\"}}"
done

# A Universal VEU headquartered in the US, with its installed base in the US recorded as an
# opening balance (an audited admin adjustment), then shipments to Tier 2 data centers.
post /v1/ledger/parties '{"id":"p-northstar","date":"2025-01-15","name":"Northstar Cloud","headquarters":"US","veu":[{"kind":"uveu","countries":[],"from":"2025-01-15"}]}'
post /v1/ledger/adjustments '{"id":"adj-northstar-us","date":"2025-01-20","key":"uveu|Northstar Cloud|US","amount_milli":2400000000000,"reason":"opening balance: installed base in the US before the ledger"}'
post /v1/ledger/apply '{"id":"s-northstar-in","date":"2025-03-10","rule_set":"ai-diffusion-2025","destination":"IN","items":[{"chip":"nvidia-h100-sxm","quantity":9000}],"consignee":{"name":"Northstar Cloud","headquarters":"US","authorization":"uveu"}}'
post /v1/ledger/apply '{"id":"s-northstar-ae","date":"2025-06-16","rule_set":"ai-diffusion-2025","destination":"AE","items":[{"chip":"nvidia-h100-sxm","quantity":6000}],"consignee":{"name":"Northstar Cloud","headquarters":"US","authorization":"uveu"}}'
post /v1/ledger/apply '{"id":"s-northstar-sa","date":"2025-09-01","rule_set":"ai-diffusion-2025","destination":"SA","items":[{"chip":"nvidia-h100-sxm","quantity":7500}],"consignee":{"name":"Northstar Cloud","headquarters":"US","authorization":"uveu"}}'

# A few stateless determinations, so "recent determinations" has something to show.
for f in tier2-licence tier3-denial lpp-small-order; do
  if [ -f "examples/$f.json" ]; then
    curl -s -o /dev/null -X POST "$URL/v1/determinations" -H 'Content-Type: application/json' --data-binary "@examples/$f.json"
  fi
done
echo "seeded $URL"
