#!/usr/bin/env bash
# The tests that use threads, under ThreadSanitizer, in ./build-tsan. Qt is
# not built with TSan, so reports whose stacks hold only Qt's code are noise;
# the run fails when any report names libipc's code.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# These hand objects between threads only in ways TSan can see; a test that
# uses moveToThread() would report Qt's hidden synchronisation.
tests=(tst_threads)
functions=(clientWritesFromFourThreads serverWritesFromOtherThreads foreignWritesAreBounded)
# A unity build of the library, as in scripts/sanitize.sh.
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DCMAKE_UNITY_BUILD=ON -DLIBIPC_BUILD_EXAMPLES=OFF \
    -DLIBIPC_WARNINGS_AS_ERRORS=ON -DLIBIPC_SANITIZE=thread > /dev/null
cmake --build build-tsan --parallel 2 --target "${tests[@]}" ipc_test_peer
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
status=0
for test in "${tests[@]}"; do
    # Qt's own unsynchronised-looking internals would stop the run; report and go on.
    if ! QT_QPA_PLATFORM=offscreen TSAN_OPTIONS="halt_on_error=0 exitcode=0 log_path=$logs/$test" \
        "build-tsan/tests/$test" "${functions[@]}" > "$logs/$test.out" 2>&1; then
        echo "== $test failed under ThreadSanitizer"; cat "$logs/$test.out"; status=1
    fi
done
# Which reports are libipc's: see tsan_reports.py.
shopt -s nullglob
logfiles=("$logs"/*.[0-9]*)
if [ ${#logfiles[@]} -gt 0 ]; then
    python3 scripts/tsan_reports.py "${logfiles[@]}" || status=1
else
    echo "ThreadSanitizer: no reports (${tests[*]})"
fi
exit $status
