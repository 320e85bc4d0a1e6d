#!/usr/bin/env bash
# The Python package installs with pip from the source tree without a
# network (into a fresh virtual environment that sees Debian's
# python3-cryptography and python3-cbor2), and works from there.
set -euo pipefail
python=$1
source_dir=$(cd "$(dirname "$0")/../python" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$source_dir" "$work/python" # the build leaves its files in a copy
"$python" -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install --quiet --no-index --no-build-isolation "$work/python"
cd "$work" # away from the sources: the installed package is the one imported
"$work/venv/bin/python" - <<'PY'
import libipc, os
assert "site-packages" in libipc.__file__, libipc.__file__
assert os.path.exists(os.path.join(os.path.dirname(libipc.__file__), "py.typed"))
print("installed", libipc.__version__, "at", os.path.dirname(libipc.__file__))
PY
