#!/usr/bin/env bash
# Syscalls per activation of the standalone invoker (docs/performance.md): strace -c -f attached for ~6 s while wrk
# sends blocking no-op invokes at 100 connections; the counts are in $OUT/strace.txt (default /tmp), the activations
# completed meanwhile are printed. strace slows the invoker: read the counts per activation, not the rates.
# usage: bench/profile/strace.sh PUBLISH_DIR
set -euo pipefail
dir=$1 port=3392
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
data=$(mktemp -d)
"$dir/invoker" standalone --data "$data" --concurrent-invocations 1000000 --invocations-per-minute 2000000000 --url "http://127.0.0.1:$port" --runtime "$root/runtimes/nodejs" --user-memory 4096 >"$data/invoker.log" 2>&1 &
pid=$!
trap 'kill $pid; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
until grep -q ', auth ' "$data/invoker.log" 2>/dev/null; do sleep 0.05; done
export OW_AUTH=$(awk '/, auth /{print $4}' "$data/invoker.log")
curl -sf -u "$OW_AUTH" -X PUT "http://127.0.0.1:$port/api/v1/namespaces/_/actions/noop?overwrite=true" -H 'Content-Type: application/json' -d '{"exec":{"kind":"nodejs:20","code":"function main() { return {}; }"},"limits":{"concurrency":500}}' >/dev/null
ACTION=noop wrk -t2 -c100 -d3s -s $root/bench/e2e/invoke.lua "http://127.0.0.1:$port" >/dev/null
m0=$(curl -s http://127.0.0.1:$port/metrics | awk '/^invoker_activations_total\{status="success"\}/{print $2}')
timeout -s INT 6 strace -c -f -p $pid -o ${OUT:-/tmp}/strace.txt &
sp=$!
sleep 0.5
ACTION=noop wrk -t2 -c100 -d5s -s $root/bench/e2e/invoke.lua "http://127.0.0.1:$port" >/dev/null
wait $sp || true
m1=$(curl -s http://127.0.0.1:$port/metrics | awk '/^invoker_activations_total\{status="success"\}/{print $2}')
echo "activations $((m1-m0))"
