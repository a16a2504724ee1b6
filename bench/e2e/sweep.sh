#!/usr/bin/env bash
# The end-to-end sweep (issue 12): `invoker standalone` against the bare runtime, point by point, in one run.
#
# usage: bench/e2e/sweep.sh PUBLISH_DIR [SECONDS]
#   PUBLISH_DIR from `dotnet publish src/Host -r linux-x64 -c Release -o DIR`; SECONDS measured per point (default 10).
# env (all optional):
#   CONNECTIONS="1 10 100 200 500 1000"   the points (wrk connections)
#   ACTIONS="async noop"                  async: resolves {done:true} after 175 ms; noop: returns {}
#   WARMUP=3                              seconds of wrk before each measured window (not measured)
#   SERVE_RATES="500 1000 2000 4000 8000" `invoker serve` under the mock Kafka broker at these offered rates/s
#                                         (ServeLoad, --store sqlite); empty to skip; 8000 is above what 2 cores do,
#                                         so it shows the saturated rate (achieved = activations / time to the last ack)
#   SERVE_SECONDS=SECONDS                 seconds of each serve point
#   OUT=bench/results                     where e2e-sweep.md, e2e-sweep.csv and the two PNG charts go
# The full sweep takes about 2 actions × 6 points × 2 sides × (WARMUP + SECONDS + settle) ≈ 6 minutes at the
# defaults, plus the serve points; run it on a quiet machine. A smoke run: CONNECTIONS="10 200" SERVE_RATES=500
# bench/e2e/sweep.sh /tmp/aot 3
#
# Each point: the invoker (both actions limits.concurrency 500, --user-memory 4096), wrk 2 threads (1 at 1 connection), blocking
# result-only invokes (invoke.lua); then, right after it, wrk posting /run to one runtimes/nodejs process
# (__OW_ALLOW_CONCURRENT=true) initialized with the same code (run.lua): the ceiling the invoker is compared with.
# CPU per activation = utime + stime delta (/proc/PID/stat) / activations. For the invoker the window runs from
# "nothing in flight" before wrk to "nothing in flight" after it, and the activations are the delta of
# invoker_activations_total, so the requests wrk abandons at its end are counted with the CPU they cost. The node
# processes inside the invoker are its children (pgrep -P), summed; one that exits inside the window loses its
# share. For the bare runtime the activations are wrk's answered requests (the ≤ CONNECTIONS abandoned at the end
# run on uncounted: a bias of at most CONNECTIONS / requests). A clock tick is 10 ms, so at 1 connection on the
# 175 ms action (≈ 57 activations in 10 s) the CPU figures are coarse.
set -euo pipefail
dir=$1 secs=${2:-10}
connections=${CONNECTIONS:-1 10 100 200 500 1000}
actions=${ACTIONS:-async noop}
warmup=${WARMUP:-3}
serve_rates=${SERVE_RATES-500 1000 2000 4000 8000}
serve_secs=${SERVE_SECONDS:-$secs}
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
out=${OUT:-$root/bench/results}
port=3600 async_port=3601 noop_port=3602
hz=$(getconf CLK_TCK)
command="$0 $*"
for v in CONNECTIONS ACTIONS WARMUP SERVE_RATES SERVE_SECONDS OUT; do
  [[ -v $v ]] && command="$v=\"${!v}\" $command"
done

# wrk opens one socket per connection: 1000 connections need more than the usual 1024 files.
if (( $(ulimit -n) < 4096 )); then ulimit -n "$(ulimit -Hn)"; fi

# The chart drawing (and ServeLoad) live in the bench project: built before anything is measured.
dotnet build "$root/bench/Perf.Invoker.Benchmarks" -c Release -v q -nologo >/dev/null
bench_rel=bench/Perf.Invoker.Benchmarks/bin/Release/net10.0/Perf.Invoker.Benchmarks.dll
bench_dll=$root/$bench_rel

