#!/usr/bin/env bash
# The HTTP/1.1 client measured across processes (bench/results/http.md, "Cross-process"): the client under test
# on core 0, its server on core 1 (taskset), client CPU time per request and requests/s for Http1ConnectionPool
# and HttpClient against (a) BenchmarkHttpServer in its own process and (b) the Node.js runtime's /run
# (runtimes/nodejs, concurrent, /init'ed with a no-op action), at 1, 16 and 200 in flight with 100 B and
# 64 KiB bodies. Against the benchmark server the raw-socket floor runs too (FLOOR=0 leaves it out): pre-built
# request bytes on one socket per worker, the least any client on .NET's sockets can cost. Every cell runs REPS
# rounds of one process per client, rotating which goes first, so that the machine's other tenants hit all of
# them; medians are reported. Every .NET process runs with DOTNET_TieredCompilation=0: the invoker is Native AOT,
# fully compiled from the start, while a JIT process still recompiles hot code tiers several seconds in, which
# a short run would charge to the client. They also run with the invoker's thread-pool setting,
# DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 (src/Host's runtimeconfig: idle workers sleep instead of spinning in
# sched_yield), for both clients alike: with the default spin, a client whose server is slower than it (the Node.js
# runtime) pays for its workers' spinning in a way that swings ±20 % from run to run.
# usage: bench/http/run.sh [SECONDS per run, default 2] [REPS, default 3]
# env: WARMUP (s, default 1), PORT_BASE (default 3710), CELLS ("target:inflight:body …" to run a subset),
#      OUT (results file to rewrite, default bench/results/http.md; "-" prints the section only),
#      RAW (a file of earlier result lines, as this script prints them on stderr: render it, measure nothing;
#      ELAPSED then gives the grid's duration in s; a run that rewrites the results file keeps its lines in
#      bench/http/last-run.txt)
set -euo pipefail
secs=${1:-2} reps=${2:-3} warmup=${WARMUP:-1}
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
out=${OUT:-$root/bench/results/http.md}
server_port=${PORT_BASE:-3710} node_port=$(( ${PORT_BASE:-3710} + 1 ))
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

if [ -n "${RAW:-}" ]; then
  cp "$RAW" "$work/raw.txt"
  start=$(date +%s)
