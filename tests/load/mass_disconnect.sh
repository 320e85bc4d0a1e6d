#!/usr/bin/env bash
# A server with COUNT clients that are killed at once: how soon it answers
# a newcomer, and how long the burst of connects took.
# Usage: tests/load/mass_disconnect.sh [ADDRESS] [COUNT]   (after a build)
#   ADDRESS: a local name or tcp://127.0.0.1:0 (default); COUNT: 10000.
# Needs a descriptor limit above COUNT (ulimit -n).
set -euo pipefail
cd "$(dirname "$0")/../.."
peer=build/tests/ipc_test_peer
address=${1:-tcp://127.0.0.1:0}
count=${2:-10000}
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
server_pid=
crowd_pid=
cleanup() {
    [ -n "$crowd_pid" ] && kill -9 "$crowd_pid" 2>/dev/null || true
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
seconds() { echo "$2 - $1" | bc; }

"$peer" server "$address" > "$work/server" 2>/dev/null &
server_pid=$!
until grep -q '^listening ' "$work/server"; do sleep 0.1; done
bound=$(sed -n 's/^listening //p' "$work/server")

start=$(now)
"$peer" crowd "$bound" "$count" > "$work/crowd" 2>/dev/null &
crowd_pid=$!
until grep -q '^ok\|^error' "$work/crowd"; do sleep 0.1; done
echo "burst: $(head -1 "$work/crowd") in $(seconds "$start" "$(now)") s;" \
     "server RSS $(ps -o rss= -p "$server_pid") KiB"

kill -9 "$crowd_pid"
killed=$(now)
crowd_pid=
for probe in 1 2 3; do
    before=$(now)
    result=$("$peer" client "$bound" 1 --timeout 600000 | cut -c1-4)
    after=$(now)
    echo "newcomer $probe: $result, $(seconds "$before" "$after") s" \
         "($(seconds "$killed" "$after") s after the kill)"
done
