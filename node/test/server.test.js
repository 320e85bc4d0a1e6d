// The Node.js server against the real C++ library: ipc_test_peer's client
// modes (path in IPC_TEST_PEER; skipped without it) connect to a Server in
// this process.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { AddressInUse, ConnectionLost, Server, connect } from '../index.js';
import { CuttingProxy, KEY, PEER, run, uniqueAddress, until } from './helpers.js';

const skip = !PEER && 'IPC_TEST_PEER names ipc_test_peer (CTest sets it)';

/** Answers as ipc_test_peer's own server does. */
async function echo(peer) {
  for await (const message of peer) {
    if (!message.isRequest) await peer.write(message.type, message.data);
    else if (message.type === 99) await peer.replyError(message, 42, `refused: ${message.data}`);
    else if (message.type !== 98) await peer.reply(message, message.type, message.data);
  }
}

async function withServer(options, body) {
  const server = new Server(`/tmp/${uniqueAddress()}.sock`, options);
  server.on('connection', (peer) => echo(peer).catch(() => {}));
  const dropped = [];
  server.on('clientError', (error) => dropped.push(error));
  await server.listen();
  try {
    await body(server, dropped);
  } finally {
    await server.close();
  }
}

/** Runs ipc_test_peer to its end; its last output line, split. */
async function peer(...args) {
  const [code, out] = await run(PEER, args);
  const lines = out.trim().split('\n');
  return (lines[lines.length - 1] || `nothing printed (exit ${code})`).split(' ');
}

describe('C++ clients and a Node.js server', { skip }, () => {
  test('10,000 echoes, encrypted', () => withServer({}, async (server) => {
    assert.deepEqual(await peer('client', server.address, '10000'), ['ok', '10000', 'Noise_NN_25519_AESGCM_SHA256']);
  }));

  test('a pre-shared key, right and wrong', () => withServer({ psk: KEY }, async (server) => {
    assert.deepEqual(await peer('client', server.address, '100', '--psk', KEY.toString('hex')), ['ok', '100', 'Noise_NNpsk0_25519_AESGCM_SHA256']);
    assert.equal((await peer('client', server.address, '1', '--psk', '00'.repeat(32), '--timeout', '1500'))[0], 'error');
    assert.equal((await peer('client', server.address, '1', '--psk', KEY.toString('hex')))[0], 'ok'); // it goes on
  }));

  test('plain', () => withServer({ encryption: false }, async (server) => {
    assert.deepEqual(await peer('client', server.address, '100', '--plain'), ['ok', '100', 'none']);
  }));

  test('a megabyte, and the limit', () => withServer({ maxMessageSize: 2 * 1024 * 1024 }, async (server) => {
    assert.equal((await peer('client', server.address, '3', '--payload', String(1024 * 1024)))[0], 'ok');
    assert.deepEqual(await peer('limits', server.address, String(2 * 1024 * 1024)), ['ok', 'limits']);
  }));

  test('requests: a reply, an error reply, a timeout', () => withServer({}, async (server) => {
    assert.deepEqual(await peer('requests', server.address), ['ok', 'requests']);
  }));

  test('hostile bytes drop only their connection', () => withServer({ handshakeTimeout: 1000 }, async (server, dropped) => {
    const hostile = [];
    for (const garbage of [[0x00], [0x07], [0x00, ...Array(64).fill(0xff)], [0x00, 0xff, 0xff, 0xff, 0xff]]) {
      const attacker = net.createConnection({ path: server.address });
      attacker.on('error', () => {});
      await once(attacker, 'data'); // the preamble
      attacker.write(Buffer.from(garbage));
      hostile.push(once(attacker, 'close'));
    }
    assert.deepEqual(await peer('client', server.address, '500'), ['ok', '500', 'Noise_NN_25519_AESGCM_SHA256']);
    await Promise.all(hostile); // the server ends each hostile connection
    const reasons = dropped.map((error) => `${error.name}: ${error.message}`).join('\n');
    assert.match(reasons, /refused the preamble \(reply 7\)/);
    assert.match(reasons, /a frame of 4294967295 bytes; the limit is 1024/);
    assert.match(reasons, /no handshake within 1000 ms/);
  }));

  test('an address in use', () => withServer({}, async (server) => {
    await assert.rejects(new Server(server.address).listen(), (error) => error instanceof AddressInUse && /in use by another server/.test(error.message));
    assert.equal((await peer('client', server.address, '1'))[0], 'ok'); // the first server goes on
  }));

  test('a socket file left by a killed server is taken over', async () => {
    const { echoServer } = await import('./helpers.js');
    const killed = await echoServer();
    await killed.child.stop(); // SIGKILL: its socket file stays, and nobody answers on it
    const path = `/tmp/${killed.name}.sock`;
    assert.ok(fs.existsSync(path));
    const server = new Server(path);
    server.on('connection', (client) => echo(client).catch(() => {}));
    try {
      await server.listen();
      assert.equal((await peer('client', path, '1'))[0], 'ok');
    } finally {
      await server.close();
      await killed.stop();
    }
  });
});