else
  dotnet build "$root/bench/Perf.Invoker.Benchmarks" -c Release -v q -nologo >/dev/null
  dll=$(ls "$root"/bench/Perf.Invoker.Benchmarks/bin/Release/net*/Perf.Invoker.Benchmarks.dll | head -1)
  export DOTNET_TieredCompilation=0 DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0

  taskset -c 1 dotnet "$dll" --http-server "$server_port" >"$work/server.log" 2>&1 &
  pids+=($!)
  taskset -c 1 env __OW_ALLOW_CONCURRENT=true OW_RUNTIME_HOST=127.0.0.1 OW_RUNTIME_PORT="$node_port" node "$root/runtimes/nodejs" >/dev/null 2>"$work/node.err" &
  pids+=($!)
  until grep -q listening "$work/server.log" 2>/dev/null; do sleep 0.1; done
  until curl -sf -X POST "http://127.0.0.1:$node_port/init" -H 'Content-Type: application/json' \
    -d '{"value":{"main":"main","code":"function main() { return { greeting: \"Hello stranger!\" }; }","binary":false}}' >/dev/null 2>&1; do sleep 0.1; done

  cells=${CELLS:-}
  if [ -z "$cells" ]; then
    for target in server node; do for inflight in 1 16 200; do for body in 100 65536; do cells+="$target:$inflight:$body "; done; done; done
  fi

  start=$(date +%s)
  for cell in $cells; do
    IFS=: read -r target inflight body <<<"$cell"
    port=$([ "$target" = server ] && echo "$server_port" || echo "$node_port")
    clients=(pool httpclient)
    [ "$target" = server ] && [ "${FLOOR:-1}" = 1 ] && clients+=(raw)
    for ((r = 0; r < reps; r++)); do
      for ((i = 0; i < ${#clients[@]}; i++)); do
        client=${clients[$(( (i + r) % ${#clients[@]} ))]}
        line=$(taskset -c 0 dotnet "$dll" --http-client "$client" --target "http://127.0.0.1:$port/run" \
          --inflight "$inflight" --body "$body" --seconds "$secs" --warmup "$warmup")
        echo "target=$target $line" | tee -a "$work/raw.txt" >&2
      done
    done
  done
fi
if [ -n "${RAW:-}" ]; then elapsed=${ELAPSED:-?}; else elapsed=$(( $(date +%s) - start )); fi
# The result lines of a run that rewrites the results file are kept beside this script, for RAW.
[ -z "${RAW:-}" ] && [ "$out" != - ] && cp "$work/raw.txt" "$here/last-run.txt"

python3 - "$work/raw.txt" "$out" "$secs" "$reps" "$warmup" "$elapsed" <<'PY'
import re, statistics, sys, datetime, subprocess
raw, out, secs, reps, warmup, elapsed = sys.argv[1:]
rows = {}
for line in open(raw):
    f = dict(kv.split('=', 1) for kv in line.split())
    key = (f['target'], int(f['inflight']), int(f['body']))
    rows.setdefault(key, {}).setdefault(f['client'], []).append(f)
med = lambda runs, k: statistics.median(float(r[k]) for r in runs)
names = {'server': 'benchmark server', 'node': 'Node.js /run'}
lines = [
    '| target | in flight | body | req/s HttpClient · pool · floor | pool ÷ HttpClient req/s | client CPU µs/req HttpClient · pool · floor | of which kernel: HttpClient · pool · floor | B/req HttpClient · pool | HttpClient CPU ÷ pool CPU |',
    '|---|---:|---:|:---:|---:|:---:|:---:|:---:|---:|']
less = {'server': {}, 'node': {}}
def fmt(c, k, f):
    return ' · '.join(f.format(med(c[x], k)) if x in c else '–' for x in ('httpclient', 'pool', 'raw'))
for (target, inflight, body), c in sorted(rows.items(), key=lambda kv: (kv[0][0] != 'server', kv[0][1], kv[0][2])):
    h, p = c['httpclient'], c['pool']
    ratio = med(h, 'cpu_us') / med(p, 'cpu_us')
    less[target][inflight] = min(less[target].get(inflight, ratio), ratio)
    size = '64 KiB' if body == 65536 else f'{body} B'
    lines.append(f"| {names[target]} | {inflight} | {size} | {fmt(c, 'rps', '{:,.0f}')} | {med(p, 'rps') / med(h, 'rps'):.2f}× "
                 f"| {fmt(c, 'cpu_us', '{:.1f}')} | {fmt(c, 'kernel_us', '{:.1f}')} | {med(h, 'alloc_b'):,.0f} · {med(p, 'alloc_b'):,.0f} | **{ratio:.2f}×** |")
load = open('/proc/loadavg').read().split()[:3]
section = [
    '## Cross-process: client CPU per request',
    '',
    f'`bench/http/run.sh {secs} {reps}` (WARMUP={warmup} s): {reps} rounds of {secs} s per client and cell, medians; '
    f'the grid took {elapsed} s. Run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, load average {" ".join(load)} at the end '
    '(the 2 cores are shared with other tenants: trust the ratios, measured alternately, over the absolute figures).',
    '',
] + lines + [
    '',
    'Against Node.js /run the runtime is the bottleneck and both clients spend their CPU waiting to be woken: '
    f"16 in flight {less['node'].get(16, float('nan')):.2f}x less, 200 in flight {less['node'].get(200, float('nan')):.2f}x less "
    '(smaller of the two bodies). The line below is the benchmark server\'s, where the client is what is measured: '
    'for each in-flight count, the smaller HttpClient ÷ pool CPU ratio of the two body sizes.',
    '',
    f"client CPU per request, pool / HttpClient: 16 in flight {less['server'].get(16, float('nan')):.2f}x less, 200 in flight {less['server'].get(200, float('nan')):.2f}x less",
]
text = '\n'.join(section) + '\n'
if out == '-':
    sys.stdout.write(text)
else:
    doc = open(out).read()
    at = doc.find('## Cross-process: client CPU per request')
    doc = (doc[:at] if at >= 0 else doc.rstrip('\n') + '\n\n')
    open(out, 'w').write(doc + text)
    sys.stdout.write(text)
PY
