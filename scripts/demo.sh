#!/usr/bin/env bash
# The main job: builds libipc and starts ipc-monitor with demo servers and
# clients (local and TCP; Noise, Noise + pre-shared key, plain, golang-ipc v2)
# so their connections, message types, rates and encryption show at once.
# Without a display the monitor runs headless and says how to see the window.
# Extra arguments go to ipc-monitor (for example --cli). Ctrl-C ends it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec build/monitor/ipc-monitor --demo --address "ipc-monitor-demo-$$" "$@"
