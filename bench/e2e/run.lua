-- wrk script: POST /run straight to a runtime (the ceiling the invoker is compared with).
wrk.method = "POST"
wrk.path = "/run"
wrk.body = '{"value":{},"namespace":"guest","action_name":"/guest/bench","activation_id":"00000000000000000000000000000000","transaction_id":"bench","deadline":"99999999999999"}'
wrk.headers["Content-Type"] = "application/json"

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "result.lua")
