#!/usr/bin/env bash
# Builds and runs every test of the project, installing what the tests need when it is missing and
# starting the services they use. Ends with "N passed, N failed" (", N skipped" when any) on its own
# line and exits non-zero when anything failed. .ci/run calls exactly this.
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
OUT=$ROOT/.test-output
rm -rf "$OUT" && mkdir -p "$OUT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

passed=0 failed=0 skipped=0

apt_updated=0
need_deb() { # need_deb COMMAND PACKAGE: install PACKAGE as root when COMMAND is missing
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" != 0 ]; then echo "test.sh: '$1' is missing; install the Debian package '$2'" >&2; return 1; fi
  [ $apt_updated = 1 ] || { apt-get update -qq >/dev/null; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

need_deb node nodejs || exit 1
need_deb curl curl || exit 1
need_deb npm npm || exit 1
# The image's shell: /init.sh runs under a static busybox, as OpenWhisk's deployments call it (docker/build-invoker-image.sh).
need_deb busybox busybox-static || exit 1
# The standalone API's client tests drive it with the clients OpenWhisk users have (pinned in package-lock.json):
# OpenWhisk's JavaScript client, the Serverless Framework with serverless-openwhisk, Adobe's aio-lib-runtime. Any one
# missing reinstalls them all. --ignore-scripts: none of them needs its install script (banners and notices only).
for client in openwhisk serverless serverless-openwhisk @adobe/aio-lib-runtime; do
  [ -d "tests/openwhisk-client/node_modules/$client" ] && continue
  npm ci --prefix tests/openwhisk-client --ignore-scripts --no-audit --no-fund >"$OUT/npm-ci.log" 2>&1 || { echo "npm ci failed"; tail -20 "$OUT/npm-ci.log"; exit 1; }
  break
done

# CouchDB for the cluster tests: pouchdb-server, pinned in tools/couchdb/package-lock.json. --ignore-scripts: leveldown
# uses the prebuilt binary its package ships; sqlite3's install script would try to download one.
if [ ! -d tools/couchdb/node_modules/pouchdb-server ]; then
  npm ci --prefix tools/couchdb --ignore-scripts --no-audit --no-fund >"$OUT/npm-ci-couchdb.log" 2>&1 || { echo "npm ci (tools/couchdb) failed"; tail -20 "$OUT/npm-ci-couchdb.log"; exit 1; }
fi

# --- Docker: a daemon for the Docker backend's tests and the image check (docs/architecture.md §2) --------------
# Started here, as root, when none answers: vfs storage and no bridge or iptables, so it needs no kernel
# module and touches no network but loopback (containers use host networking). Stopped at exit, and only
# when this script started it.
docker_ok=0 docker_why="" dockerd_pid=""
stop_dockerd() { [ -z "$dockerd_pid" ] || { kill "$dockerd_pid" 2>/dev/null; wait "$dockerd_pid" 2>/dev/null; }; }
trap stop_dockerd EXIT
if docker info >/dev/null 2>&1; then
  docker_ok=1
elif [ "$(id -u)" != 0 ]; then
  docker_why="no Docker daemon answers and starting one needs root"
elif need_deb dockerd docker.io; then
  dockerd --storage-driver=vfs --bridge=none --iptables=false >"$OUT/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && { docker_ok=1; break; }
    # Ended: another daemon may have taken the socket meanwhile (a package's init script); use it if it answers.
    kill -0 "$dockerd_pid" 2>/dev/null || { dockerd_pid=""; docker info >/dev/null 2>&1 && docker_ok=1; break; }
    sleep 1
  done
  [ $docker_ok = 1 ] || { docker_why="dockerd did not answer (see .test-output/dockerd.log)"; tail -5 "$OUT/dockerd.log"; }
else
  docker_why="docker.io could not be installed"
fi
echo "docker: $([ $docker_ok = 1 ] && echo "daemon answers" || echo "unavailable: $docker_why")"

# --- .NET: build once, then each test project -----------------------------------------------------
count_results() { # count_results NAME: add $OUT/NAME.trx to the totals and print them, or count a run without results as failed
  local name=$1 trx="$OUT/$1.trx" counters p f t s
  if [ -f "$trx" ]; then
    counters=$(grep -o '<Counters [^>]*>' "$trx")
    p=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")
    f=$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")
    t=$(sed -E 's/.* total="([0-9]+)".*/\1/' <<<"$counters")
    s=$((t - p - f))
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    echo "$name: $p passed, $f failed, $s skipped"
    [ "$f" = 0 ] || grep -E "^\s+Failed |Error Message" -A3 "$OUT/$name.log" | head -60
    grep -E "Long Running Test" "$OUT/$name.log" | head -10
  else
    echo "$name: no results"; grep -E "Long Running Test|test running when" -A2 "$OUT/$name.log" | head -20; tail -20 "$OUT/$name.log"; failed=$((failed + 1))
  fi
}

built=0
if ! dotnet build Perf.Invoker.sln -c Release -warnaserror >"$OUT/build.log" 2>&1; then
  grep -E "error|warning" "$OUT/build.log" | sort -u | head -50
  echo "build failed"
  failed=$((failed + 1))
else
  built=1
  for proj in tests/*.Tests/*.csproj; do
    name=$(basename "$proj" .csproj)
    # A test that hangs is killed after 5 minutes and reported by name (blame), instead of stalling CI.
    # Category=Image runs in the image step below, once the image is built.
    dotnet test "$proj" -c Release --no-build --blame-hang-timeout 5m --filter "Category!=Image" --logger "trx;LogFileName=$name.trx" --results-directory "$OUT" \
      >"$OUT/$name.log" 2>&1
    count_results "$name"
  done
fi

# --- Fuzzing, bounded: each harness of tests/Perf.Invoker.Fuzz under afl-fuzz for 20 s from its committed corpus
# (tests/fuzz/run.sh); a crash or a hang fails it. The corpus itself is replayed in process with the core tests
# (FuzzCorpusTests). AFL++ comes from Debian. ----------------------------------------------------------------------
if [ $built = 1 ]; then
  if need_deb afl-fuzz afl++; then
    FUZZ_NO_BUILD=1 tests/fuzz/run.sh all 20 >"$OUT/fuzz.log" 2>&1
    harnesses=0
    while IFS= read -r line; do
      harnesses=$((harnesses + 1))
      if [[ "$line" == *" 0 crashes, 0 hangs" ]]; then
        passed=$((passed + 1)); echo "fuzz $line"
      else
        failed=$((failed + 1)); echo "fuzz $line (tests/fuzz/.out/findings)"
      fi
    done < <(grep -E "^[a-z-]+: " "$OUT/fuzz.log")
    if [ $harnesses = 0 ]; then
      failed=$((failed + 1)); echo "fuzz: failed"; tail -20 "$OUT/fuzz.log"
    fi
  else
    failed=$((failed + 1)); echo "fuzz: afl++ could not be installed"
  fi
fi

# --- Debug pass: the Debug.Assert invariants, compiled out above, fire under the concurrency and fault tests -----
# The core tests built in Debug, run on the in-process and real-runtime tests (Category=Unit|Process) but the
# standalone ones and the fault matrix's rows that start the invoker executable (end to end: minutes, and no assert
# the others miss). A failed assert
# fails its test (tests/Perf.Invoker.Core.Tests/Support/DebugAssertListener.cs); one caught by the code around it is
# still logged to debug-asserts.log, and any line there fails this pass.
if [ $built = 1 ]; then
  name=Perf.Invoker.Core.Tests.Debug
  if ! dotnet build tests/Perf.Invoker.Core.Tests -c Debug -warnaserror >"$OUT/build-debug.log" 2>&1; then
    grep -E "error|warning" "$OUT/build-debug.log" | sort -u | head -50
    echo "$name: build failed"
    failed=$((failed + 1))
  else
    PERF_INVOKER_ASSERT_LOG="$OUT/debug-asserts.log" dotnet test tests/Perf.Invoker.Core.Tests -c Debug --no-build --blame-hang-timeout 5m \
      --filter "(Category=Unit|Category=Process)&FullyQualifiedName!~.Standalone.&FullyQualifiedName!~ShutdownFaultMatrixTests&FullyQualifiedName!~DiskFaultMatrixTests" \
      --logger "trx;LogFileName=$name.trx" --results-directory "$OUT" >"$OUT/$name.log" 2>&1
    count_results "$name"
    if [ -s "$OUT/debug-asserts.log" ]; then
      failed=$((failed + 1)); echo "$name: Debug.Assert failed $(grep -c '^Debug.Assert failed' "$OUT/debug-asserts.log") time(s)"
      grep -A4 '^Debug.Assert failed' "$OUT/debug-asserts.log" | head -40
    fi
  fi
fi

# --- Native AOT: the host and the generated JSON code publish without warnings and run ----------
aot_check() { # aot_check NAME PROJECT RUN...: publish PROJECT with Native AOT, fail on any warning, then run it
  local name=$1 proj=$2; shift 2
  if dotnet publish "$proj" -r linux-x64 -c Release -o "$OUT/aot-$name" >"$OUT/aot-$name.log" 2>&1 \
      && ! grep -qE "warning (IL|CS|AOT)" "$OUT/aot-$name.log" && (cd "$OUT/aot-$name" && "$@") >>"$OUT/aot-$name.log" 2>&1; then
    passed=$((passed + 1)); echo "native aot $name: passed"
  else
    failed=$((failed + 1)); echo "native aot $name: failed"; grep -E "warning|error" "$OUT/aot-$name.log" | sort -u | head -20; tail -5 "$OUT/aot-$name.log"
  fi
}
if [ $built = 1 ]; then
  aot_check json-smoke tests/Perf.Invoker.AotSmoke ./Perf.Invoker.AotSmoke
  aot_check host src/Host ./invoker --version
fi

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_ping() { # wait_ping PORT: until the admin endpoint answers pong, 30 s at most
  for _ in $(seq 60); do [ "$(curl -s "http://127.0.0.1:$1/ping")" = pong ] && return 0; sleep 0.5; done; return 1
}

# --- The published executable run as a packaged one: from a scratch working directory, without --runtime, it finds
# runtimes/nodejs beside itself and runs an action (nothing is copied next to it) ----------------------------------
published_check() {
  local scratch port pid key result ok=1
  scratch=$(mktemp -d)
  port=$(free_port)
  (cd "$scratch" && exec "$OUT/aot-host/invoker" --url "http://127.0.0.1:$port" --data ./data) >"$OUT/published.out" 2>&1 &
  pid=$!
  for _ in $(seq 60); do
    key=$(sed -nE 's/.*, auth ([^ ]+).*/\1/p' "$OUT/published.out")
    [ -n "$key" ] || ! kill -0 "$pid" 2>/dev/null && break
    sleep 0.5
  done
  if [ -z "$key" ]; then
    echo "the invoker printed no key"; ok=0
  else
    curl -sf -u "$key" -X PUT "http://127.0.0.1:$port/api/v1/namespaces/_/actions/hello" -H 'Content-Type: application/json' \
      -d '{"exec":{"kind":"nodejs:20","code":"function main(p){return {hi:p.name}}"}}' >/dev/null || { echo "creating the action failed"; ok=0; }
    result=$(curl -s -u "$key" -X POST -H 'Content-Type: application/json' -d '{"name":"you"}' \
      "http://127.0.0.1:$port/api/v1/namespaces/_/actions/hello?blocking=true&result=true")
    [ "$result" = '{"hi":"you"}' ] || { echo "the blocking invoke answered '$result', not {\"hi\":\"you\"}"; ok=0; }
  fi
  kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  [ $ok = 1 ] || cat "$OUT/published.out"
  [ -d "$scratch/data" ] || { echo "no data directory in the working directory"; ok=0; }
  rm -rf "$scratch"
  [ $ok = 1 ]
}
if [ $built = 1 ] && [ -x "$OUT/aot-host/invoker" ]; then
  if published_check >"$OUT/published.log" 2>&1; then
    passed=$((passed + 1)); echo "published invoker from a scratch directory: passed"
  else
    failed=$((failed + 1)); echo "published invoker from a scratch directory: failed"; tail -20 "$OUT/published.log"
  fi
fi

# --- Docker image: built FROM scratch out of the host's AOT publish; --version, /ping, serve in it -----
image_check() {
  local tag=perf-invoker:test version port id files ok=1
  docker/build-invoker-image.sh "$OUT/aot-host" "$tag" || return 1
  version=$("$OUT/aot-host/invoker" --version)
  [ "$(docker run --rm "$tag" --version)" = "$version" ] || { echo "--version in the image differs from '$version'"; return 1; }
  # The Node.js runtime beside the executable, where it looks without --runtime.
  id=$(docker create "$tag") || return 1
  files=$(docker export "$id" | tar -t); docker rm "$id" >/dev/null
  grep -qx 'runtimes/nodejs/package.json' <<<"$files" || { echo "no /runtimes/nodejs/package.json in the image"; return 1; }
  # Host networking and a loopback port only (docs/architecture.md §2, network rule).
  port=$(free_port)
  id=$(docker run -d --network host "$tag" --url "http://127.0.0.1:$port") || return 1
  wait_ping "$port" || { echo "standalone /ping did not answer"; docker logs "$id"; ok=0; }
  docker rm -f "$id" >/dev/null
  # serve loads SQLite and librdkafka at start: it reaches "serving" and /ping without a broker answering.
  port=$(free_port)
  id=$(docker run -d --network host "$tag" serve --kafka 127.0.0.1:9 --url "http://127.0.0.1:$port") || return 1
  wait_ping "$port" || { echo "serve /ping did not answer"; docker logs "$id"; ok=0; }
  docker rm -f "$id" >/dev/null
  echo "image size: $(docker image inspect -f '{{.Size}}' "$tag") bytes; invoker: $(stat -c %s "$OUT/aot-host/invoker") bytes"
  [ $ok = 1 ]
}
if [ $built = 1 ] && [ -x "$OUT/aot-host/invoker" ]; then
  if [ $docker_ok = 1 ]; then
    if image_check >"$OUT/docker-image.log" 2>&1; then
      passed=$((passed + 1)); echo "docker image: passed ($(grep '^image size' "$OUT/docker-image.log"))"
      # The image as OpenWhisk's ansible runs it, against pouchdb-server and the mock broker (tests/.../Cluster).
      PERF_INVOKER_IMAGE=perf-invoker:test dotnet test tests/Perf.Invoker.Core.Tests -c Release --no-build --blame-hang-timeout 5m \
        --filter "Category=Image" --logger "trx;LogFileName=Perf.Invoker.Image.trx" --results-directory "$OUT" >"$OUT/Perf.Invoker.Image.log" 2>&1
      count_results Perf.Invoker.Image
    else
      failed=$((failed + 1)); echo "docker image: failed"; tail -20 "$OUT/docker-image.log"
    fi
  elif [ "${CI:-}" = true ]; then
    failed=$((failed + 1)); echo "docker image: failed ($docker_why)"
  else
    skipped=$((skipped + 1)); echo "docker image: skipped ($docker_why)"
  fi
fi

# --- Node.js runtime tests --------------------------------------------------------------------------
if ls runtimes/nodejs/test/*.test.js >/dev/null 2>&1; then
  node --test --test-reporter=tap runtimes/nodejs/test/ >"$OUT/nodejs.tap" 2>&1
  p=$(grep -E '^# pass ' "$OUT/nodejs.tap" | awk '{print $3}'); f=$(grep -E '^# fail ' "$OUT/nodejs.tap" | awk '{print $3}')
  s=$(grep -E '^# skipped ' "$OUT/nodejs.tap" | awk '{print $3}')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1})); skipped=$((skipped + ${s:-0}))
  echo "runtimes/nodejs: ${p:-0} passed, ${f:-1} failed"
  [ "${f:-1}" = 0 ] || grep -E "^not ok" -A12 "$OUT/nodejs.tap" | head -60
fi

# --- Benchmark smoke: every benchmark runs once in process (numbers are not read) ------------------
if [ $built = 1 ]; then
  if dotnet run -c Release --no-build --project bench/Perf.Invoker.Benchmarks -- --smoke --filter '*' \
      >"$OUT/bench-smoke.log" 2>&1; then
    passed=$((passed + 1)); echo "benchmark smoke: passed"
  else
    failed=$((failed + 1)); echo "benchmark smoke: failed"; tail -30 "$OUT/bench-smoke.log"
  fi
fi

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
