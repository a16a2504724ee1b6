#!/usr/bin/env bash
# Overload of `invoker standalone` (issue 13; docs/standalone.md, "Limits"), the no-op action, wrk (bench/overload/count.lua
# counts every answer by status):
#  1. fairness: namespace `steady` at its share (S connections, blocking) alone for T s, then again while namespace `flood`
#     sends ten times as much (10 x S connections) at the same time; both with --concurrent-invocations L.
#  2. 5,000 connections of non-blocking invokes, the namespaces' limits lifted, --queue-max Q: every answer is 202 or 503;
#     after the queue drains, every 202 has its record (lost = accepted - completed); the invoker's RSS sampled every 0.5 s.
#  3. 5,000 connections of blocking invokes at OpenWhisk's default limits (30 in flight, 60 a minute): 200 or 429.
# usage: bench/overload/run.sh DIR [SECONDS] [S] [L] [Q]
#   DIR: a publish (dotnet publish src/Host -r linux-x64 -c Release -o DIR) or build output holding invoker or invoker.dll
set -euo pipefail
dir=$1 secs=${2:-10} s=${3:-20} limit=${4:-50} queue=${5:-20000} port=3394
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
ulimit -n 65536
if [ -x "$dir/invoker" ]; then inv=("$dir/invoker"); else inv=(dotnet "$dir/invoker.dll"); fi
steady_key="5e1d7a00-0000-4000-8000-00000000057d:steady-$(head -c12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
flood_key="5e1d7a00-0000-4000-8000-0000000f100d:flood-$(head -c12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
pid= data=

start() {
  data=$(mktemp -d)
  printf 'steady %s\nflood %s\n' "$steady_key" "$flood_key" >"$data/namespaces"
  "${inv[@]}" standalone --data "$data" --url "http://127.0.0.1:$port" --runtime "$root/runtimes/nodejs" --user-memory 4096 "$@" >"$data/invoker.log" 2>&1 &
  pid=$!
  until grep -q ', auth ' "$data/invoker.log" 2>/dev/null; do sleep 0.05; done
  for key in "$steady_key" "$flood_key"; do
    curl -sf -u "$key" -X PUT "http://127.0.0.1:$port/api/v1/namespaces/_/actions/noop?overwrite=true" -H 'Content-Type: application/json' \
      -d '{"exec":{"kind":"nodejs:20","code":"function main() { return {}; }"},"limits":{"concurrency":500}}' >/dev/null
  done
  # RSS (kB), the largest seen, every 0.5 s while it runs.
  ( max=0; while kill -0 "$pid" 2>/dev/null; do r=$(awk '/^VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0); [ "${r:-0}" -gt "$max" ] && max=$r && echo "$max" >"$data/rss.max"; sleep 0.5; done ) &
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$data"; }
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT
load() { OW_AUTH=$1 BLOCKING=$3 wrk -t2 -c"$2" -d"${secs}s" --timeout 30s -s "$here/count.lua" "http://127.0.0.1:$port" | grep '^STATUS' | cut -d' ' -f2-; }
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1==k{print $2}'; }
rate() { awk -v n="$(field "$1" s200)" -v us="$(field "$1" duration_us)" 'BEGIN{printf "%.0f", n / (us / 1e6)}'; }
completed() { curl -s "http://127.0.0.1:$port/metrics" | awk '$1 ~ /^invoker_activations_total/ {n += $2} END {print n + 0}'; }
metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

echo "# 1. fairness: steady $s connections, flood $((10 * s)), --concurrent-invocations $limit, ${secs} s each, blocking no-op"
start --concurrent-invocations "$limit" --invocations-per-minute 2000000000
OW_AUTH=$steady_key BLOCKING=true wrk -t1 -c"$s" -d3s -s "$here/count.lua" "http://127.0.0.1:$port" >/dev/null  # warm up
alone=$(load "$steady_key" "$s" true)
load "$flood_key" $((10 * s)) true >"$data/flood.txt" &
flooding=$!
shared=$(load "$steady_key" "$s" true)
wait $flooding
flood=$(cat "$data/flood.txt")
echo "steady alone:        $alone"
echo "steady during flood: $shared"
echo "flood:               $flood"
echo "steady requests/s alone $(rate "$alone"), during the flood $(rate "$shared"): $(awk -v a="$(rate "$alone")" -v b="$(rate "$shared")" 'BEGIN{printf "%.1f", 100 * b / a}') %"
echo "invoker RSS max $(cat "$data/rss.max") kB"
stop

echo "# 2. 5,000 connections, non-blocking no-op, limits lifted, --queue-max $queue, ${secs} s"
start --concurrent-invocations 1000000 --invocations-per-minute 2000000000 --queue-max "$queue"
OW_AUTH=$steady_key BLOCKING=true wrk -t1 -c10 -d2s -s "$here/count.lua" "http://127.0.0.1:$port" >/dev/null  # warm up
before=$(completed)
open=$(load "$steady_key" 5000 false)
echo "answers: $open"
echo "queue at the end of the load: $(metric invoker_queue_messages) of $(metric invoker_queue_capacity); RSS max so far $(cat "$data/rss.max") kB"
for _ in $(seq 1 600); do [ "$(metric invoker_queue_messages)" = 0 ] && break; sleep 1; done
done_now=$(( $(completed) - before ))
accepted=$(field "$open" s202)
echo "accepted (202) $accepted, completed after the drain $done_now, lost $((accepted - done_now > 0 ? accepted - done_now : 0)), queue $(metric invoker_queue_messages)"
echo "invoker RSS max $(cat "$data/rss.max") kB"
stop

echo "# 3. 5,000 connections, blocking no-op, OpenWhisk's default limits, ${secs} s"
start
closed=$(load "$steady_key" 5000 true)
echo "answers: $closed"
echo "invoker RSS max $(cat "$data/rss.max") kB"
stop
