#!/usr/bin/env bash
# Builds the action runtime image the Docker backend's tests use, offline (no registry is reachable):
# this machine's node binary with its shared libraries, and runtimes/nodejs, imported as one layer.
#   docker/build-nodejs-image.sh [TAG]          (default perf-invoker-nodejs:test)
set -euo pipefail
cd "$(dirname "$0")/.."
. docker/rootfs.sh
tag=${1:-perf-invoker-nodejs:test}
node=$(readlink -f "$(command -v node)")
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT

base_dirs "$rootfs"
mkdir -p "$rootfs/usr/bin"
cp "$node" "$rootfs/usr/bin/node"
copy_with_libs "$rootfs" "$node"
# The runtime without its tests: what a container runs.
mkdir -p "$rootfs/runtime"
cp -r runtimes/nodejs/index.js runtimes/nodejs/package.json runtimes/nodejs/lib "$rootfs/runtime/"

# OpenWhisk's runtime images listen on every interface, port 8080 (docs/openwhisk.md §5); ours defaults
# to 127.0.0.1, so the invoker sets OW_RUNTIME_HOST for bridge networking.
import_rootfs() {
  tar -C "$rootfs" -c . | docker import \
    -c 'ENTRYPOINT ["/usr/bin/node", "/runtime"]' \
    -c 'ENV TMPDIR=/tmp' \
    - "$tag" >/dev/null
}
replace_image "$tag" import_rootfs
echo "$tag"
