#!/usr/bin/env bash
# Where the invoker spends its CPU per activation (docs/performance.md): the standalone AOT invoker under wrk, blocking
# result-only invokes of one action (concurrency 500), its CPU µs per activation from /proc, and optionally a perf
# profile of that window (cpu-clock, DWARF call graphs: publish with -p:StripSymbols=false for symbols).
# usage: bench/profile/profile.sh PUBLISH_DIR noop|async CONNECTIONS SECONDS [perf]
#   then: perf script -i $OUT/perf.data > $OUT/script.txt; python3 bench/profile/categories.py $OUT/script.txt
set -euo pipefail
dir=$1 action=$2 c=$3 secs=$4 prof=${5:-}
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd); port=3392
data=$(mktemp -d)
"$dir/invoker" standalone --data "$data" --concurrent-invocations 1000000 --invocations-per-minute 2000000000 --url "http://127.0.0.1:$port" --runtime "$root/runtimes/nodejs" --user-memory 4096 >"$data/invoker.log" 2>&1 &
pid=$!
trap 'kill $pid; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
until grep -q ', auth ' "$data/invoker.log" 2>/dev/null; do sleep 0.05; done
export OW_AUTH=$(awk '/, auth /{print $4}' "$data/invoker.log")
api=http://127.0.0.1:$port/api/v1/namespaces/_/actions
sleep175='function main() { return new Promise(r => setTimeout(() => r({ done: true }), 175)); }'
if [ $action = noop ]; then code='function main() { return {}; }'; else code=$sleep175; fi
curl -sf -u "$OW_AUTH" -X PUT "$api/$action?overwrite=true" -H 'Content-Type: application/json' -d "{\"exec\":{\"kind\":\"nodejs:20\",\"code\":\"$code\"},\"limits\":{\"concurrency\":500}}" >/dev/null
ACTION=$action wrk -t2 -c"$c" -d5s -s $root/bench/e2e/invoke.lua "http://127.0.0.1:$port" >/dev/null
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
nodes=$(pgrep -P $pid node || true)
metric() { curl -s http://127.0.0.1:$port/metrics | awk -v m="$1" '$1==m{printf "%.0f", $2}'; }
alloc0=$(metric invoker_gc_allocated_bytes_total); gc0=$(metric invoker_gc_collections_total)
a=$(cpu $pid); n0=0; for n in $nodes; do n0=$((n0+$(cpu $n))); done
if [ -n "$prof" ]; then perf record -F 499 -e cpu-clock --call-graph dwarf,16384 -p $pid -o ${OUT:-/tmp}/perf.data -- sleep $secs >/dev/null 2>&1 & ppid=$!; fi
ACTION=$action wrk -t2 -c"$c" -d"${secs}s" --latency -s $root/bench/e2e/invoke.lua "http://127.0.0.1:$port" > ${OUT:-/tmp}/wrk.txt
b=$(cpu $pid); n1=0; for n in $nodes; do n1=$((n1+$(cpu $n))); done
[ -n "$prof" ] && wait $ppid 2>/dev/null || true
reqs=$(awk '/requests in/{print $1}' ${OUT:-/tmp}/wrk.txt)
alloc1=$(metric invoker_gc_allocated_bytes_total); gc1=$(metric invoker_gc_collections_total)
curl -s http://127.0.0.1:$port/metrics | grep -E "^invoker_sqlite" | tr "\n" " " || true; echo
grep -E "Requests/sec|99%|50%|not 200|errors" ${OUT:-/tmp}/wrk.txt
echo "invoker CPU ticks $((b-a)), node ticks $((n1-n0)), requests $reqs, invoker us/act $(awk "BEGIN{printf \"%.0f\", ($b-$a)*10000/$reqs}") node us/act $(awk "BEGIN{printf \"%.0f\", ($n1-$n0)*10000/$reqs}") allocated B/act $(( (alloc1-alloc0)/reqs )) gen0 GCs $((gc1-gc0))"
