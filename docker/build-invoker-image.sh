#!/usr/bin/env bash
# Builds the invoker image from a Native AOT publish of src/Host, offline.
#   dotnet publish src/Host -r linux-x64 -c Release -o DIR
#   docker/build-invoker-image.sh DIR [TAG]           (default TAG perf-invoker:latest)
# Assembles the build context (docker/Dockerfile plus rootfs/) in a temporary folder, then runs
# docker build on it. The shared libraries come from this machine (glibc-based Linux).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rootfs.sh"
publish=$(cd "${1:?usage: build-invoker-image.sh PUBLISH_DIR [TAG]}" && pwd)
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "build-invoker-image.sh: no $busybox: install the Debian package busybox-static (the image's /bin/sh for OpenWhisk's /init.sh)" >&2; exit 1; }
# Static, so that it needs no library; a dynamic one would fail in the image with a bare 'not found'.
if ldd "$busybox" >/dev/null 2>&1; then
  echo "build-invoker-image.sh: $busybox is linked dynamically; the image needs the static build (busybox-static)" >&2
  exit 1
fi
tag=${2:-perf-invoker:latest}
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
rootfs=$context/rootfs

base_dirs "$rootfs"
cp "$publish/invoker" "$rootfs/"
copy_with_libs "$rootfs" "$publish/invoker"
# The Node.js runtime the publish lays beside the executable (/runtimes/nodejs), where the invoker looks for it
# without --runtime; process containers need a node too, which the image does not carry.
[ -f "$publish/runtimes/nodejs/package.json" ] || { echo "build-invoker-image.sh: no runtimes/nodejs in $publish" >&2; exit 1; }
mkdir -p "$rootfs/runtimes"
cp -r "$publish/runtimes/nodejs" "$rootfs/runtimes/"
# Native libraries the executable loads at run time (not in its ldd): each variant whose own libraries
# all resolve here. Confluent.Kafka tries librdkafka.so, then centos8-librdkafka.so (which needs no
# libsasl2); alpine-librdkafka.so is for musl and never loads on glibc.
for lib in "$publish"/*.so; do
  # Captured first: with pipefail, grep -q closing the pipe early would make ldd's SIGPIPE the answer.
  missing=$(ldd "$lib" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
  if [ -n "$missing" ]; then
    echo "build-invoker-image.sh: leaving out $(basename "$lib"): $missing" >&2
    continue
  fi
  cp "$lib" "$rootfs/"
  copy_with_libs "$rootfs" "$lib"
done
# OpenSSL, which .NET's System.Security.Cryptography (RandomNumberGenerator: activation ids, namespace
# keys) loads by name at run time; without it the process stops with "No usable version of libssl".
for name in libssl.so.3 libcrypto.so.3; do
  lib=$(ldconfig -p | awk -v n="$name" '$1 == n && /x86-64/ {print $NF; exit}')
  [ -n "$lib" ] || { echo "build-invoker-image.sh: $name not found on this machine (Debian package libssl3)" >&2; exit 1; }
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
  copy_with_libs "$rootfs" "$lib"
done
# OpenWhisk's deployments run /bin/sh -c "exec /init.sh --id N --uniqueName N …" (docs/cluster.md).
mkdir -p "$rootfs/bin"
cp "$busybox" "$rootfs/bin/busybox"
ln -s busybox "$rootfs/bin/sh"
install -m 755 "$here/init.sh" "$rootfs/init.sh"
install -m 755 "$here/entrypoint.sh" "$rootfs/entrypoint.sh"
cp "$here/Dockerfile" "$context/"

# The classic builder: FROM scratch needs neither a registry nor the buildx plugin.
build() {
  local out
  out=$(DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$context" 2>&1) || { echo "$out" >&2; return 1; }
}
replace_image "$tag" build
echo "$tag"
