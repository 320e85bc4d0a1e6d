#!/usr/bin/env bash
# The Node.js package installs with npm as a user's project gets it (its
# packed tarball: exactly the files it ships) and works from there. Without
# a network, as on a machine cut off from the registry: its one dependency
# comes packed from node/node_modules, where npm ci put the pinned version
# (npm's cache holds that tarball but not the registry's index of cborg,
# which an offline install by version would need).
set -euo pipefail
node=$1
source_dir=$(cd "$(dirname "$0")/../node" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/app"
(cd "$source_dir" && npm pack --silent --pack-destination "$work" >/dev/null)
(cd "$source_dir/node_modules/cborg" && npm pack --silent --pack-destination "$work" >/dev/null)
cd "$work/app"
npm init -y >/dev/null
npm install --offline --no-audit --no-fund --loglevel=error "$work"/cborg-*.tgz "$work"/libipc-*.tgz
"$node" --input-type=module - <<'JS'
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
const where = path.dirname(createRequire(import.meta.url).resolve('libipc/package.json'));
if (!where.startsWith(process.cwd())) throw new Error(`libipc resolved outside the project: ${where}`);
const libipc = await import('libipc');
for (const name of ['connect', 'Client', 'Server', 'Replica', 'IpcError', 'parseAddress', 'cborPayload']) {
  if (!(name in libipc)) throw new Error(`libipc has no ${name}`);
}
if (!fs.existsSync(path.join(where, 'index.d.ts'))) throw new Error('no type declarations');
if (fs.existsSync(path.join(where, 'test'))) throw new Error('the tests were packed');
console.log('installed at', where);
JS
