#!/usr/bin/env bash
# Run python3 inside the trixie root (Debian's python3-nova 31.x, nova 2025.1), for the 2025.1 fixture
# generator and the conformance check.  The root is built by .ci/trixie-root.sh.
#
#   test/conformance/in-trixie.sh [--bind DIR]... [--] PYTHON_ARGS...
#
# The repository and every --bind DIR are visible inside at the same absolute path (so paths on the command line
# mean the same thing in and out), /tmp inside is a fresh tmpfs, /proc and /dev are the host's.  MariaDB is reached
# over TCP on 127.0.0.1 (the chroot shares the network namespace) or through a socket in a --bind directory.
# Every mount lives in a private mount namespace (unshare -m): it disappears when python exits, however it exits,
# and no other process (or concurrent run) ever sees it.  The only trace left in the root is an empty mount point
# directory for the repository's path when that path is outside /tmp.
#
# Exit status: python's, or 4 when the root is missing or this is not root (callers skip on 4).
set -euo pipefail

root="${NOVA_DOCTOR_TRIXIE_ROOT:-/var/cache/nova-doctor/trixie-root}"
repo=$(cd "$(dirname "$0")/../.." && pwd -P)
binds=("$repo")
while [ $# -gt 0 ]; do
  case "$1" in
    --bind)
      binds+=("$(cd "$2" && pwd -P)")
      shift 2
      ;;
    --)
      shift
      break
      ;;
    *) break ;;
  esac
done

if [ ! -f "$root/.nova-doctor-root" ]; then
  echo "in-trixie: no trixie root at $root (build it with .ci/trixie-root.sh, or set NOVA_DOCTOR_TRIXIE_ROOT)" >&2
  exit 4
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "in-trixie: chroot into $root needs root" >&2
  exit 4
fi

# Environment inside: a clean one, plus the few variables the generator and checker read.
envs=(PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root PYTHONDONTWRITEBYTECODE=1 "TZ=${TZ:-UTC}")
for v in PYTHONHASHSEED CHECK_NOVA_TRACEBACK; do
  if [ -n "${!v+x}" ]; then envs+=("$v=${!v}"); fi
done
cwd=/
for b in "${binds[@]}"; do
  case "$PWD/" in "$b"/*) cwd=$PWD ;; esac
done

exec unshare -m --propagation private /bin/bash -euc '
  root=$1 cwd=$2 nb=$3
  shift 3
  binds=("${@:1:$nb}")
  shift "$nb"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
  for b in "${binds[@]}"; do
    mkdir -p "$root$b"
    mount --bind "$b" "$root$b"
  done
  envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  exec chroot "$root" /usr/bin/env -i "${envs[@]}" /bin/sh -c "cd \"\$0\" && exec python3 \"\$@\"" "$cwd" "$@"
' in-trixie "$root" "$cwd" "${#binds[@]}" "${binds[@]}" "${envs[@]}" -- "$@"