describe('a Node.js server keeps a client\'s place', { skip }, () => {
  async function throughProxy(cutAfter, body) {
    const server = new Server(`/tmp/${uniqueAddress()}.sock`);
    let handlers = 0;
    server.on('connection', (peer) => {
      handlers++;
      echo(peer).catch(() => {});
    });
    await server.listen();
    const proxy = new CuttingProxy(server.address, cutAfter);
    await proxy.start();
    try {
      await body(proxy);
      assert.deepEqual([server.resumptions, handlers], [3, 1]);
    } finally {
      await proxy.stop();
      await server.close();
    }
  }

  test('a C++ client, exactly once across three cuts', () => throughProxy([50000, 200000, 350000], async (proxy) => {
    // It writes 3000 messages, then checks that the echoes are exactly those, in order.
    assert.deepEqual((await peer('client', proxy.path, '3000', '--payload', '100', '--timeout', '30000')).slice(0, 2), ['ok', '3000']);
  }));

  test('a Node.js client, exactly once across three cuts', () => throughProxy([2000, 10000, 25000], async (proxy) => {
    const client = await connect(proxy.path);
    const count = 3000;
    const inFlight = 200;
    for (let i = 0; i < inFlight; i++) await client.write(1, `${i}`);
    const echoes = [];
    while (echoes.length < count) {
      echoes.push((await client.receive()).data.toString());
      if (echoes.length + inFlight <= count) await client.write(1, `${echoes.length + inFlight - 1}`);
    }
    assert.deepEqual(echoes, Array.from({ length: count }, (_, i) => `${i}`));
    await client.close();
  }));

  test('a handler writing through cuts loses nothing', async () => {
    const server = new Server(`/tmp/${uniqueAddress()}.sock`, { encryption: false });
    server.on('connection', async (peer) => {
      try {
        for (let i = 0; ; i++) {
          await peer.write(1, `${i}`);
          await new Promise(setImmediate);
        }
      } catch {
        // closed
      }
    });
    await server.listen();
    try {
      const client = await connect(server.address, { encryptionRequired: false });
      const got = [];
      for (let cut = 0; cut < 5; cut++) {
        for (let i = 0; i < 300; i++) got.push(Number((await client.receive()).data));
        client._socket.destroy(); // the connection breaks, no goodbye
      }
      for (let i = 0; i < 300; i++) got.push(Number((await client.receive()).data));
      assert.deepEqual(got, Array.from({ length: 1800 }, (_, i) => i));
      assert.equal(server.resumptions, 5);
      await client.close();
    } finally {
      await server.close();
    }
  });
});

describe('closing', () => {
  test('a program that closes its client during a reconnect can end', async () => {
    const fixture = new URL('../fixtures/close_during_reconnect.mjs', import.meta.url).pathname;
    const [code, out, err] = await run(process.execPath, [fixture, `/tmp/${uniqueAddress()}.sock`]);
    assert.equal(code, 0, err);
    assert.equal(out.trim(), 'closed');
  });
});

describe('heartbeats', { skip }, () => {
  test('a quiet live server stays', async () => {
    const { echoServer } = await import('./helpers.js');
    const server = await echoServer();
    try {
      const client = await connect(server.name, { heartbeatInterval: 50 });
      await until(() => client._connection.pongs >= 5, 'five pongs'); // nothing written: only pings keep it alive
      assert.ok(client.isConnected);
      await client.write(1, 'still here');
      assert.equal((await client.receive()).data.toString(), 'still here');
      await client.close();
    } finally {
      await server.stop();
    }
  });

  test('a stopped server is found dead', async () => {
    const { echoServer } = await import('./helpers.js');
    const server = await echoServer();
    try {
      const client = await connect(server.name, { heartbeatInterval: 200, reconnectTimeout: 0 });
      server.child.process.kill('SIGSTOP');
      await assert.rejects(client.receive(), (error) => error instanceof ConnectionLost && /no sign of life/.test(error.message));
      assert.equal(client.isConnected, false);
      await client.close();
    } finally {
      server.child.process.kill('SIGCONT');
      await server.stop();
    }
  });

  test('a Node.js server drops a stopped client', async () => {
    const server = new Server(`/tmp/${uniqueAddress()}.sock`, { heartbeatInterval: 200, resumeTimeout: 200 });
    const ended = new Promise((resolve) => server.on('connection', (client) => client.on('close', resolve)));
    await server.listen();
    const { Child } = await import('./helpers.js');
    const client = new Child(PEER, ['idle-client', server.address]);
    try {
      assert.equal(await client.line(), 'connected');
      client.process.kill('SIGSTOP');
      const error = await ended;
      assert.ok(error instanceof ConnectionLost);
      assert.match(error.message, /no sign of life.*did not come back within 200 ms/);
    } finally {
      client.process.kill('SIGCONT');
      await client.stop();
      await server.close();
    }
    assert.equal(fs.existsSync(server.address), false); // the server removed its socket file
  });
});
