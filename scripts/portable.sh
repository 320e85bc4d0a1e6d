#!/usr/bin/env bash
# The test suite again on the portable transport, in ./build-portable:
# QLocalSocket and QTcpSocket alone, as macOS and Windows run it (no
# UnixSocketStream, memory files, peer credentials or kernel liveness check;
# the tests that need those skip and say so).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Unoptimised and without debug information: it compiles in half the time,
# and what runs here is the transport's logic, not its speed. The monitor is
# left out: it sits on the library's public API, which the tests here cover.
cmake -S . -B build-portable -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0 \
    -DLIBIPC_WARNINGS_AS_ERRORS=ON -DLIBIPC_PORTABLE_TRANSPORT=ON -DLIBIPC_BUILD_EXAMPLES=OFF \
    -DLIBIPC_BUILD_MONITOR=OFF -DLIBIPC_BUILD_DOCS=OFF
cmake --build build-portable --parallel 2
export QT_QPA_PLATFORM=offscreen
# The consumer and package-install tests build or install from source:
# nothing of the transport to learn there.
ctest --test-dir build-portable --output-on-failure --parallel 2 --timeout 600 -E "consumer_|_install$"
