// Remote objects: a Node.js replica of the C++ thermostat daemon
// (examples/remote_objects), and a Node.js object that Qt replicas use: the
// thermostat panel (a typed ThermostatReplica) and ipcctl (a
// DynamicReplica). Paths in IPC_THERMOSTAT_DAEMON, IPC_THERMOSTAT_PANEL and
// IPCCTL (CTest sets them); the Node-only tests need none.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  InvalidArgument, InvalidConfiguration, Interface, NotConnected, ObjectNotFound, RemoteError, Server, connect,
} from '../index.js';
import { Thermostat, thermostatSpec } from '../../examples/node/thermostat.mjs';
import { Child, DAEMON, IPCCTL, PANEL, removeSocketFiles, run, uniqueAddress, until } from './helpers.js';

class Counter extends EventEmitter {
  count = 0;
  label = '';

  step(by) {
    this.count += by;
    this.emit('stepped', by);
    return this.count;
  }

  async shout(text) {
    await new Promise(setImmediate);
    return text.toUpperCase();
  }

  fail() {
    throw new RangeError('it went wrong');
  }
}

const counterSpec = {
  properties: { count: { type: 'int', readonly: true }, label: 'QString' },
  signals: { stepped: [['int', 'by']] },
  methods: { step: { parameters: [['int', 'by']], returns: 'int' }, shout: { parameters: ['QString'], returns: 'QString' }, fail: {} },
};

async function counterServer(body) {
  const counter = new Counter();
  const server = new Server(`/tmp/${uniqueAddress()}.sock`);
  server.expose('counter', counter, counterSpec);
  await server.listen();
  const client = await connect(server.address);
  try {
    await body({ counter, server, client });
  } finally {
    await client.close();
    await server.close();
  }
}

describe('Node.js on both sides', () => {
  test('the interface from a spec', () => {
    const iface = Interface.fromSpec(counterSpec, 'Counter').toCbor();
    assert.equal(iface.class, 'Counter');
    assert.deepEqual(iface.signals.map((s) => s.name), ['stepped', 'countChanged', 'labelChanged']);
    assert.deepEqual(iface.methods[0], { name: 'step', parameters: [{ type: 'int', name: 'by' }], returns: 'int' });
    assert.deepEqual(iface.properties, [
      { name: 'count', type: 'int', writable: false, notify: 1 },
      { name: 'label', type: 'QString', writable: true, notify: 2 },
    ]);
    // What cannot be exposed is refused at once, saying why.
    const server = new Server(`/tmp/${uniqueAddress()}.sock`);
    assert.throws(() => server.expose('x', {}, counterSpec), (e) => e instanceof InvalidConfiguration && /not an EventEmitter/.test(e.message));
    assert.throws(() => server.expose('x', new EventEmitter(), { methods: { gone: {} } }), (e) => e instanceof InvalidConfiguration && /no method gone/.test(e.message));
  });

  test('calls, properties, signals and errors', () => counterServer(async ({ counter, server, client }) => {
    assert.deepEqual([...(await client.objects()).keys()], ['counter']);
    const replica = await client.acquire('counter');
    assert.deepEqual(replica.values, { count: 0, label: '' });
    const heard = [];
    replica.on('countChanged', (value) => heard.push(['countChanged', value, replica.get('count')]));
    replica.on('stepped', (by) => heard.push(['stepped', by]));
    assert.equal(await replica.call('step', 2), 2);
    // The property's new value is in before its change signal fires, and signals keep their order.
    assert.deepEqual(heard, [['countChanged', 2, 2], ['stepped', 2]]);
    assert.equal(await replica.call('shout', 'hi'), 'HI'); // an async method
    await replica.set('label', 'kitchen');
    assert.deepEqual([counter.label, replica.get('label')], ['kitchen', 'kitchen']);

    const refusals = [
      [() => replica.call('fail'), RemoteError, 'counter.fail() raised RangeError: it went wrong'],
      [() => replica.call('step', 'x'), InvalidArgument, "argument by takes int; got string 'x'"],
      [() => replica.call('nope'), ObjectNotFound, 'Counter has no method nope (it has step(int)'],
      [() => replica.set('count', 3), InvalidArgument, 'counter.count is read-only'],
      // The source refuses it too, when a replica skips the check.
      [() => client._objects.call(5, [replica.handle, 0, 3], 5000), InvalidArgument, 'counter.count is read-only'],
      [() => client.acquire('none'), ObjectNotFound, 'no object is exposed as none (exposed: counter)'],
    ];
    for (const [call, kind, says] of refusals) {
      await assert.rejects(call(), (error) => error instanceof kind && error.message.includes(says), says);
    }
    assert.equal(counter.count, 2); // nothing refused changed it

    // Withdrawn: the replica is gone and says why.
    const gone = once(replica, 'stateChanged');
    server.unexpose('counter');
    assert.deepEqual(await gone, ['gone']);
    assert.match(replica.error.message, /counter was withdrawn/);
    await assert.rejects(replica.call('step', 1), NotConnected);
  }));

  test('a released replica hears nothing more', () => counterServer(async ({ counter, server, client }) => {
    const kept = await client.acquire('counter');
    const dropped = await client.acquire('counter');
    const heard = [];
    dropped.on('stepped', (by) => heard.push(by));
    await dropped.release();
    assert.equal(dropped.state, 'released');
    const stepped = once(kept, 'stepped');
    counter.step(5);
    assert.deepEqual(await stepped, [5]);
    assert.deepEqual(heard, []);
    await kept.release();
    await client.objects(); // a round trip: the releases before it were read
    assert.equal(server._host._byName.get('counter').acquirers.size, 0);
  }));
});

