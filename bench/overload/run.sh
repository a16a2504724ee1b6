#!/usr/bin/env bash
# Overload of `invoker standalone` (issue 13; docs/standalone.md, "Limits"), wrk (bench/overload/count.lua counts every
# answer by status). Two namespaces, `steady` and `flood`:
#  1. fairness, the no-op action: `steady` at its share (S connections, blocking, each pausing PACE_MS before each
#     request: at most S / PACE_MS requests/s, below half of what the invoker serves) alone for T s; then again while
#     `flood` sends ten times as much (10 x S connections paced the same), once with the limits lifted and once with
#     them: --concurrent-invocations SHARE (half of what the invoker has in flight when a no-op saturates it, about 20
#     here) for every namespace, and steady's own concurrentInvocations=S in DATA/limits (it never has S in flight).
#  2. the same unpaced (closed loop: each connection sends its next request on the answer), with the limits: the CPU is
#     the bottleneck, and a flood answered 429 at once sends far more than 10 x its share; the refusals' own cost shows.
#  3. 5,000 connections of non-blocking no-op invokes, limits lifted, --queue-max Q: every answer is 202 or 503; after
#     the queue drains, the activations completed are counted against the 202s (lost = accepted - completed; wrk drops
#     the answers still in flight when it stops, so completed may be above accepted); RSS sampled every 0.5 s.
#  4. 5,000 connections of blocking no-op invokes at OpenWhisk's default limits (30 in flight, 60 a minute): 200 or 429.
# usage: bench/overload/run.sh DIR [SECONDS] [S] [Q] [PACE_MS] [SHARE]
#   DIR: a publish (dotnet publish src/Host -r linux-x64 -c Release -o DIR) or build output holding invoker or invoker.dll
set -euo pipefail
dir=$1 secs=${2:-10} s=${3:-20} queue=${4:-5000} pace=${5:-20} share=${6:-10} port=3394
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
# 5,000 connections need as many descriptors in wrk and in the invoker, and more.
ulimit -n "$(ulimit -Hn)"; [ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 12000 ] || { echo "ulimit -n is $(ulimit -n); 12000 are needed" >&2; exit 1; }
if [ -x "$dir/invoker" ]; then inv=("$dir/invoker"); else inv=(dotnet "$dir/invoker.dll"); fi
steady_key="5e1d7a00-0000-4000-8000-00000000057d:steady-$(head -c12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
flood_key="5e1d7a00-0000-4000-8000-0000000f100d:flood-$(head -c12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
pid= data= sampler= rss=

