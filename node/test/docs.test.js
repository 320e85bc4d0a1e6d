// The JavaScript in the package's README and the Node.js guide: every block
// parses as a module, and every name it imports from 'libipc' exists (the
// blocks need running servers, so they are not run here; examples.test.js
// runs the example scripts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as libipc from '../index.js';

const ROOT = new URL('../../', import.meta.url);
const DOCUMENTS = ['node/README.md', 'docs/guides/node.md'];

test('the JavaScript blocks parse and import what exists', async () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'nodedocs-'));
  let found = 0;
  try {
    for (const document of DOCUMENTS) {
      const text = fs.readFileSync(new URL(document, ROOT), 'utf8');
      for (const match of text.matchAll(/```js\n([\s\S]*?)```/g)) {
        const line = text.slice(0, match.index).split('\n').length + 1;
        const where = `${document}:${line}`;
        found++;
        const file = path.join(directory, `block${found}.mjs`);
        fs.writeFileSync(file, match[1]);
        const result = await promisify(execFile)(process.execPath, ['--check', file]).catch((error) => error);
        assert.equal(result.code ?? 0, 0, `${where}: ${result.stderr}`);
        for (const [, names] of match[1].matchAll(/import \{([^}]*)\} from 'libipc'/g)) {
          for (const name of names.split(',').map((n) => n.trim()).filter(Boolean)) {
            assert.ok(name in libipc, `${where} imports ${name}, which the package does not have`);
          }
        }
      }
    }
  } finally {
    fs.rmSync(directory, { recursive: true });
  }
  assert.ok(found >= 6, `only ${found} blocks`);
});
