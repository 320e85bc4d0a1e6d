#!/usr/bin/env bash
# Builds the Debian packages libipc0, libipc-dev, ipcctl, ipc-monitor and
# python3-libipc with CPack into BUILD_DIR/packages, from the build in
# BUILD_DIR (./build by default; scripts/build.sh makes it when missing),
# then runs lintian on them when it is installed. The one warning it gives,
# maintscript-calls-ldconfig (libipc0), is CPack's: its postinst and postrm
# call ldconfig, beside the dpkg trigger the package also has.
#
#   bash scripts/package.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
if [ ! -f "$build_dir/CPackConfig.cmake" ]; then
    [ "$build_dir" = build ] || { echo "$build_dir is not a configured libipc build" >&2; exit 2; }
    bash scripts/build.sh
fi
cmake --build "$build_dir" --parallel 2 --target ipc ipc-repc ipcctl ipc-monitor > /dev/null
out="$build_dir/packages"
rm -rf "$out"
cpack --config "$build_dir/CPackConfig.cmake" -B "$out" > "$out.log" 2>&1 || { cat "$out.log" >&2; exit 1; }
rm -rf "$out/_CPack_Packages"
ls -1 "$out"/*.deb
if command -v lintian > /dev/null; then
    lintian "$out"/*.deb 2>&1 | grep -v "running with root privileges" || true
fi