start() {
  data=$(mktemp -d)
  printf 'steady %s\nflood %s\n' "$steady_key" "$flood_key" >"$data/namespaces"
  [ -z "${steady_limit:-}" ] || printf 'steady concurrentInvocations=%s\n' "$steady_limit" >"$data/limits"
  "${inv[@]}" standalone --data "$data" --url "http://127.0.0.1:$port" --runtime "$root/runtimes/nodejs" --user-memory 4096 "$@" >"$data/invoker.log" 2>&1 &
  pid=$!
  until grep -q ', auth ' "$data/invoker.log" 2>/dev/null; do sleep 0.05; done
  for key in "$steady_key" "$flood_key"; do
    curl -sf -u "$key" -X PUT "http://127.0.0.1:$port/api/v1/namespaces/_/actions/noop?overwrite=true" -H 'Content-Type: application/json' \
      -d '{"exec":{"kind":"nodejs:20","code":"function main() { return {}; }"},"limits":{"concurrency":500}}' >/dev/null
  done
  # RSS (kB), the largest seen, every 0.5 s while it runs.
  rss=$(mktemp); echo 0 >"$rss"
  ( max=0; while kill -0 "$pid" 2>/dev/null; do r=$(awk '/^VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0); [ "${r:-0}" -gt "$max" ] && max=$r && echo "$max" >"$rss.tmp" && mv "$rss.tmp" "$rss"; sleep 0.5; done ) &
  sampler=$!
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; rm -rf "$data" "$rss" "$rss.flood"; pid=; }
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT
load() { ACTION=${4:-noop} OW_AUTH=$1 BLOCKING=$3 wrk -t2 -c"$2" -d"${secs}s" --timeout 30s -s "$here/count.lua" "http://127.0.0.1:$port" | grep '^STATUS' | cut -d' ' -f2-; }
warm() { ACTION=$1 OW_AUTH=$steady_key BLOCKING=true wrk -t1 -c"$s" -d3s -s "$here/count.lua" "http://127.0.0.1:$port" >/dev/null; ACTION=$1 OW_AUTH=$flood_key BLOCKING=true wrk -t1 -c"$s" -d3s -s "$here/count.lua" "http://127.0.0.1:$port" >/dev/null; }
percent() { awk -v a="$(rate "$1")" -v b="$(rate "$2")" 'BEGIN{printf "%.1f", 100 * b / a}'; }
# steady's answers during a flood of ACTION: load steady and flood at once.
during() { load "$flood_key" $((10 * s)) true "$1" >"$rss.flood" & local f=$!; load "$steady_key" "$s" true "$1"; wait $f; }
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1==k{print $2}'; }
rate() { awk -v n="$(field "$1" s200)" -v us="$(field "$1" duration_us)" 'BEGIN{printf "%.0f", n / (us / 1e6)}'; }
completed() { curl -s "http://127.0.0.1:$port/metrics" | awk '$1 ~ /^invoker_activations_total/ {n += $2} END {print n + 0}'; }
metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

echo "# fairness, the no-op action, ${secs} s each, blocking: steady $s connections pacing $pace ms (its share), flood $((10 * s)) pacing the same (10 x its share)"
export DELAY_MS=$pace
for limits in lifted "$share"; do
  if [ "$limits" = lifted ]; then start --concurrent-invocations 1000000 --invocations-per-minute 2000000000; else steady_limit=$s start --concurrent-invocations "$share" --invocations-per-minute 2000000000; fi
  warm noop
  alone=$(load "$steady_key" "$s" true)
  shared=$(during noop); flood=$(cat "$rss.flood")
  echo "limits $limits: steady alone:            $alone"
  echo "limits $limits: steady during the flood: $shared"
  echo "limits $limits: flood:                   $flood"
  echo "limits $limits: steady requests/s alone $(rate "$alone"), during the flood $(rate "$shared"): $(percent "$alone" "$shared") %; RSS max $(cat "$rss") kB"
  stop
done
unset DELAY_MS

echo "# the same, unpaced (closed loop, CPU-bound: the flood's refusals take the CPU steady needs), limits $share"
steady_limit=$s start --concurrent-invocations "$share" --invocations-per-minute 2000000000
warm noop
alone=$(load "$steady_key" "$s" true)
shared=$(during noop); flood=$(cat "$rss.flood")
echo "steady alone:            $alone"
echo "steady during the flood: $shared"
echo "flood:                   $flood"
echo "steady requests/s alone $(rate "$alone"), during the flood $(rate "$shared"): $(percent "$alone" "$shared") %; RSS max $(cat "$rss") kB"
stop

echo "# 5,000 connections, non-blocking no-op, limits lifted, --queue-max $queue, ${secs} s"
start --concurrent-invocations 1000000 --invocations-per-minute 2000000000 --queue-max "$queue"
OW_AUTH=$steady_key BLOCKING=true wrk -t1 -c10 -d2s -s "$here/count.lua" "http://127.0.0.1:$port" >/dev/null  # warm up
before=$(completed)
open=$(load "$steady_key" 5000 false)
echo "answers: $open"
echo "queue at the end of the load: $(metric invoker_queue_messages) of $(metric invoker_queue_capacity); RSS max so far $(cat "$rss") kB"
for _ in $(seq 1 600); do [ "$(metric invoker_queue_messages)" = 0 ] && break; sleep 1; done
done_now=$(( $(completed) - before ))
accepted=$(field "$open" s202)
echo "accepted (202) $accepted, completed after the drain $done_now, lost $((accepted - done_now > 0 ? accepted - done_now : 0)), queue $(metric invoker_queue_messages), 503 counted by the invoker $(curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "invoker_throttled_total{reason=\"queue_full\"}" {print $2}')"
echo "invoker RSS max $(cat "$rss") kB"
stop

echo "# 5,000 connections, blocking no-op, OpenWhisk's default limits, ${secs} s"
start
closed=$(load "$steady_key" 5000 true)
echo "answers: $closed"
echo "invoker RSS max $(cat "$rss") kB"
stop
