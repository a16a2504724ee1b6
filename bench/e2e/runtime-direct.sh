#!/usr/bin/env bash
# The ceiling for bench/e2e/throughput.sh: wrk driving one runtimes/nodejs process directly (POST /run, no
# invoker, no API, no store), with the same 175 ms action and the same connections.
# usage: bench/e2e/runtime-direct.sh [CONNECTIONS] [SECONDS]
set -euo pipefail
c=${1:-100} secs=${2:-15} port=3393
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
OW_RUNTIME_PORT=$port OW_RUNTIME_HOST=127.0.0.1 __OW_ALLOW_CONCURRENT=true node "$root/runtimes/nodejs" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid; wait $pid 2>/dev/null' EXIT
until curl -sf -X POST "http://127.0.0.1:$port/init" -H 'Content-Type: application/json' \
  -d '{"value":{"name":"bench","main":"main","binary":false,"code":"function main() { return new Promise(r => setTimeout(() => r({ done: true }), 175)); }"}}' >/dev/null 2>&1; do sleep 0.05; done
wrk -t2 -c"$c" -d5s -s "$here/run.lua" "http://127.0.0.1:$port" >/dev/null
echo "== runtime directly, 175 ms action, $c connections, ${secs}s"
wrk -t2 -c"$c" -d"${secs}s" --latency -s "$here/run.lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|Latency|50%|99%|requests in|Socket errors"
