#!/usr/bin/env bash
# The echo example end to end: an echo server and a client in two processes
# over an encrypted local socket.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
name="libipc-echo-$$"
build/examples/echo/echo_server "$name" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
build/examples/echo/echo_client "$name" "Hello, Server!"
