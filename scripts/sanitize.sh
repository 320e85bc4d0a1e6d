#!/usr/bin/env bash
# The test suite again under AddressSanitizer, UndefinedBehaviorSanitizer and
# LeakSanitizer, in ./build-sanitize (examples and benchmark left out).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Line tables are all a report's stack needs (-g1): a third less to compile
# than -g. The library, monitor and tools compile as unity builds (a file
# per eight sources; tests stay a file each): a quarter less time. The main
# build compiles each file alone, which is where a missing include shows.
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DCMAKE_UNITY_BUILD=ON \
    -DLIBIPC_BUILD_EXAMPLES=OFF -DLIBIPC_WARNINGS_AS_ERRORS=ON \
    -DLIBIPC_SANITIZE=address,undefined -DCMAKE_CXX_FLAGS="-fno-sanitize-recover=undefined"
cmake --build build-sanitize --parallel 2
export QT_QPA_PLATFORM=offscreen ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
# The soak and load tests at a tenth of their size: the sanitizers look for
# the first wrong access, not the ten-thousandth.
export IPC_TEST_CYCLES=1000 IPC_LOAD_MESSAGES=100
# The consumer and package-install tests install and build separately: nothing to sanitize there.
ctest --test-dir build-sanitize --output-on-failure --parallel 2 --timeout 600 -E "consumer_|_install$"