sleep175='function main() { return new Promise(r => setTimeout(() => r({ done: true }), 175)); }'
noop='function main() { return {}; }'
code_of() { if [[ $1 == async ]]; then echo "$sleep175"; else echo "$noop"; fi; }
port_of() { if [[ $1 == async ]]; then echo $async_port; else echo $noop_port; fi; }

data=$(mktemp -d)
pids=()
cleanup() {
  # The invoker first, then wait: its runtime processes are its children and go with it.
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$data"
}
trap cleanup EXIT

"$dir/invoker" standalone --data "$data" --concurrent-invocations 1000000 --invocations-per-minute 2000000000 --url "http://127.0.0.1:$port" --runtime "$root/runtimes/nodejs" --user-memory 4096 >"$data/invoker.log" 2>&1 &
pid=$!; pids+=("$pid")
for action in $actions; do
  OW_RUNTIME_PORT=$(port_of "$action") OW_RUNTIME_HOST=127.0.0.1 __OW_ALLOW_CONCURRENT=true node "$root/runtimes/nodejs" >/dev/null 2>&1 &
  pids+=("$!"); eval "bare_pid_$action=$!"
done
until grep -q ', auth ' "$data/invoker.log" 2>/dev/null; do sleep 0.05; done
export OW_AUTH=$(awk '/, auth /{print $4}' "$data/invoker.log")
for action in $actions; do
  curl -sf -u "$OW_AUTH" -X PUT "http://127.0.0.1:$port/api/v1/namespaces/_/actions/$action?overwrite=true" -H 'Content-Type: application/json' \
    -d "{\"exec\":{\"kind\":\"nodejs:20\",\"code\":\"$(code_of "$action")\"},\"limits\":{\"concurrency\":500}}" >/dev/null
  until curl -sf -X POST "http://127.0.0.1:$(port_of "$action")/init" -H 'Content-Type: application/json' \
    -d "{\"value\":{\"name\":\"bench\",\"main\":\"main\",\"binary\":false,\"code\":\"$(code_of "$action")\"}}" >/dev/null 2>&1; do sleep 0.05; done
done

ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# "PID TICKS" for every child of the invoker: its runtime processes.
child_ticks() { for c in $(pgrep -P "$pid"); do echo "$c $(ticks "$c" 2>/dev/null || echo 0)"; done; }
# Ticks spent by the children between two child_ticks listings (a child absent before counts from 0).
child_delta() { awk 'NR == FNR {b[$1] = $2; next} {d += $2 - b[$1]} END {print d + 0}' <(echo "$1") <(echo "$2"); }
metrics() { curl -sf "http://127.0.0.1:$port/metrics"; }
activations() { metrics | awk '/^invoker_activations_total\{/ {s += $2} END {print s + 0}'; }
quiet() { # until nothing is in flight in the invoker (at most 10 s)
  for _ in $(seq 200); do
    [[ $(metrics | awk '$1 == "invoker_activations_in_flight" {print $2}') == 0 ]] && return
    sleep 0.05
  done
}
# wrk's RESULT line (result.lua); field NAME picks one value out of it. 2 threads, 1 at 1 connection (wrk needs a
# connection per thread).
load() { ACTION=$1 wrk -t"$(( $2 < 2 ? $2 : 2 ))" -c"$2" -d"$3s" -s "$4" "$5" | grep '^RESULT'; }
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"; }
calc() { awk "BEGIN {printf \"$1\", $2}"; }

