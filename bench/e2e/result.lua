-- Shared by invoke.lua and run.lua (loaded with dofile): counts every answer that is not a 200 and, when wrk is
-- done, prints one machine-readable line that sweep.sh and soak.sh parse:
--   RESULT requests=N duration_us=N p50_us=N p99_us=N non200=N connect=N read=N write=N timeout=N
-- wrk's own status error count takes only codes above 399, so a 202 (a blocking invoke that outlived its wait)
-- would pass unseen; the count here is per thread, read back through setup's thread handles.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

non200 = 0
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + (thread:get("non200") or 0) end
  io.write(string.format("non-2xx/3xx or not 200: %d\n", bad))
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non200=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), bad, e.connect, e.read, e.write, e.timeout))
end
