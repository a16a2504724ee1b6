#!/usr/bin/env bash
# Measures the AOT `invoker` (standalone, fresh data directory each time): time from exec to the first
# answered GET /ping (median of N starts), idle RSS after start, and the binary's size.
# usage: bench/startup/measure.sh PUBLISH_DIR [N]     (PUBLISH_DIR from: dotnet publish src/Host -r linux-x64 -c Release -o DIR)
set -euo pipefail
dir=$1 n=${2:-10} port=3391
root=$(cd "$(dirname "$0")/../.." && pwd)
times=() rss=()
for i in $(seq 1 "$n"); do
  data=$(mktemp -d)
  start=$(date +%s%N)
  "$dir/invoker" standalone --data "$data" --url "http://127.0.0.1:$port" --runtime "$root/runtimes/nodejs" >/dev/null 2>&1 &
  pid=$!
  # Poll every 2 ms: a tight loop would take a core from the process being measured.
  until curl -sf "http://127.0.0.1:$port/ping" >/dev/null 2>&1; do sleep 0.002; done
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
  sleep 1
  rss+=($(awk '/VmRSS/ {print $2}' "/proc/$pid/status"))
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$data"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "first /ping ms: ${times[*]} -> median $(median "${times[@]}")"
echo "idle RSS KiB after 1 s: ${rss[*]} -> median $(median "${rss[@]}")"
echo "binary: $(stat -c %s "$dir/invoker") bytes ($(du -h "$dir/invoker" | cut -f1)); librdkafka.so beside it: $(stat -c %s "$dir/librdkafka.so") bytes"
