#!/usr/bin/env bash
# The Debian packages as a user meets them: scripts/package.sh builds them
# from BUILD_DIR, they are installed with apt into a fresh minimal Debian 12
# root (debootstrap, as a new machine starts), and there a consumer is built
# against libipc-dev with find_package and with pkg-config and run against
# the packaged `ipcctl listen --echo`; the Python package talks to the same
# server; ipc-monitor --cli starts and quits.
#
#   debian.sh BUILD_DIR        (root only: debootstrap, chroot, mount)
#
# The base system is made once and kept in LIBIPC_DEBIAN_BASE
# (/var/tmp/libipc-debian12 by default); each run works on a copy of it.
# Exits 77 (skipped) where it cannot run: not root, or no Debian archive.
set -euo pipefail
build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$source_dir/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "skipped: installing packages into a Debian root needs root"; exit 77; }
# shellcheck disable=SC1091
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ "$codename" = bookworm ] || { echo "skipped: the packages are for Debian 12, this is ${codename:-unknown}"; exit 77; }
# In a mount namespace of its own, the chroot's /proc and /dev go away with
# this script however it ends, a timeout's SIGKILL too. Inside a chroot
# (whose / is no mount point) there is none to be had: the EXIT trap below
# unmounts them, as it does here too.
if [ -z "${LIBIPC_MOUNT_NAMESPACE:-}" ] && unshare --mount --propagation private true 2> /dev/null; then
    exec env LIBIPC_MOUNT_NAMESPACE=1 unshare --mount --propagation private bash "$0" "$@"
fi

mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2> /dev/null || true)
# "deb [options] URL suite ...": the URL, after any options.
[ -n "$mirror" ] || mirror=$(sed -n '/^deb /{s/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p;q}' /etc/apt/sources.list 2> /dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
# Roots an earlier run left when it was killed (their mounts went with it).
find /var/tmp -maxdepth 1 -name 'libipc-packages.*' -mmin +120 -exec rm -rf --one-file-system {} + 2> /dev/null || true

bash "$repo/scripts/package.sh" "$build_dir"
packages=("$build_dir"/packages/*.deb)

base=${LIBIPC_DEBIAN_BASE:-/var/tmp/libipc-debian12}
if [ ! -x "$base/bin/bash" ]; then
    command -v debootstrap > /dev/null || { echo "debootstrap is missing (scripts/setup.sh installs it)" >&2; exit 1; }
    echo "== making a minimal Debian 12 in $base (once)"
    partial=$(mktemp -d "$base.partial.XXXXXX")
    chmod 755 "$partial"
    debootstrap --variant=minbase bookworm "$partial" "$mirror" > "$partial.log" 2>&1 \
        || { tail -20 "$partial.log" >&2; rm -rf "$partial" "$partial.log"; exit 1; }
    rm -f "$partial.log"
    mv -T "$partial" "$base" 2> /dev/null || rm -rf "$partial" # another run made it first
fi

root=$(mktemp -d /var/tmp/libipc-packages.XXXXXX)
chmod 755 "$root" # a system root: apt's _apt user must get in
cleanup() {
    umount -l "$root/dev" 2> /dev/null || true
    umount -l "$root/proc" 2> /dev/null || true
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT
cp -a "$base/." "$root/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mkdir -p "$root/tmp/debs" "$root/tmp/consumer"
cp "${packages[@]}" "$root/tmp/debs/"
cp "$source_dir"/{CMakeLists.txt,main.cpp,objects.cpp,greeter.rep} "$root/tmp/consumer/"
cp "$source_dir/debian_inside.sh" "$root/tmp/"

echo "== apt install ${packages[*]##*/}"
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive /bin/bash /tmp/debian_inside.sh
echo "debian packages installed into a fresh Debian 12; consumers built and ran against them"
