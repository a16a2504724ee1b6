#!/usr/bin/env bash
# Runs the invoker on its embedded defaults (standalone mode) on http://127.0.0.1:3233: the REST API, the
# SQLite store and durable queue in .data/, actions as runtimes/nodejs processes. Extra settings pass through
# (./run.sh --help lists them); paths are given absolutely because `dotnet run` starts in the project folder.
set -euo pipefail
cd "$(dirname "$0")"
exec dotnet run --project src/Host -c Release -- standalone --data "$PWD/.data" --runtime "$PWD/runtimes/nodejs" "$@"
