#!/usr/bin/env bash
# Installs what is missing, then configures and builds libipc into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The library directory is Debian's multiarch one (lib/x86_64-linux-gnu), as
# the packages built from this tree (scripts/package.sh) install it.
multiarch=$(gcc -print-multiarch 2> /dev/null || true)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIBIPC_WARNINGS_AS_ERRORS=ON \
    -DLIBIPC_BUILD_BENCH=ON ${multiarch:+-DCMAKE_INSTALL_LIBDIR=lib/$multiarch}
cmake --build build --parallel 2
