#!/usr/bin/env bash
# Soak: `invoker standalone` under wrk at 200 connections for a while (the 175 ms action, concurrency 200),
# then checks the invoker came back to rest: no feed credits, slots or activations left in flight, every
# answered request counted by /metrics, and RSS before and after.
# usage: bench/e2e/soak.sh PUBLISH_DIR [SECONDS] [CONNECTIONS]
set -euo pipefail
dir=$1 secs=${2:-120} c=${3:-200} port=3394
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
data=$(mktemp -d)
"$dir/invoker" standalone --data "$data" --url "http://127.0.0.1:$port" --runtime "$root/runtimes/nodejs" --user-memory 4096 >"$data/invoker.log" 2>&1 &
pid=$!
trap 'kill $pid; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
until grep -q ', auth ' "$data/invoker.log" 2>/dev/null; do sleep 0.05; done
export OW_AUTH=$(awk '/, auth /{print $4}' "$data/invoker.log") ACTION=async200
curl -sf -u "$OW_AUTH" -X PUT "http://127.0.0.1:$port/api/v1/namespaces/_/actions/async200" -H 'Content-Type: application/json' \
  -d '{"exec":{"kind":"nodejs:20","code":"function main() { return new Promise(r => setTimeout(() => r({ done: true }), 175)); }"},"limits":{"concurrency":200}}' >/dev/null
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
metric() { curl -sf "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
echo "RSS before: $(rss) KiB"
wrk -t2 -c"$c" -d"${secs}s" --latency -s "$here/invoke.lua" "http://127.0.0.1:$port" | tee "$data/wrk.txt" | grep -E "Requests/sec|Latency|50%|99%|requests in|Socket errors|not 200"
sleep 2
echo "RSS after: $(rss) KiB"
echo "activations (success): $(metric 'invoker_activations_total{status="success"}'), other statuses: $(curl -sf "http://127.0.0.1:$port/metrics" | awk '/^invoker_activations_total/ && !/success/ {s+=$2} END {print s}')"
echo "at rest: in flight $(metric invoker_activations_in_flight), feed credits $(metric invoker_feed_credits_in_use), slots $(metric invoker_slots_in_use), buffered $(metric invoker_pool_buffered), containers $(curl -sf "http://127.0.0.1:$port/metrics" | awk '/^invoker_containers\{/ {s+=$2} END {print s}')"
echo "queue rows left: $(sqlite3 "$data/invoker.db" 'select count(*) from queue' 2>/dev/null || echo 'n/a (no sqlite3)')"
