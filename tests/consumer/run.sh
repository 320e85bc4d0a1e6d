#!/usr/bin/env bash
# Three ways a separate project uses libipc, each building tests/consumer/main.cpp
# and running it (an encrypted echo round trip); with CMake, also objects.cpp
# (a remote object generated from greeter.rep):
#   package       cmake --install into a scratch prefix, then find_package(libipc);
#                 the installed ipcctl and ipc-monitor run too
#   pkgconfig     the installed libipc.pc, with a plain compiler command
#   fetchcontent  FetchContent from this checkout's git URL, at its HEAD commit,
#                 as a static library (FetchContent_MakeAvailable() is
#                 add_subdirectory(): vendoring the source tree is the same path)
# (debian.sh installs the Debian packages into a fresh Debian 12 root instead.)
set -euo pipefail
mode=$1
build_dir=$2
source_dir=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
prefix="$scratch/prefix"
libdirs="$prefix/lib:$prefix/lib64:$prefix/lib/x86_64-linux-gnu"
case "$mode" in
package)
    cmake --install "$build_dir" --prefix "$prefix" > /dev/null
    cmake -S "$source_dir" -B "$scratch/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" > /dev/null
    cmake --build "$scratch/build" > /dev/null
    LD_LIBRARY_PATH="$libdirs" "$scratch/build/consumer"
    LD_LIBRARY_PATH="$libdirs" "$scratch/build/consumer_objects" # ipc-repc and its CMake function, installed
    # The installed tools run too: ipcctl end to end, ipc-monitor present.
    name="ipcctl-installed-$$"
    LD_LIBRARY_PATH="$libdirs" "$prefix/bin/ipcctl" listen "$name" --count 1 > "$scratch/listened" 2> /dev/null &
    listener=$!
    LD_LIBRARY_PATH="$libdirs" "$prefix/bin/ipcctl" send "$name" 5 "installed" --wait-for-server
    wait "$listener"
    grep -q "type=5 size=9 installed" "$scratch/listened"
    LD_LIBRARY_PATH="$libdirs" "$prefix/bin/ipc-monitor" --help > /dev/null
    ;;
pkgconfig)
    cmake --install "$build_dir" --prefix "$prefix" > /dev/null
    pc=$(dirname "$(find "$prefix" -name libipc.pc)")
    export PKG_CONFIG_PATH="$pc"
    # shellcheck disable=SC2046
    c++ -std=c++17 -fPIC "$source_dir/main.cpp" -o "$scratch/consumer" $(pkg-config --cflags --libs libipc)
    LD_LIBRARY_PATH="$libdirs" "$scratch/consumer"
    ;;
fetchcontent)
    repo=$(git -C "$source_dir" rev-parse --show-toplevel 2> /dev/null) || {
        echo "not a git checkout: nothing to fetch"
        exit 77
    }
    commit=$(git -C "$repo" rev-parse HEAD)
    # Unoptimised and without debug information: the quickest build that shows it works.
    cmake -S "$source_dir/fetchcontent" -B "$scratch/build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_CXX_FLAGS_DEBUG=-O0 -DLIBIPC_GIT_URL="file://$repo" -DLIBIPC_GIT_TAG="$commit" \
        -DLIBIPC_STATIC=ON > /dev/null
    cmake --build "$scratch/build" --parallel 2 --target consumer consumer_objects > /dev/null
    # ldd's output is taken whole first: grep -q leaving early would make
    # ldd die of SIGPIPE, which pipefail reports as a failure.
    libraries=$(ldd "$scratch/build/consumer")
    if grep -q libipc <<< "$libraries"; then
        echo "LIBIPC_STATIC=ON still linked libipc dynamically:" >&2
        echo "$libraries" >&2
        exit 1
    fi
    "$scratch/build/consumer"
    "$scratch/build/consumer_objects"
    ;;
*)
    echo "usage: run.sh package|pkgconfig|fetchcontent BUILD_DIR" >&2
    exit 2
    ;;
esac
echo "consumer ($mode) built against libipc and echoed a message"
