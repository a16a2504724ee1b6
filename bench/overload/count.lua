-- wrk script of bench/overload/run.sh: POSTs an invoke of ACTION (blocking result-only when BLOCKING=true, else
-- non-blocking) with basic auth OW_AUTH, each connection waiting DELAY_MS before each request when set (a paced
-- sender: its rate does not grow when its answers come fast, as a 429 does), counts every answer by status and
-- prints one line when done:
--   STATUS s200=N s202=N s429=N s503=N other=N connect=N read=N write=N timeout=N requests=N duration_us=N
local auth = os.getenv("OW_AUTH")
local action = os.getenv("ACTION") or "noop"
local blocking = os.getenv("BLOCKING") == "true"

local b64chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
local function base64(data)
  return ((data:gsub('.', function(x)
    local r, b = '', x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and '1' or '0') end
    return r
  end) .. '0000'):gsub('%d%d%d?%d?%d?%d?', function(x)
    if #x < 6 then return '' end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == '1' and 2 ^ (6 - i) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ '', '==', '=' })[#data % 3 + 1])
end

wrk.method = "POST"
wrk.path = "/api/v1/namespaces/_/actions/" .. action .. (blocking and "?blocking=true&result=true" or "")
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic " .. base64(auth)

local pause = tonumber(os.getenv("DELAY_MS") or "")
if pause then
  function delay()
    return pause
  end
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

s200, s202, s429, s503, other = 0, 0, 0, 0, 0
function response(status, headers, body)
  if status == 200 then s200 = s200 + 1
  elseif status == 202 then s202 = s202 + 1
  elseif status == 429 then s429 = s429 + 1
  elseif status == 503 then s503 = s503 + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local t = { s200 = 0, s202 = 0, s429 = 0, s503 = 0, other = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
  end
  local e = summary.errors
  io.write(string.format("STATUS s200=%d s202=%d s429=%d s503=%d other=%d connect=%d read=%d write=%d timeout=%d requests=%d duration_us=%d\n",
    t.s200, t.s202, t.s429, t.s503, t.other, e.connect, e.read, e.write, e.timeout, summary.requests, summary.duration))
end
