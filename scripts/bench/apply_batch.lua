-- wrk script: POST /v1/ledger/apply/batch, each call a JSON array of BATCH (default 32) requests
-- with fresh client ids and consignees (small LPP shipments that are recorded). wrk's Requests/sec
-- counts calls: applies per second = Requests/sec x BATCH. TOKEN: an officer token.
local counter = 0
local run = os.getenv("RUN") or tostring(os.time())
local batch = tonumber(os.getenv("BATCH") or "32")
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  thread_id = tid or 0
end
function request()
  local items = {}
  for i = 1, batch do
    counter = counter + 1
    local id = string.format("bench-%s-%d-%d", run, thread_id, counter)
    items[i] = string.format('{"id":"%s","date":"2025-06-15","destination":"IN","items":[{"chip":"nvidia-h100-sxm","quantity":8}],"consignee":{"name":"Bench %s","headquarters":"IN","authorization":"none"}}', id, id)
  end
  local body = "[" .. table.concat(items, ",") .. "]"
  return wrk.format("POST", "/v1/ledger/apply/batch", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. os.getenv("TOKEN")}, body)
end
