#!/usr/bin/env bash
# Builds the container images the local real node needs, because it cannot
# pull any (see hack/README.md, "Images"):
#
#   pause:3.10        the pod sandbox (hack/images/pause, a static Go program)
#   busybox:1.37.0    hoist's default --wait-image and the test workloads'
#                     image: Debian's static busybox 1.35 with one symlink per
#                     applet, /etc/passwd, /etc/group, nsswitch.conf and /tmp
#
# Each image is built FROM scratch with buildah (vfs storage, chroot
# isolation, its own storage under the cache) and written as a
# docker-archive to ${HOIST_IMAGES_DIR:-$ROOT/.cache/images}/<name>.tar, which
# `hack/local-cluster.sh load-image DIR ARCHIVE` imports into containerd.
# An archive that exists is kept; delete it to rebuild. The archive paths are
# printed on stdout, progress on stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${HOIST_IMAGES_DIR:-$ROOT/.cache/images}"
BUSYBOX="${HOIST_BUSYBOX:-/bin/busybox}"

log() { echo "images: $*" >&2; }

# The images' files keep the modes they get here: callers such as
# local-cluster.sh run with umask 077, which would leave /bin unreadable to
# the non-root users hoist's wait containers run as.
umask 022

command -v buildah >/dev/null || { log "buildah not found: apt-get install buildah"; exit 1; }
[[ -x "$BUSYBOX" ]] || { log "$BUSYBOX not found: apt-get install busybox-static"; exit 1; }
if [[ -n "$(ldd "$BUSYBOX" 2>/dev/null | grep -v 'not a dynamic')" ]]; then
  log "$BUSYBOX is not static: apt-get install busybox-static"
  exit 1
fi

mkdir -p "$OUT"
WORK="$(mktemp -d "$OUT/.build.XXXXXX")"
trap 'rm -rf "$WORK" 2>/dev/null || { chmod -R u+w "$WORK"; rm -rf "$WORK"; }' EXIT

# buildah NAME CONTEXT: builds CONTEXT/Containerfile as NAME into OUT/<file>.tar.
bah() {
  buildah --root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs "$@"
}

build_image() {
  local name="$1" ctx="$2" file="$3" tmp
  bah bud --quiet --isolation chroot --layers=false \
    -f "$ctx/Containerfile" -t "$name" "$ctx" >/dev/null
  tmp="$OUT/.$file.tar.$$"
  rm -f "$tmp"
  bah push --quiet "$name" "docker-archive:$tmp:$name" >/dev/null
  mv -f "$tmp" "$OUT/$file.tar"
  log "$name -> $OUT/$file.tar"
}

# pause
if [[ ! -f "$OUT/pause.tar" ]]; then
  ctx="$WORK/pause"
  mkdir -p "$ctx"
  CGO_ENABLED=0 GOWORK=off go build -C "$ROOT" -trimpath -ldflags "-s -w" \
    -o "$ctx/pause" ./hack/images/pause
  printf 'FROM scratch\nCOPY pause /pause\nENTRYPOINT ["/pause"]\n' >"$ctx/Containerfile"
  build_image registry.k8s.io/pause:3.10 "$ctx" pause
fi

# busybox
if [[ ! -f "$OUT/busybox.tar" ]]; then
  ctx="$WORK/busybox"
  rootfs="$ctx/rootfs"
  mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root" "$rootfs/home" "$rootfs/var/www"
  chmod 0755 "$rootfs" "$rootfs/bin" "$rootfs/etc" "$rootfs/root" "$rootfs/home" "$rootfs/var" "$rootfs/var/www"
  chmod 1777 "$rootfs/tmp"
  cp "$BUSYBOX" "$rootfs/bin/busybox"
  for applet in $("$BUSYBOX" --list); do
    [[ "$applet" == busybox ]] || ln -s busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
  printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/bin\nCMD ["sh"]\n' >"$ctx/Containerfile"
  build_image docker.io/library/busybox:1.37.0 "$ctx" busybox
fi

echo "$OUT/pause.tar"
echo "$OUT/busybox.tar"
