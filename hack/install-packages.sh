#!/usr/bin/env bash
# Installs the Debian packages the local real node and its tests need
# (hack/README.md, "A real node"), when any is missing. Needs root.
set -euo pipefail

PACKAGES=(containerd runc containernetworking-plugins busybox-static buildah docker-registry iptables nftables iproute2)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-packages: all present" >&2
  exit 0
fi
if ((EUID != 0)); then
  echo "install-packages: missing ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "install-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The package may start a system containerd; the node runs its own, with its
# own socket and state, and never uses the system one.