csv=$out/e2e-sweep.csv
mkdir -p "$out"
echo "action,connections,invoker_rps,invoker_p50_ms,invoker_p99_ms,invoker_errors,invoker_cpu_us,invoker_node_cpu_us,bare_rps,bare_p50_ms,bare_p99_ms,bare_errors,bare_node_cpu_us,invoker_timeouts,bare_timeouts" >"$csv"
for action in $actions; do
  bare_pid_var=bare_pid_$action; bare_pid=${!bare_pid_var}
  bare_url=http://127.0.0.1:$(port_of "$action")
  for c in $connections; do
    # The invoker: warm-up (containers started), then the measured window.
    load "$action" "$c" "$warmup" "$here/invoke.lua" "http://127.0.0.1:$port" >/dev/null
    quiet
    a0=$(activations) t0=$(ticks "$pid") k0=$(child_ticks)
    r=$(load "$action" "$c" "$secs" "$here/invoke.lua" "http://127.0.0.1:$port")
    quiet
    a1=$(activations) t1=$(ticks "$pid") k1=$(child_ticks)
    acts=$((a1 - a0)); (( acts > 0 )) || acts=1
    inv_rps=$(calc %.1f "$(field requests "$r") / $(field duration_us "$r") * 1e6")
    inv_p50=$(calc %.2f "$(field p50_us "$r") / 1000") inv_p99=$(calc %.2f "$(field p99_us "$r") / 1000")
    inv_err=$(( $(field non200 "$r") + $(field connect "$r") + $(field read "$r") + $(field write "$r") + $(field timeout "$r") ))
    inv_timeouts=$(field timeout "$r")
    inv_cpu=$(calc %.0f "($t1 - $t0) * 1e6 / $hz / $acts")
    node_cpu=$(calc %.0f "$(child_delta "$k0" "$k1") * 1e6 / $hz / $acts")
    # The bare runtime, right after, same code and connections.
    load "$action" "$c" "$warmup" "$here/run.lua" "$bare_url" >/dev/null
    sleep 0.3
    b0=$(ticks "$bare_pid")
    r=$(load "$action" "$c" "$secs" "$here/run.lua" "$bare_url")
    sleep 0.3
    b1=$(ticks "$bare_pid")
    breqs=$(field requests "$r"); (( breqs > 0 )) || breqs=1
    bare_rps=$(calc %.1f "$breqs / $(field duration_us "$r") * 1e6")
    bare_p50=$(calc %.2f "$(field p50_us "$r") / 1000") bare_p99=$(calc %.2f "$(field p99_us "$r") / 1000")
    bare_err=$(( $(field non200 "$r") + $(field connect "$r") + $(field read "$r") + $(field write "$r") + $(field timeout "$r") ))
    bare_timeouts=$(field timeout "$r")
    bare_cpu=$(calc %.0f "($b1 - $b0) * 1e6 / $hz / $breqs")
    row="$action,$c,$inv_rps,$inv_p50,$inv_p99,$inv_err,$inv_cpu,$node_cpu,$bare_rps,$bare_p50,$bare_p99,$bare_err,$bare_cpu,$inv_timeouts,$bare_timeouts"
    echo "$row" >>"$csv"
    echo "$row" >&2
  done
done

# Serve mode: ServeLoad starts its own broker and invoker; its row is "| serve, sqlite, 1 invoker(s) | offered |
# activations | achieved/s | CPU µs/activation | s to /ping |".
serve_rows=()
# A point that fails (ServeLoad throws, e.g. on a timeout of a much too busy machine) is reported as such, and the
# sweep's results are still written.
for rate in $serve_rates; do
  if dotnet "$bench_dll" --serve-load --invoker "$dir/invoker" --store sqlite --rate "$rate" --seconds "$serve_secs" >"$data/serve.txt" 2>&1; then
    row=$(grep '^| serve' "$data/serve.txt")
    serve_rows+=("$(awk -F'|' '{gsub(/ /, ""); print $3, $4, $5, $6}' <<<"$row")")
  else
    row="failed: $(grep -m1 -E 'Exception|Error' "$data/serve.txt" | cut -c1-200)"
    serve_rows+=("$rate $row")
  fi
  echo "serve $rate/s: $row" >&2
done

