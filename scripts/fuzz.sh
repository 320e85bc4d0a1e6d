#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, ASan and UBSan in
# ./build-fuzz, and runs each for SECONDS (default 30) from its seed corpus
# in fuzz/corpus/TARGET (what a run finds new goes to build-fuzz/corpus).
# A crash stops the script with the target's report and the input saved.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
bash scripts/setup.sh
# A unity build of the library, as in scripts/sanitize.sh.
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_UNITY_BUILD=ON \
    -DCMAKE_CXX_COMPILER=clang++ -DLIBIPC_FUZZ=ON -DLIBIPC_SANITIZE=address,undefined \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined" \
    -DLIBIPC_BUILD_TESTS=OFF -DLIBIPC_BUILD_EXAMPLES=OFF -DLIBIPC_BUILD_MONITOR=OFF \
    -DLIBIPC_BUILD_TOOLS=OFF -DLIBIPC_INSTALL=OFF > /dev/null
cmake --build build-fuzz --parallel 2 --target fuzz_adapters fuzz_frame_reader fuzz_address fuzz_telemetry fuzz_objects fuzz_sealed_batches
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
for target in fuzz_adapters fuzz_frame_reader fuzz_address fuzz_telemetry fuzz_objects fuzz_sealed_batches; do
    mkdir -p "build-fuzz/corpus/$target"
    echo "== $target, ${seconds} s"
    build-fuzz/fuzz/$target -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="build-fuzz/$target-" "build-fuzz/corpus/$target" "fuzz/corpus/$target" 2>&1 \
        | grep -E "^stat::number_of_executed_units|^stat::peak_rss|cov: |ERROR|SUMMARY|Test unit written" | tail -4
done
