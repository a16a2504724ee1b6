#!/usr/bin/env bash
# Soak (issue 12): `invoker standalone` at 200-way concurrency for 10 minutes, sampled every 10 s, then back at rest.
#
# usage: bench/e2e/soak.sh PUBLISH_DIR [SECONDS]
#   PUBLISH_DIR from `dotnet publish src/Host -r linux-x64 -c Release -o DIR`; SECONDS of load (default 600, a multiple of 10).
# env (all optional):
#   CONNECTIONS=200        wrk connections (the action's limits.concurrency is 200: one container carries them all)
#   WARMUP_SECONDS=120     the baseline ends here (the end of minute 2: RSS and the thread pool have settled by then):
#                          for threads, sockets and containers the sample of the window ending here, for RSS the median
#                          of the minute ending here; a smoke run shorter than that sets it lower
#   OUT=bench/results      where soak.csv, soak.md and soak.png go
# A smoke run: WARMUP_SECONDS=20 OUT=/tmp/soak bench/e2e/soak.sh /tmp/aot 60
#
# The load is wrk run in consecutive 10 s slices back to back (2 threads, --latency, blocking result-only invokes of
# the 175 ms action, invoke.lua), so each window's requests/s and p99 are wrk's own for exactly that window. Between
# slices the script waits until the activations wrk abandoned at its end have finished (about 175 ms): the invoker
# never holds more than CONNECTIONS at once, and the load pauses for about 0.2 s in 10 s, which a soak for leaks and
# drift can spare. Each window is sampled in its middle, under steady load: invoker RSS,
# GC heap (only if /metrics has invoker_gc_heap_bytes; docs/metrics.md has none yet, and a Native AOT process offers
# no outside way to read it), threads, open sockets (socket fds in /proc/PID/fd), runtime processes alive (the
# invoker's children) and invoker_containers.
#
# Exits non-zero, after writing everything, when:
#   - any request failed: not 200 or a socket error (connect, read, write, timeout) in any window;
#   - RSS at the end is more than 10 % above the baseline (each the median of a minute's samples: the minute that
#     ends at WARMUP_SECONDS, and the last minute; a single sample moves with every GC);
#   - a leak at the end against the baseline: sockets above baseline × 1.1 + 10, threads above baseline × 1.25 + 2,
#     runtime processes or invoker_containers above the baseline;
#   - the invoker is not at rest 10 s after the load at the latest: activations in flight, feed credits, slots or
#     buffered activations not 0, runtime processes not equal to invoker_containers, queue rows left in SQLite;
#   - an activation ended with another status than success.
set -euo pipefail
dir=$1 secs=${2:-600}
c=${CONNECTIONS:-200}
warmup=${WARMUP_SECONDS:-120}
window=10 port=3610
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
out=${OUT:-$root/bench/results}
(( secs % window == 0 && warmup % window == 0 && warmup > 0 && warmup < secs )) ||
  { echo "SECONDS ($secs) and WARMUP_SECONDS ($warmup) must be multiples of $window, with 0 < WARMUP_SECONDS < SECONDS" >&2; exit 2; }
command="$0 $*"
for v in CONNECTIONS WARMUP_SECONDS OUT; do
  [[ -v $v ]] && command="$v=\"${!v}\" $command"
done
if (( $(ulimit -n) < 4096 )); then ulimit -n "$(ulimit -Hn)"; fi

# The chart is drawn by the bench project: built before the load starts.
dotnet build "$root/bench/Perf.Invoker.Benchmarks" -c Release -v q -nologo >/dev/null
bench_dll=$root/bench/Perf.Invoker.Benchmarks/bin/Release/net10.0/Perf.Invoker.Benchmarks.dll

data=$(mktemp -d)
"$dir/invoker" standalone --data "$data" --concurrent-invocations 1000000 --invocations-per-minute 2000000000 --url "http://127.0.0.1:$port" --runtime "$root/runtimes/nodejs" --user-memory 4096 >"$data/invoker.log" 2>&1 &
pid=$!
wrk_pid=
# The invoker first, then wait: its runtime processes are its children and go with it.
trap '[[ -n $wrk_pid ]] && kill $wrk_pid 2>/dev/null; kill $pid; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
until grep -q ', auth ' "$data/invoker.log" 2>/dev/null; do sleep 0.05; done
export OW_AUTH=$(awk '/, auth /{print $4}' "$data/invoker.log") ACTION=async200
curl -sf -u "$OW_AUTH" -X PUT "http://127.0.0.1:$port/api/v1/namespaces/_/actions/async200" -H 'Content-Type: application/json' \
  -d '{"exec":{"kind":"nodejs:20","code":"function main() { return new Promise(r => setTimeout(() => r({ done: true }), 175)); }"},"limits":{"concurrency":200}}' >/dev/null

