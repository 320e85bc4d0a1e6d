// The Node.js client against the real C++ library: ipc_test_peer's echo
// server (path in IPC_TEST_PEER; skipped without it), encrypted, with a
// pre-shared key, and plain.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  connect, ConnectionLost, EncryptionRequired, InvalidConfiguration, HandshakeFailed, MessageTooLarge, PreSharedKeyMismatch,
  RemoteError, ServerNotFound, Timeout,
} from '../index.js';
import { CuttingProxy, Child, KEY, PEER, echoServer, removeSocketFiles, uniqueAddress, until } from './helpers.js';

const skip = !PEER && 'IPC_TEST_PEER names ipc_test_peer (CTest sets it)';

async function withServer(options, body) {
  const server = await echoServer(...options);
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

describe('a Node.js client and a C++ server', { skip }, () => {
  test('echo, encrypted by default', () => withServer([], async (server) => {
    const client = await connect(server.name);
    assert.equal(client.encryption, 'Noise_NN_25519_AESGCM_SHA256');
    assert.equal(client.handshakeHash.length, 32);
    await client.write(5, 'hello from node');
    const echo = await client.receive({ timeout: 30000 });
    assert.deepEqual([echo.type, echo.data.toString()], [5, 'hello from node']);
    await client.close();
  }));

  test('a pre-shared key', () => withServer(['--psk', KEY.toString('hex')], async (server) => {
    const client = await connect(server.name, { psk: KEY });
    assert.equal(client.encryption, 'Noise_NNpsk0_25519_AESGCM_SHA256');
    await client.write(1, 'with a key');
    assert.equal((await client.receive()).data.toString(), 'with a key');
    await client.close();
  }));

  test('a wrong or missing key is refused, and the server goes on', () => withServer(['--psk', KEY.toString('hex')], async (server) => {
    await assert.rejects(connect(server.name, { psk: Buffer.alloc(32) }), HandshakeFailed);
    await assert.rejects(connect(server.name), (error) => error instanceof PreSharedKeyMismatch && /pre-shared key/.test(error.message));
    const client = await connect(server.name, { psk: KEY });
    await client.write(1, 'still here');
    assert.equal((await client.receive()).data.toString(), 'still here');
    await client.close();
  }));

  test('plain only when allowed', () => withServer(['--plain'], async (server) => {
    await assert.rejects(connect(server.name), (error) => error instanceof EncryptionRequired && error.code === 'EncryptionRequired');
    const client = await connect(server.name, { encryptionRequired: false });
    assert.equal(client.encryption, 'none');
    await client.write(2, 'plain');
    assert.equal((await client.receive()).data.toString(), 'plain');
    await client.close();
  }));

  test('10,000 messages in order', () => withServer([], async (server) => {
    const client = await connect(server.name);
    for (let i = 0; i < 10000; i++) await client.write(1 + (i % 7), `message ${i}`);
    const got = [];
    for await (const message of client) {
      got.push(message.data.toString());
      if (got.length === 10000) break;
    }
    assert.deepEqual(got, Array.from({ length: 10000 }, (_, i) => `message ${i}`));
    await client.close();
  }));

  test('a megabyte, and a message over the limit', () => withServer(['--max-size', String(2 * 1024 * 1024)], async (server) => {
    const client = await connect(server.name);
    const big = crypto.randomBytes(1024 * 1024);
    await client.write(3, big);
    assert.ok((await client.receive()).data.equals(big));
    await assert.rejects(client.write(3, Buffer.alloc(2 * 1024 * 1024 + 1)), (error) => error instanceof MessageTooLarge && /maximum of 2097152/.test(error.message));
    await client.write(3, 'after the refusal'); // only that write was refused
    assert.equal((await client.receive()).data.toString(), 'after the refusal');
    await client.close();
  }));

  test('requests: a reply, an error reply, a timeout', () => withServer([], async (server) => {
    const client = await connect(server.name);
    const reply = await client.request(7, '2+3');
    assert.deepEqual([reply.type, reply.data.toString()], [7, '2+3']);
    await assert.rejects(client.request(99, 'this'), (error) => error instanceof RemoteError && error.remoteCode === 42 && error.message === 'refused: this');
    await assert.rejects(client.request(98, 'never answered', { timeout: 300 }), Timeout);
    assert.equal((await client.request(7, 'after')).data.toString(), 'after');
    await client.close();
  }));

  test('acknowledged messages leave the window', () => withServer([], async (server) => {
    const client = await connect(server.name);
    for (let i = 0; i < 100; i++) await client.write(1, `${i}`);
    for (let i = 0; i < 100; i++) await client.receive();
    // The echoes came back, so the server delivered every message; its acks empty the window.
    await until(() => client.unconfirmed().length === 0, 'the window empties');
    await client.close();
  }));

  test('the server gone', () => withServer([], async (server) => {
    const client = await connect(server.name, { reconnectTimeout: 500 });
    await client.write(1, 'x');
    await client.receive();
    await server.stop();
    await assert.rejects(client.receive(), (error) => error instanceof ConnectionLost && /was not resumed within 500 ms/.test(error.message));
    await client.close();
  }));

  test('no server', async () => {
    await assert.rejects(connect(uniqueAddress()), ServerNotFound);
  });

  test('a key of the wrong length is refused before connecting', async () => {
    // No server either: the key is looked at first, and no socket is opened for it.
    await assert.rejects(connect(uniqueAddress(), { psk: Buffer.alloc(16) }), (e) => e instanceof InvalidConfiguration && /32 bytes, not 16/.test(e.message));
  });
});

describe('resumption', { skip }, () => {
  test('exactly once across three cuts', () => withServer([], async (server) => {
    const proxy = new CuttingProxy(`/tmp/${server.name}.sock`);
    await proxy.start();
    try {
      const client = await connect(proxy.path);
      const count = 3000;
      const inFlight = 200; // so that each cut breaks a connection with traffic both ways
      const echoes = [];
      for (let i = 0; i < inFlight; i++) await client.write(1, `${i}`);
      while (echoes.length < count) {
        echoes.push((await client.receive()).data.toString());
        if (echoes.length + inFlight <= count) await client.write(1, `${echoes.length + inFlight - 1}`);
        if ([500, 1500, 2500].includes(echoes.length)) proxy.cut();
      }
      assert.deepEqual(echoes, Array.from({ length: count }, (_, i) => `${i}`));
      await until(() => client.reconnections === 3, 'three resumptions');
      await client.close();
    } finally {
      await proxy.stop();
    }
  }));

  test('at least once across a server restart', async () => {
    const name = uniqueAddress();
    const sink = async () => {
      const child = new Child(PEER, ['sink', name]);
      assert.ok((await child.line()).startsWith('listening'));
      return child;
    };
    const count = 2000;
    const first = await sink();
    let second = null;
    try {
      const client = await connect(name);
      for (let i = 0; i < count / 2; i++) await client.write(1, `${i}`);
      // The first process delivers some of them, then dies unannounced.
      for (let i = 0; i < 100; i++) await first.line();
      await first.stop();
      const firstLines = first.lines.slice(1); // after its "listening" line
      removeSocketFiles(name);
      second = await sink();
      for (let i = count / 2; i < count; i++) await client.write(1, `${i}`);
      const seen = new Set(firstLines);
      while (seen.size < count || ![...Array(count).keys()].every((i) => seen.has(`${i}`))) seen.add(await second.line());
      const received = [...firstLines, ...second.lines.slice(1)].map(Number);
      assert.deepEqual(new Set(received), new Set([...Array(count).keys()])); // none lost
      // A duplicate is one the first process delivered but had not confirmed.
      const firstProcess = new Set(firstLines.map(Number));
      const duplicates = received.filter((n, i) => received.indexOf(n) !== i);
      assert.ok(duplicates.every((n) => firstProcess.has(n)), `duplicates ${duplicates} beyond what the first process delivered`);
      await client.close();
    } finally {
      await first.stop();
      await second?.stop();
      removeSocketFiles(name);
    }
  });
});
