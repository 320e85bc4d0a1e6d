#!/usr/bin/env bash
# The test suite again on the portable transport: QLocalSocket and QTcpSocket
# alone, as macOS and Windows run it (no UnixSocketStream, memory files,
# peer credentials or kernel liveness check; the tests that need those skip
# and say so). The same build as the main suite (./build, made if missing),
# with IPC_PORTABLE_TRANSPORT=1 in the environment of every test and of the
# processes they start.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || bash scripts/build.sh
cmake --build build --parallel 2
export QT_QPA_PLATFORM=offscreen IPC_PORTABLE_TRANSPORT=1
# The consumer and package-install tests build or install from source, and
# the monitor sits on the library's public API, which the tests here cover:
# nothing of the transport to learn there.
ctest --test-dir build --output-on-failure --parallel 2 --timeout 600 -E "consumer_|_install$|tst_monitor"
