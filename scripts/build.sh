#!/usr/bin/env bash
# Installs what is missing, then configures and builds libipc into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIBIPC_WARNINGS_AS_ERRORS=ON \
    -DLIBIPC_BUILD_BENCH=ON
cmake --build build --parallel 2
