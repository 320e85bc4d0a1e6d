// examples/node's scripts do what their comments say, with the C++ library
// on the other side.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child, DAEMON, PANEL, PEER, echoServer, removeSocketFiles, run, uniqueAddress } from './helpers.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/node/', import.meta.url));

describe('examples/node', () => {
  test('echo_client.mjs', { skip: !PEER && 'IPC_TEST_PEER (CTest sets it)' }, async () => {
    const server = await echoServer();
    try {
      const [code, out, err] = await run(process.execPath, [path.join(EXAMPLES, 'echo_client.mjs'), server.name, 'from the example']);
      assert.equal(code, 0, err);
      assert.equal(out.trim(), 'Client received: from the example (over Noise_NN_25519_AESGCM_SHA256)');
    } finally {
      await server.stop();
    }
  });

  test('thermostat_watch.mjs drives the C++ daemon', { skip: !DAEMON && 'IPC_THERMOSTAT_DAEMON (CTest sets it)' }, async () => {
    const name = uniqueAddress();
    const daemon = new Child(DAEMON, ['--address', name, '--start', '18'], { stream: 'stderr' });
    try {
      assert.match(await daemon.line(), /exposed at/);
      const [code, out, err] = await run(process.execPath, [path.join(EXAMPLES, 'thermostat_watch.mjs'), name, '19', '40']);
      assert.equal(code, 0, err);
      const lines = out.trim().split('\n');
      assert.match(lines[0], /^Thermostat: \{"temperature":18(\.\d+)?,"target":21,/);
      assert.match(lines[1], /target 21\.0 °C/);
      assert.ok(lines.includes('targetChanged(19)'), out);
      assert.match(lines[lines.length - 1], /^temperatureChanged\((18\.8|18\.9|19|19\.1|19\.2)\d*\)$/);
    } finally {
      await daemon.stop();
      removeSocketFiles(name);
    }
  });

  test('split/main.mjs: a renderer that holds no socket drives the daemon', { skip: !DAEMON && 'IPC_THERMOSTAT_DAEMON (CTest sets it)' }, async () => {
    const name = uniqueAddress();
    const daemon = new Child(DAEMON, ['--address', name, '--start', '18'], { stream: 'stderr' });
    try {
      assert.match(await daemon.line(), /exposed at/);
      const [code, out, err] = await run(process.execPath, [path.join(EXAMPLES, 'split', 'main.mjs'), name]);
      assert.equal(code, 0, err);
      const lines = out.trim().split('\n');
      assert.match(lines[0], /^renderer: snapshot \{"temperature":18(\.\d+)?,"target":21,/);
      // The daemon's first tick (heatingChanged) may come before the answer.
      assert.ok(lines.some((line) => /^renderer: 18\.\d °C, target 21\.0 °C/.test(line)), out);
      assert.ok(lines.includes('renderer: targetChanged(25)'), out);
      assert.match(lines[lines.length - 1], /^renderer: temperatureChanged\(\d+(\.\d+)?\)$/);
    } finally {
      await daemon.stop();
      removeSocketFiles(name);
    }
  });

  test('thermostat.mjs under the Qt panel', { skip: !PANEL && 'IPC_THERMOSTAT_PANEL (CTest sets it)' }, async () => {
    const name = uniqueAddress();
    const source = new Child(process.execPath, [path.join(EXAMPLES, 'thermostat.mjs'), name]);
    assert.equal(await source.line(), `thermostat exposed at /tmp/${name}.sock`);
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'nodepanel-'));
    try {
      const picture = path.join(directory, 'panel.png');
      const [code, , err] = await run(PANEL, ['--address', name, '--screenshot', picture], { QT_QPA_PLATFORM: 'offscreen' });
      assert.equal(code, 0, err); // its typed replica accepted the interface
      assert.ok(fs.statSync(picture).size > 1000);
      source.process.kill('SIGTERM');
      const [exitCode] = await source.exited;
      assert.equal(exitCode, 0);
      assert.equal(fs.existsSync(`/tmp/${name}.sock`), false);
    } finally {
      fs.rmSync(directory, { recursive: true });
      await source.stop();
    }
  });
});
