#!/usr/bin/env bash
# Fuzzes the parsers with AFL++ and SharpFuzz (tests/Perf.Invoker.Fuzz, the harnesses and their contracts; README.md, "Fuzzing"):
#
#   tests/fuzz/run.sh HARNESS|all SECONDS [--keep]
#
# Publishes the harness executable, instruments Perf.Invoker.Core and the Host files compiled into it (SharpFuzz.CommandLine,
# the local tool pinned in .config/dotnet-tools.json), and runs afl-fuzz on each harness for SECONDS from its corpus
# (tests/fuzz/corpus/HARNESS), all harnesses at once with "all". Prints one line of figures per harness and exits non-zero
# when any found a crash or a hang (kept in tests/fuzz/.out/findings/HARNESS/default/{crashes,hangs}; replay one with
# `tests/fuzz/.out/bin/Perf.Invoker.Fuzz HARNESS FILE`). --keep then minimises the corpus with what the run found
# (afl-cmin) and writes it back to tests/fuzz/corpus/HARNESS, to commit. With FUZZ_NO_BUILD=1 it publishes what a Release
# build of the solution left (test.sh, which has just built it), instead of building again.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
FUZZ=$ROOT/tests/fuzz
OUT=$FUZZ/.out
BIN=$OUT/bin
HARNESSES=(http-response activation-message runtime-reply action-document api-request)

[ $# -ge 2 ] || { sed -n '2,3p' "$0"; exit 2; }
target=$1 seconds=$2 keep=${3:-}
if [ "$target" = all ]; then selected=("${HARNESSES[@]}"); else selected=("$target"); fi
for h in "${selected[@]}"; do [ -d "$FUZZ/corpus/$h" ] || { echo "no corpus for harness '$h' (tests/fuzz/corpus/$h)"; exit 2; }; done
command -v afl-fuzz >/dev/null || { echo "afl-fuzz is missing: install the Debian package afl++"; exit 2; }

# A fresh publish each time: SharpFuzz instruments in place, and an assembly is instrumented once.
rm -rf "$BIN" && mkdir -p "$OUT"
dotnet tool restore >"$OUT/tool-restore.log" 2>&1 || { cat "$OUT/tool-restore.log"; exit 1; }
dotnet publish tests/Perf.Invoker.Fuzz -c Release ${FUZZ_NO_BUILD:+--no-build} -o "$BIN" >"$OUT/publish.log" 2>&1 || { grep -E "error" "$OUT/publish.log" | sort -u | head -20; echo "publish failed"; exit 1; }
dotnet tool run sharpfuzz "$BIN/Perf.Invoker.Core.dll" >"$OUT/instrument.log" 2>&1 \
  && dotnet tool run sharpfuzz "$BIN/Perf.Invoker.Fuzz.dll" Perf.Invoker.Host >>"$OUT/instrument.log" 2>&1 \
  || { cat "$OUT/instrument.log"; echo "instrumenting failed"; exit 1; }

# The target is a .NET executable, not an afl-instrumented binary (SharpFuzz speaks afl's fork-server protocol from
# inside it); a container has no CPU frequency governor, no core to bind to reliably and may not report crashes to afl.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1
# A generous per-input timeout: the machine is shared, and a hang is an input that never returns, not a slow one.
TIMEOUT_MS=10000

fuzz() { # fuzz HARNESS: afl-fuzz for $seconds into $OUT/findings/HARNESS
  local h=$1
  rm -rf "$OUT/findings/$h" && mkdir -p "$OUT/findings"
  afl-fuzz -i "$FUZZ/corpus/$h" -o "$OUT/findings/$h" -t $TIMEOUT_MS -m none -V "$seconds" -- "$BIN/Perf.Invoker.Fuzz" "$h" \
    >"$OUT/$h.log" 2>&1
}

stat() { grep -E "^$2 *:" "$OUT/findings/$1/default/fuzzer_stats" 2>/dev/null | sed -E 's/.*: *//'; }

pids=()
for h in "${selected[@]}"; do fuzz "$h" & pids+=($!); done
for pid in "${pids[@]}"; do wait "$pid"; done

status=0
for h in "${selected[@]}"; do
  if [ ! -f "$OUT/findings/$h/default/fuzzer_stats" ]; then
    echo "$h: afl-fuzz did not run"; tail -15 "$OUT/$h.log"; status=1; continue
  fi
  crashes=$(stat "$h" saved_crashes) hangs=$(stat "$h" saved_hangs)
  echo "$h: $(stat "$h" execs_done) executions in $(stat "$h" run_time) s ($(stat "$h" execs_per_sec)/s), $(stat "$h" corpus_count) paths, $(stat "$h" edges_found) edges, ${crashes:-?} crashes, ${hangs:-?} hangs"
  if [ "${crashes:-1}" != 0 ] || [ "${hangs:-1}" != 0 ]; then
    status=1
    for f in "$OUT/findings/$h/default/crashes/"id* "$OUT/findings/$h/default/hangs/"id*; do [ -f "$f" ] && echo "  $f"; done
  fi
done

if [ "$keep" = --keep ]; then
  for h in "${selected[@]}"; do
    all=$OUT/cmin-in/$h min=$OUT/cmin-out/$h
    rm -rf "$all" "$min" && mkdir -p "$all"
    cp "$FUZZ/corpus/$h/"* "$all/"
    cp "$OUT/findings/$h/default/queue/"id* "$all/" 2>/dev/null
    if afl-cmin -i "$all" -o "$min" -t $TIMEOUT_MS -m none -- "$BIN/Perf.Invoker.Fuzz" "$h" >"$OUT/$h.cmin.log" 2>&1; then
      # afl-cmin names files after the queue's ids (id:000012,src:…): ':' is awkward in a repository, so they are renumbered.
      rm -rf "$FUZZ/corpus/$h" && mkdir -p "$FUZZ/corpus/$h"
      i=0; for f in "$min"/*; do cp "$f" "$FUZZ/corpus/$h/$(printf '%04d' $i)"; i=$((i + 1)); done
      echo "$h: corpus minimised to $i inputs, $(cat "$FUZZ/corpus/$h/"* | wc -c) bytes"
    else
      echo "$h: afl-cmin failed"; tail -10 "$OUT/$h.cmin.log"; status=1
    fi
  done
fi
exit $status
