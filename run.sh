#!/usr/bin/env bash
# Runs the invoker on its embedded defaults (standalone mode) on http://127.0.0.1:3233.
set -euo pipefail
cd "$(dirname "$0")"
exec dotnet run --project src/Host -c Release -- standalone "$@"
