-- wrk script: POST /v1/ledger/apply with a fresh client id and consignee per request (each one a
-- small LPP shipment that is recorded). TOKEN: an officer token.
local counter = 0
local run = os.getenv("RUN") or tostring(os.time())
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
  counter = counter + 1
  local id = string.format("bench-%s-%d-%d", run, thread_id, counter)
  local body = string.format('{"id":"%s","date":"2025-06-15","destination":"IN","items":[{"chip":"nvidia-h100-sxm","quantity":8}],"consignee":{"name":"Bench %s","headquarters":"IN","authorization":"none"}}', id, id)
  return wrk.format("POST", "/v1/ledger/apply", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. os.getenv("TOKEN")}, body)
end
