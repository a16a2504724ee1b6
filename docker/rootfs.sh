# Sourced by the image scripts: assembles a root file system from host binaries, without a shell or
# package manager in it. Only the files named and the shared libraries they load (ldd) go in.

# copy_with_libs ROOTFS FILE...: copies the shared libraries each FILE needs (as ldd resolves them on
# this machine, the dynamic loader included) to the same paths under ROOTFS, following symlinks.
copy_with_libs() {
  local root=$1 file lib; shift
  for file in "$@"; do
    # ldd prints "name => /path (addr)" or "/path (addr)"; the vDSO has no file.
    for lib in $(ldd "$file" | grep -oE '/[^ ]+\.so[^ ]*'); do
      [ -e "$root$lib" ] && continue
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  done
}

# base_dirs ROOTFS: the directories every program expects (/tmp sticky and world-writable).
base_dirs() {
  mkdir -p "$1/tmp" && chmod 1777 "$1/tmp"
}

# replace_image TAG COMMAND...: runs COMMAND, which tags a new image TAG, then removes the image TAG
# named before (if any and unused), so that rebuilding leaves no dangling copies (vfs keeps full ones).
replace_image() {
  local tag=$1 old; shift
  old=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
  "$@" || return 1
  if [ -n "$old" ] && [ "$old" != "$(docker image inspect -f '{{.Id}}' "$tag")" ]; then
    docker rmi "$old" >/dev/null 2>&1 || true
  fi
}
