#!/usr/bin/env bash
# Installs the Debian 12 packages libipc needs, only those that are missing.
set -euo pipefail

# Lua runs the MinIPC interop tests and Python the golang-ipc v2 ones and
# the Python package's (venv and pip: its offline install test);
# ZeroMQ and Qt Remote Objects are what the benchmark compares against;
# clang and its runtime build the libFuzzer targets; Doxygen builds the API
# reference (the docs target); Xvfb lets a test take the monitor's display
# away; dpkg-dev and file let CPack work out the Debian packages'
# dependencies, and debootstrap makes the fresh Debian root they are
# installed into (tests/consumer/debian.sh); help2man writes the programs'
# manual pages; the mosquitto packages build
# examples/mqtt_bridge and give its test a broker; git lets the FetchContent
# test fetch from this checkout.
packages=(g++ cmake ninja-build pkg-config qt6-base-dev libssl-dev lua5.4 lua-socket
          python3 python3-cryptography python3-cbor2 python3-venv python3-pip libzmq3-dev cppzmq-dev qt6-remoteobjects-dev
          clang libclang-rt-14-dev doxygen xvfb dpkg-dev file debootstrap
          help2man libmosquitto-dev mosquitto mosquitto-clients git)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Node.js and npm run the Node.js package's tests (Debian's nodejs 18 or
# later; a machine that has them from elsewhere keeps its own). Its one
# dependency, pinned in node/package-lock.json, comes from the npm registry.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "== installing: nodejs npm"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends nodejs npm
fi
node_dir="$(dirname "$0")/../node"
if [ ! -d "$node_dir/node_modules/cborg" ] || [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
    echo "== npm ci (node/)"
    # Without the registry (a machine that reaches only Debian's archive)
    # the Node.js package's tests are left out, and scripts/test.sh says so.
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error) \
        || echo "== WARNING: npm ci failed (is the npm registry reachable?): the Node.js package's tests will be left out"
fi
