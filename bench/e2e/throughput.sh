#!/usr/bin/env bash
# End-to-end throughput of `invoker standalone` (docs/openwhisk.md §8): wrk, C connections, blocking result-only
# invokes of (a) throughput-async: an action resolving {done:true} after 175 ms via setTimeout, with
# concurrency 200 and with concurrency 1; (b) throughput: a no-op action with concurrency 200.
# usage: bench/e2e/throughput.sh PUBLISH_DIR [CONNECTIONS] [SECONDS]
# (PUBLISH_DIR from: dotnet publish src/Host -r linux-x64 -c Release -o DIR)
set -euo pipefail
dir=$1 c=${2:-100} secs=${3:-20} port=3392
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
data=$(mktemp -d)
"$dir/invoker" standalone --data "$data" --concurrent-invocations 1000000 --invocations-per-minute 2000000000 --url "http://127.0.0.1:$port" --runtime "$root/runtimes/nodejs" --user-memory 4096 >"$data/invoker.log" 2>&1 &
pid=$!
trap 'kill $pid; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
until grep -q ', auth ' "$data/invoker.log" 2>/dev/null; do sleep 0.05; done
export OW_AUTH=$(awk '/, auth /{print $4}' "$data/invoker.log")
api=http://127.0.0.1:$port/api/v1/namespaces/_/actions
put() { curl -sf -u "$OW_AUTH" -X PUT "$api/$1?overwrite=true" -H 'Content-Type: application/json' -d "$2" >/dev/null; }
sleep175='function main() { return new Promise(r => setTimeout(() => r({ done: true }), 175)); }'
put async200 "{\"exec\":{\"kind\":\"nodejs:20\",\"code\":\"$sleep175\"},\"limits\":{\"concurrency\":200}}"
put async1 "{\"exec\":{\"kind\":\"nodejs:20\",\"code\":\"$sleep175\"},\"limits\":{\"concurrency\":1}}"
put noop200 '{"exec":{"kind":"nodejs:20","code":"function main() { return {}; }"},"limits":{"concurrency":200}}'
for action in async200 async1 noop200; do
  # Warm up (containers created), then measure.
  ACTION=$action wrk -t2 -c"$c" -d5s -s "$here/invoke.lua" "http://127.0.0.1:$port" >/dev/null
  echo "== $action, $c connections, ${secs}s"
  ACTION=$action wrk -t2 -c"$c" -d"${secs}s" --latency -s "$here/invoke.lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|Latency|50%|99%|requests in|not 200|Socket errors"
done
echo "physical limit of the 175 ms shapes at $c connections: $(awk "BEGIN{printf \"%.0f\", $c/0.175}") requests/s"