metrics() { curl -sf "http://127.0.0.1:$port/metrics"; }
metric() { awk -v m="$1" '$1 == m {print $2}' <<<"$2"; }
metric_sum() { awk -v p="$1" 'index($1, p) == 1 {s += $2; n++} END {if (n) print s + 0}' <<<"$2"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
threads() { awk '/^Threads/ {print $2}' "/proc/$pid/status"; }
sockets() { find "/proc/$pid/fd" -lname 'socket:*' 2>/dev/null | wc -l; }
runtimes() { pgrep -c -P "$pid" || true; }
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"; }
calc() { awk "BEGIN {printf \"$1\", $2}"; }

mkdir -p "$out"
csv=$out/soak.csv
echo "window,seconds,rps,p50_ms,p99_ms,requests,failed,rss_mib,gc_heap_mib,threads,sockets,runtime_processes,containers" >"$csv"
failed_total=0 requests_total=0
declare -A base last
rss=() ends=()
per_minute=$((60 / window))
started=$EPOCHREALTIME
# Window $1 as a CSV row: its wrk result and its sample. Runs while the next slice's wrk already loads the invoker,
# so the slices follow each other with no gap but a wrk start.
record() {
  local w=$1 r failed rss_kib threads sockets runtimes containers gc
  r=$(grep '^RESULT' "$data/wrk$w.txt")
  read -r rss_kib threads sockets runtimes containers gc <"$data/sample$w"
  failed=$(( $(field non200 "$r") + $(field connect "$r") + $(field read "$r") + $(field write "$r") + $(field timeout "$r") ))
  failed_total=$((failed_total + failed)) requests_total=$((requests_total + $(field requests "$r")))
  local row="$w,$(calc %.0f "${ends[w]} - $started"),$(calc %.1f "$(field requests "$r") / $(field duration_us "$r") * 1e6")"
  row+=",$(calc %.2f "$(field p50_us "$r") / 1000"),$(calc %.2f "$(field p99_us "$r") / 1000"),$(field requests "$r"),$failed"
  row+=",$(calc %.1f "$rss_kib / 1024"),$([[ -z $gc ]] || calc %.1f "$gc / 1048576"),$threads,$sockets,$runtimes,$containers"
  echo "$row" >>"$csv"
  echo "$row" >&2
  rss[w]=$rss_kib
  last=([threads]=$threads [sockets]=$sockets [runtimes]=$runtimes [containers]=$containers)
  if (( w * window == warmup )); then
    for k in threads sockets runtimes containers; do base[$k]=${last[$k]}; done
  fi
}
n=$((secs / window))
for ((w = 1; w <= n; w++)); do
  ACTION=async200 wrk -t2 -c"$c" -d"${window}s" --latency -s "$here/invoke.lua" "http://127.0.0.1:$port" >"$data/wrk$w.txt" &
  wrk_pid=$! t0=$EPOCHREALTIME
  (( w == 1 )) || record $((w - 1))
  to_middle=$(calc %.3f "$window / 2 - ($EPOCHREALTIME - $t0)")
  [[ $to_middle == -* ]] || sleep "$to_middle"
  m=$(metrics)
  echo "$(rss_kib) $(threads) $(sockets) $(runtimes) $(metric_sum 'invoker_containers{' "$m") $(metric invoker_gc_heap_bytes "$m")" >"$data/sample$w"
  wait "$wrk_pid"; wrk_pid=
  ends[w]=$EPOCHREALTIME
  # The requests wrk abandons at its end still run: the next slice starts once they are done, or the invoker would
  # see up to twice the connections at each boundary (and start a second container for them).
  for _ in $(seq 250); do [[ $(metric invoker_activations_in_flight "$(metrics)") == 0 ]] && break; sleep 0.02; done
done
record "$n"
# RSS moves with every GC by a fair share of the heap, so one sample against another would flag noise: the median of
# the minute that ends at the baseline against the median of the last minute.
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
first=$((warmup / window - per_minute + 1)); (( first >= 1 )) || first=1
base[rss]=$(median "${rss[@]:first:warmup / window - first + 1}")
last[rss]=$(median "${rss[@]: -(n < per_minute ? n : per_minute)}")

# At rest: what the load left behind once the last activations finished (at most 10 s).
for _ in $(seq 100); do
  m=$(metrics)
  [[ $(metric invoker_activations_in_flight "$m") == 0 && $(metric invoker_slots_in_use "$m") == 0 ]] && break
  sleep 0.1
done
sleep 1; m=$(metrics)
declare -A rest=([in_flight]=$(metric invoker_activations_in_flight "$m") [credits]=$(metric invoker_feed_credits_in_use "$m")
  [slots]=$(metric invoker_slots_in_use "$m") [buffered]=$(metric invoker_pool_buffered "$m")
  [containers]=$(metric_sum 'invoker_containers{' "$m") [runtimes]=$(runtimes) [sockets]=$(sockets) [threads]=$(threads) [rss]=$(rss_kib))
success=$(metric 'invoker_activations_total{status="success"}' "$m")
other=$(awk '/^invoker_activations_total\{/ && !/success/ {s += $2} END {print s + 0}' <<<"$m")
queue=$(sqlite3 "$data/invoker.db" 'select count(*) from queue' 2>/dev/null || echo 'n/a')

problems=()
(( failed_total == 0 )) || problems+=("$failed_total failed requests (not 200 or socket errors)")
(( last[rss] * 100 <= base[rss] * 110 )) || problems+=("RSS grew $(calc %.1f "(${last[rss]} / ${base[rss]} - 1) * 100") % after warm-up (${base[rss]} → ${last[rss]} KiB)")
(( last[sockets] * 10 <= base[sockets] * 11 + 100 )) || problems+=("sockets ${base[sockets]} → ${last[sockets]}")
(( last[threads] * 4 <= base[threads] * 5 + 8 )) || problems+=("threads ${base[threads]} → ${last[threads]}")
(( last[runtimes] <= base[runtimes] )) || problems+=("runtime processes ${base[runtimes]} → ${last[runtimes]}")
(( last[containers] <= base[containers] )) || problems+=("containers ${base[containers]} → ${last[containers]}")
for k in in_flight credits slots buffered; do [[ ${rest[$k]} == 0 ]] || problems+=("at rest: $k ${rest[$k]}"); done
(( rest[runtimes] == rest[containers] )) || problems+=("at rest: ${rest[runtimes]} runtime processes for ${rest[containers]} containers")
[[ $queue == 0 || $queue == n/a ]] || problems+=("at rest: $queue queue rows left")
(( other == 0 )) || problems+=("$other activations with another status than success")

md=$out/soak.md
{
  echo "# Soak: \`invoker standalone\`, 175 ms action, $c connections, $((secs / 60)) min $((secs % 60)) s (issue 12)"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), \`nproc\` $(nproc), commit $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src || echo ' (src modified)'), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  (( secs >= 600 )) || echo "**Smoke run** (shorter than the 10-minute soak): the figures only show the tooling works."
  echo
  echo "    $command"
  echo
  echo "wrk in consecutive ${window} s slices (2 threads, $c connections, blocking result-only invokes; the action's concurrency 200),"
  echo "each window sampled in its middle; between slices a pause until the activations wrk abandoned at its end are done.
Baseline: the window ending at ${warmup} s (RSS: the median of the minute ending there, against the median of the last minute). GC heap: $( [[ -n $(awk -F, 'NR > 1 && $9 != "" { print; exit }' "$csv") ]] && echo 'invoker_gc_heap_bytes from /metrics' || echo 'not exported by /metrics (column empty)')."
  echo
  echo "| window | s | req/s | p50 ms | p99 ms | requests | failed | RSS MiB | GC heap MiB | threads | sockets | runtime processes | containers |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  tail -n +2 "$csv" | sed 's/^/| /; s/,/ | /g; s/$/ |/'
  echo
  echo "Requests answered: $requests_total; activations counted by /metrics: success $success, other statuses $other (the"
  echo "success count is higher by up to $c per window: the requests in flight when a slice's wrk stopped ran to completion)."
  echo
  echo "After warm-up → end: RSS (median of a minute) ${base[rss]} → ${last[rss]} KiB ($(calc %+.1f "(${last[rss]} / ${base[rss]} - 1) * 100") %), threads ${base[threads]} → ${last[threads]},"
  echo "sockets ${base[sockets]} → ${last[sockets]}, runtime processes ${base[runtimes]} → ${last[runtimes]}, containers ${base[containers]} → ${last[containers]}."
  echo
  echo "At rest after the load: in flight ${rest[in_flight]}, feed credits ${rest[credits]}, slots ${rest[slots]}, buffered ${rest[buffered]},"
  echo "containers ${rest[containers]}, runtime processes ${rest[runtimes]}, sockets ${rest[sockets]}, threads ${rest[threads]}, RSS ${rest[rss]} KiB, queue rows left $queue."
  echo
  if ((${#problems[@]})); then
    echo "**FAILED**:"
    printf -- '- %s\n' "${problems[@]}"
  else
    echo "**PASSED**: no failed request, RSS within 10 % of the baseline, no leak of sockets, threads or containers, the invoker at rest."
  fi
  echo
  echo "Chart: soak.png (requests/s, p99 and RSS of each window)."
} >"$md"
dotnet "$bench_dll" --e2e-chart soak --csv "$csv" --out "$out/soak.png"
echo "wrote $md, $csv, $out/soak.png" >&2
if ((${#problems[@]})); then
  printf 'soak FAILED: %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "soak passed" >&2