# The markdown: the sweep table, then serve mode beside the standalone point of the nearest rate.
md=$out/e2e-sweep.md
{
  echo "# End-to-end sweep: \`invoker standalone\` against the bare runtime (issue 12)"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), \`nproc\` $(nproc), commit $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src || echo ' (src modified)'), load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
  if [[ $connections != "1 10 100 200 500 1000" || $secs -lt 10 ]]; then
    echo "**Smoke run** (fewer points or shorter windows than the full sweep): the figures only show the tooling works."
  fi
  echo
  echo "    $command"
  echo
  echo "Each point: ${warmup} s warm-up, then ${secs} s measured; wrk 2 threads (1 at 1 connection); the invoker with \`--user-memory 4096\`, each action"
  echo "\`limits.concurrency\` 500, blocking result-only invokes; right after it the bare runtime (one runtimes/nodejs process, \`__OW_ALLOW_CONCURRENT=true\`,"
  echo "POST /run, same code and connections). CPU µs/act = utime + stime delta from /proc/PID/stat over the window / activations"
  echo "(bench/e2e/sweep.sh's header says how the window and the count are taken). Errors = not 200 + socket errors (connect, read, write, timeout:"
  echo "no answer within wrk's default 2 s, which the server still completes)."
  echo "Physical limit of the 175 ms action = connections / 0.175 s."
  echo
  echo "| action | connections | invoker req/s | p50 ms | p99 ms | errors | invoker CPU µs/act | runtime (node) CPU µs/act inside invoker | bare runtime req/s | bare p99 ms | bare errors | bare runtime (node) CPU µs/act | invoker/runtime | invoker/physical limit |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  timeouts() { (( $1 == 0 )) || echo " ($1 timeouts)"; }
  tail -n +2 "$csv" | while IFS=, read -r action c irps ip50 ip99 ierr icpu ncpu brps bp50 bp99 berr bcpu itime btime; do
    name=$([[ $action == async ]] && echo "175 ms" || echo "no-op")
    phys=$([[ $action == async ]] && calc '%.1f %%' "$irps / ($c / 0.175) * 100" || echo "–")
    echo "| $name | $c | $irps | $ip50 | $ip99 | $ierr$(timeouts "$itime") | $icpu | $ncpu | $brps | $bp99 | $berr$(timeouts "$btime") | $bcpu | $(calc %.3f "$irps / $brps") | $phys |"
  done
  if ((${#serve_rows[@]})); then
    echo
    echo "## Serve mode"
    echo
    echo "\`invoker serve\` behind the mock Kafka broker (ServeLoad: \`dotnet $bench_rel --serve-load --invoker $dir/invoker --store sqlite --rate R --seconds $serve_secs\`):"
    echo "10 no-op actions (concurrency 100) in its SQLite store, non-blocking activations produced open loop at R/s, acks counted on"
    echo "completed0; achieved = activations / time to the last ack, so an offered rate above capacity shows the saturated rate"
    echo "(marked saturated below 80 % of the offered rate; short windows understate a rate a little, the last acks' latency being in the time)."
    echo "Beside each: the standalone sweep point whose invoker req/s is nearest (blocking invokes through the HTTP API, closed loop)."
    echo
    echo "| offered /s | activations | achieved /s | serve invoker CPU µs/act | standalone no-op: connections, req/s, CPU µs/act | standalone 175 ms: connections, req/s, CPU µs/act |"
    echo "|---:|---:|---:|---:|---|---|"
    for row in "${serve_rows[@]}"; do
      read -r offered count achieved cpu <<<"$row"
      if [[ $count == failed: ]]; then
        echo "| $offered | ${row#* } | | | | |"
        continue
      fi
      nearest() { tail -n +2 "$csv" | awk -F, -v a="$1" -v r="$achieved" '$1 == a {d = $3 - r; if (d < 0) d = -d; if (best == "" || d < best) {best = d; line = $2 ", " $3 ", " $7}} END {print (line == "" ? "–" : line)}'; }
      mark=$(awk -v a="$achieved" -v o="$offered" 'BEGIN {if (a < 0.8 * o) print " (saturated)"}')
      echo "| $offered | $count | $achieved$mark | $cpu | $(nearest noop) | $(nearest async) |"
    done
  fi
  echo
  echo "Charts: e2e-sweep-requests.png (requests/s against connections), e2e-sweep-p99.png (p99 against connections)."
} >"$md"

dotnet "$bench_dll" --e2e-chart sweep --csv "$csv" --out "$out/e2e-sweep"
echo "wrote $md, $csv, $out/e2e-sweep-requests.png, $out/e2e-sweep-p99.png" >&2
