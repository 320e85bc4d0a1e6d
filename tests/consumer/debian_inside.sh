#!/usr/bin/env bash
# Runs inside the fresh Debian 12 root that debian.sh made: installs the
# packages in /tmp/debs with apt, as a user would, and uses them.
set -euo pipefail
cd /tmp
apt-get update -q > /dev/null
apt-get install -y -q --no-install-recommends ./debs/*.deb g++ cmake make pkg-config > apt.log 2>&1 \
    || { tail -30 apt.log; exit 1; }
dpkg-query -W -f='${Package} ${Version}\n' libipc0 libipc-dev ipcctl ipc-monitor python3-libipc

name="echo-$$"
ipcctl listen "$name" --echo > listen.out 2>&1 &
listener=$!
trap 'kill "$listener" 2> /dev/null || true' EXIT
for _ in $(seq 600); do
    grep -q "listening on" listen.out && break
    sleep 0.1
done
grep -q "listening on" listen.out || { cat listen.out; exit 1; }

echo "== find_package(libipc): a consumer built and run against ipcctl listen --echo"
cmake -S consumer -B consumer-cmake > /dev/null
cmake --build consumer-cmake > /dev/null
consumer-cmake/consumer "$name"
consumer-cmake/consumer_objects # ipc-repc and its CMake function, packaged

echo "== pkg-config libipc: the same consumer with a plain compiler command"
# shellcheck disable=SC2046
c++ -std=c++17 -fPIC consumer/main.cpp -o consumer-pkgconfig $(pkg-config --cflags --libs libipc)
./consumer-pkgconfig "$name"

echo "== python3-libipc: the packaged Python package echoes through the same server"
python3 - "$name" << 'PY'
import sys
from libipc.blocking import connect
with connect(sys.argv[1]) as client:
    client.write(9, b"from python")
    message = client.receive(timeout=10)
    assert (message.type, message.data) == (9, b"from python"), message
    assert client.encryption != "none", client.encryption
PY
test -n "$(find /usr/lib/python3/dist-packages/libipc -name '*.pyc' -print -quit)" # py3compile ran

echo "== ipc-monitor --cli starts, collects and quits; its desktop entry and icon are there"
ipc-monitor --cli --quit-after 500 > monitor.out 2>&1 || { cat monitor.out; exit 1; }
test -f /usr/share/applications/ipc-monitor.desktop
test -f /usr/share/icons/hicolor/scalable/apps/ipc-monitor.svg
ipcctl --version | grep -q "^ipcctl "
man -w ipcctl > /dev/null 2>&1 || test -f /usr/share/man/man1/ipcctl.1.gz

# Both C++ consumers' round trips went through the packaged ipcctl.
[ "$(grep -c 'type=7 size=9 installed' listen.out)" = 2 ] || { cat listen.out; exit 1; }
