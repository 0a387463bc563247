#!/usr/bin/env bash
# Build (once) a Debian trixie root with nova 2025.1 (python3-nova 31.x) and PyMySQL in it, for the
# 2025.1 fixture generator and the nova 31 conformance test. Bookworm ships nova 26 (Zed); trixie's nova
# runs here in a chroot. Idempotent: a root that is complete (marker file) is left as it is.
#
#   .ci/trixie-root.sh [DIR]     DIR defaults to $NOVA_DOCTOR_TRIXIE_ROOT or /var/cache/nova-doctor/trixie-root
#
# Needs root (debootstrap, chroot). The root is built in DIR.partial and renamed when complete, so an
# interrupted build never looks complete. Every mount made here lives in a private mount namespace
# (unshare -m): it is gone when the command ends, however it ends.
set -euo pipefail

dir="${1:-${NOVA_DOCTOR_TRIXIE_ROOT:-/var/cache/nova-doctor/trixie-root}}"
mirror="${NOVA_DOCTOR_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
marker="$dir/.nova-doctor-root"

if [ -f "$marker" ]; then
  echo "trixie-root: $dir is ready ($(cat "$marker"))"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "trixie-root: building $dir needs root (debootstrap, chroot)" >&2
  exit 2
fi
if ! command -v debootstrap >/dev/null 2>&1 && [ ! -x /usr/sbin/debootstrap ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi
export PATH="$PATH:/usr/sbin:/sbin"

partial="$dir.partial"
mkdir -p "$(dirname "$dir")"
# A half-built root from an interrupted run: start over (debootstrap cannot resume reliably).
rm -rf --one-file-system "$partial"
start=$(date +%s)
echo "trixie-root: debootstrap --variant=minbase trixie $partial"
debootstrap --variant=minbase trixie "$partial" "$mirror"

# No service may start inside the root while packages install.
printf '#!/bin/sh\nexit 101\n' >"$partial/usr/sbin/policy-rc.d"
chmod 755 "$partial/usr/sbin/policy-rc.d"

unshare -m --propagation private /bin/sh -eu -c '
  root="$1"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
    /bin/sh -eu -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-nova python3-pymysql >/dev/null && apt-get clean"
' sh "$partial"

mkdir -p "$partial/run/mysqld"
version=$(chroot "$partial" /usr/bin/python3 -c 'import nova.version as v; print(v.version_info.version_string())')
case "$version" in
  31.*) ;;
  *) echo "trixie-root: expected nova 31.x in trixie, found $version" >&2; exit 1 ;;
esac
echo "python3-nova $version" >"$partial/.nova-doctor-root"
rm -rf --one-file-system "$dir"
mv "$partial" "$dir"
echo "trixie-root: $dir ready with nova $version in $(( $(date +%s) - start ))s"
