#!/usr/bin/env bash
# The tests that use threads, under ThreadSanitizer, in ./build-tsan. Qt is
# not built with TSan, so reports whose stacks hold only Qt's code are noise;
# the run fails when any report names libipc's code.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# tst_threads hands objects between threads only in ways TSan can see; tests
# that use moveToThread() would report Qt's hidden synchronisation.
tests=(tst_threads)
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLIBIPC_BUILD_EXAMPLES=OFF \
    -DLIBIPC_WARNINGS_AS_ERRORS=ON -DLIBIPC_SANITIZE=thread > /dev/null
cmake --build build-tsan --parallel 2 --target "${tests[@]}" ipc_test_peer
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
status=0
for test in "${tests[@]}"; do
    # Qt's own unsynchronised-looking internals would stop the run; report and go on.
    if ! QT_QPA_PLATFORM=offscreen TSAN_OPTIONS="halt_on_error=0 exitcode=0 log_path=$logs/$test" \
        "build-tsan/tests/$test" > "$logs/$test.out" 2>&1; then
        echo "== $test failed under ThreadSanitizer"; cat "$logs/$test.out"; status=1
    fi
done
total=0
ours=0
for report in "$logs"/*.[0-9]*; do
    [ -e "$report" ] || continue
    # One file per process; reports are separated by "=================="
    while IFS= read -r -d $'\x1e' block; do
        grep -q "WARNING: ThreadSanitizer" <<<"$block" || continue
        total=$((total + 1))
        if grep -Eq "ipc::|/libipc/" <<<"$block"; then
            ours=$((ours + 1))
            echo "$block"
        fi
    done < <(sed 's/^==================$/\x1e/' "$report"; printf '\x1e')
done
echo "ThreadSanitizer: $ours report(s) in libipc's code, $((total - ours)) in Qt's alone (${tests[*]})"
[ "$ours" -eq 0 ] || status=1
exit $status
