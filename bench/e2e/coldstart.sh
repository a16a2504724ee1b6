#!/usr/bin/env bash
# Cold start of `invoker standalone` (issue 12): N new actions (a small nodejs:20 function each, distinct code) are
# created one after another, and the FIRST blocking invoke of each is timed with curl (time_total: the request to
# the invoker, the pool's choice, the container's /init and /run, the answer). Between actions the invoker is given
# time to backfill its stem cells (/metrics invoker_containers{state="prewarmed"} back at its count, and every runtime
# process of the invoker listening, per ss), so every action finds what a quiet invoker would have. A second invoke of the
# same action, warm, is timed too: what every invoke pays.
# With a second publish (BASE_DIR, e.g. a build of main), both invokers run side by side and the actions alternate
# between them, so that both see the same machine; BASE_RUNTIME is the runtime folder the base runs (default: ours).
# usage: [N=20] [BATCH=10] bench/e2e/coldstart.sh PUBLISH_DIR [BASE_DIR [BASE_RUNTIME]]
# (PUBLISH_DIR from: dotnet publish src/Host -r linux-x64 -c Release -o DIR)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
dirs=("$1") runtimes=("$root/runtimes/nodejs") labels=(this)
if [[ -n "${2:-}" ]]; then dirs+=("$2"); runtimes+=("${3:-$root/runtimes/nodejs}"); labels+=(base); fi
n=${N:-20} base_port=${PORT:-3810}
work=$(mktemp -d)
pids=()
cleanup() {
  # The runtimes are the invoker's children: it kills them when it stops.
  stop_invokers
  rm -rf "$work"
}
trap cleanup EXIT

# CPU clock ticks used so far by the invoker and its runtime processes (the machine is shared: CPU, unlike wall time,
# is what this invoke cost whatever else runs).
ticks() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1"); do
    total=$((total + $(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
hz=$(getconf CLK_TCK)
prewarmed() { curl -sf "http://127.0.0.1:$1/metrics" | awk '/^invoker_containers\{state="prewarmed"\}/{print $2}'; }
# Every runtime process of the invoker listens (a stem cell listens once started and warm, runtimes/nodejs/README.md).
listening() {
  local sockets child
  sockets=$(ss -Hltnp)
  for child in $(pgrep -P "$1"); do grep -q "pid=$child," <<<"$sockets" || return 1; done
}
settle() {
  local port=$1 want=$2 pid=$3
  for _ in $(seq 200); do
    [[ "$(prewarmed "$port")" -ge "$want" ]] && listening "$pid" && return
    sleep 0.05
  done
  echo "warning: invoker on port $port did not settle ($want stem cells wanted)" >&2
}

# Fresh invokers for every batch: each new action keeps a 256 MB container, and stem cells are only started in free
# memory (docs/pool.md), so a batch stays well within --user-memory 4096 (10 actions and 2 stem cells: 3 GB).
start_invokers() {
  pids=()
  for i in "${!dirs[@]}"; do
    rm -rf "$work/$i/data"; mkdir -p "$work/$i/data"
    INVOKER_CONCURRENT_INVOCATIONS=1000000 INVOKER_INVOCATIONS_PER_MINUTE=2000000000 "${dirs[$i]}/invoker" standalone --data "$work/$i/data" --url "http://127.0.0.1:$((base_port + i))" \
      --runtime "${runtimes[$i]}" --user-memory 4096 >"$work/$i/invoker.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!dirs[@]}"; do
    until grep -q ', auth ' "$work/$i/invoker.log" 2>/dev/null; do sleep 0.05; done
  done
  # The stem cells the invoker keeps: what it has once its start settled.
  sleep 1
  for i in "${!dirs[@]}"; do stems[$i]=$(prewarmed $((base_port + i))); done
}
stop_invokers() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

batch=${BATCH:-10}
for a in $(seq 1 "$n"); do
  if (( (a - 1) % batch == 0 )); then
    stop_invokers
    start_invokers
    for i in "${!dirs[@]}"; do echo "actions $a..: ${labels[$i]} ${dirs[$i]}, runtime ${runtimes[$i]}, ${stems[$i]} stem cell(s)"; done
  fi
  for i in "${!dirs[@]}"; do
    port=$((base_port + i))
    auth=$(awk '/, auth /{print $4}' "$work/$i/invoker.log")
    api="http://127.0.0.1:$port/api/v1/namespaces/_/actions"
    settle "$port" "${stems[$i]}" "${pids[$i]}"
    code="function main(params) { const n = $a * 7 + ${#labels[$i]}; return { action: $a, n, name: params.name || 'cold$a' }; }"
    curl -sf -u "$auth" -X PUT "$api/cold$a?overwrite=true" -H 'Content-Type: application/json' \
      -d "{\"exec\":{\"kind\":\"nodejs:20\",\"code\":\"$code\"}}" >/dev/null
    before=$(ticks "${pids[$i]}")
    t=$(curl -s -o "$work/$i/answer" -w '%{time_total}' -u "$auth" -X POST "$api/cold$a?blocking=true&result=true" \
      -H 'Content-Type: application/json' -d '{}')
    grep -q "\"action\":$a" "$work/$i/answer" || { echo "${labels[$i]} cold$a answered: $(cat "$work/$i/answer")" >&2; exit 1; }
    echo "$t" >>"$work/$i/times"
    # The same action once more, warm (after the backfill): what every invoke pays; cold minus warm is the cold start's own.
    settle "$port" "${stems[$i]}" "${pids[$i]}"
    # Counted until settled: with stem cells the replacement starts after the answer, and its start is part of what a
    # cold start costs (counted while the invoke runs, a backfill begun before the answer would be split at random).
    echo $(($(ticks "${pids[$i]}") - before)) >>"$work/$i/backfill-ticks"
    before=$(ticks "${pids[$i]}")
    curl -s -o /dev/null -w '%{time_total}\n' -u "$auth" -X POST "$api/cold$a?blocking=true&result=true" \
      -H 'Content-Type: application/json' -d '{}' >>"$work/$i/warm"
    echo $(($(ticks "${pids[$i]}") - before)) >>"$work/$i/warm-ticks"
  done
done

stats() { sort -n "$1" | awk '{ v[NR] = $1 * 1000 } END {
  n = NR; p50 = v[int((n + 1) / 2)]; p90 = v[int(n * 0.9 + 0.999)];
  printf "p50 %6.1f ms  p90 %6.1f ms  max %6.1f ms  (n %d)\n", p50, p90, v[n], n }'; }
echo "first (cold) and second (warm) blocking invoke of $n new actions (curl time_total):"
cpu() { awk -v hz="$hz" -v note="${2-}" '{ t += $1 } END { printf "CPU %.1f ms per invoke, invoker and runtimes%s\n", t * 1000 / hz / NR, note }' "$1"; }
for i in "${!dirs[@]}"; do
  printf '  %-5s cold ' "${labels[$i]}"; stats "$work/$i/times"
  printf '  %-5s warm ' "${labels[$i]}"; stats "$work/$i/warm"
  printf '  %-5s cold ' "${labels[$i]}"; cpu "$work/$i/backfill-ticks" " (cold: until the stem cells are back)"
  printf '  %-5s warm ' "${labels[$i]}"; cpu "$work/$i/warm-ticks"
done
if [[ ${#dirs[@]} -eq 2 ]]; then
  p50() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
  awk -v a="$(p50 "$work/0/times")" -v b="$(p50 "$work/1/times")" 'BEGIN { printf "  p50 this/base: %.2f\n", a / b }'
fi