describe('a replica of the C++ thermostat', { skip: !DAEMON && 'IPC_THERMOSTAT_DAEMON names the daemon (CTest sets it)' }, () => {
  async function startDaemon(name, start = '18') {
    const daemon = new Child(DAEMON, ['--address', name, '--start', start], { stream: 'stderr' });
    assert.match(await daemon.line(), /exposed at/);
    return daemon;
  }

  test('calls, properties and signals', async () => {
    const name = uniqueAddress();
    const daemon = await startDaemon(name);
    try {
      const client = await connect(name);
      assert.ok((await client.objects()).has('thermostat'));
      const thermostat = await client.acquire('thermostat');
      assert.equal(thermostat.interface.className, 'Thermostat');
      assert.deepEqual(Object.keys(thermostat.values).sort(), ['heating', 'target', 'temperature']);
      assert.equal(thermostat.get('target'), 21);
      assert.match(await thermostat.call('describe'), /target 21\.0 °C/);
      const changed = once(thermostat, 'targetChanged');
      await thermostat.set('target', 25);
      assert.deepEqual(await changed, [25]);
      assert.equal(thermostat.get('target'), 25);
      const [temperature] = await once(thermostat, 'temperatureChanged'); // it heats
      assert.ok(thermostat.get('temperature') >= temperature);
      assert.equal(await thermostat.call('boost', 1), null);
      await assert.rejects(thermostat.call('boost', 'ten'), (e) => e instanceof InvalidArgument && /boost/.test(e.message));
      await assert.rejects(thermostat.set('temperature', 3), InvalidArgument); // read-only
      await client.close();
    } finally {
      await daemon.stop();
      removeSocketFiles(name);
    }
  });

  test('a source restart: acquired again', async () => {
    const name = uniqueAddress();
    let daemon = await startDaemon(name, '18');
    try {
      const client = await connect(name, { reconnectTimeout: 60000 });
      const thermostat = await client.acquire('thermostat');
      const oldHandle = thermostat.handle;
      const states = [];
      thermostat.on('stateChanged', (state) => states.push(state));
      const resynchronized = once(thermostat, 'resynchronized');
      await daemon.stop();
      removeSocketFiles(name);
      await until(() => states.includes('suspect'), 'the replica is suspect');
      daemon = await startDaemon(name, '10');
      assert.deepEqual(await resynchronized, [0]);
      assert.deepEqual(states, ['suspect', 'valid']);
      assert.notEqual(thermostat.handle, oldHandle);
      assert.ok(thermostat.get('temperature') < 12); // the new process's values
      assert.match(await thermostat.call('describe'), /target 21\.0/);
      await client.close();
    } finally {
      await daemon.stop();
      removeSocketFiles(name);
    }
  });
});

describe('Qt replicas of a Node.js object', { skip: !(PANEL && IPCCTL) && 'IPC_THERMOSTAT_PANEL and IPCCTL name the Qt replicas (CTest sets them)' }, () => {
  test('the typed panel and a dynamic ipcctl', async () => {
    const thermostat = new Thermostat();
    const server = new Server(`/tmp/${uniqueAddress()}.sock`);
    server.expose('thermostat', thermostat, thermostatSpec);
    await server.listen();
    const address = server.address;
    const offscreen = { QT_QPA_PLATFORM: 'offscreen' };
    try {
      // The panel's generated ThermostatReplica checks every member's
      // signature; it saves its window only once the replica is valid.
      const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'nodepanel-'));
      const picture = path.join(directory, 'panel.png');
      const [code, , err] = await run(PANEL, ['--address', address, '--screenshot', picture], offscreen);
      assert.equal(code, 0, err);
      assert.ok(fs.statSync(picture).size > 1000);
      fs.rmSync(directory, { recursive: true });

      let [c, out, e] = await run(IPCCTL, ['call', address, 'thermostat.describe']);
      assert.deepEqual([c, out.trim()], [0, '18.0 °C, target 21.0 °C, idle (in Node.js)'], e);
      [c, out, e] = await run(IPCCTL, ['set', address, 'thermostat.target', '23.5']);
      assert.equal(c, 0, e);
      assert.equal(thermostat.target, 23.5);
      [c, out, e] = await run(IPCCTL, ['get', address, 'thermostat.target']);
      assert.deepEqual([c, out.trim()], [0, '23.5'], e);
      [c, out, e] = await run(IPCCTL, ['call', address, 'thermostat.boost', 'ten']);
      assert.notEqual(c, 0);
      assert.match(e, /thermostat\.boost\(int\)'s argument minutes takes int; got string 'ten'/);

      // A Qt replica watching a signal the Node.js object emits.
      const watcher = run(IPCCTL, ['watch', '--count', '1', address, 'thermostat.alarm']);
      await until(() => server._host._byName.get('thermostat').acquirers.size > 0, "ipcctl's replica is there");
      thermostat.emit('alarm', 'too warm: 29.0 °C');
      [c, out, e] = await watcher;
      assert.equal(c, 0, e);
      assert.match(out, /too warm: 29\.0 °C/);
    } finally {
      await server.close();
    }
  });
});
