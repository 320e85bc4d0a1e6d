// What a review found and reproduced, kept as tests: answers a caller
// cannot take, a server that forgot its client, a chunk with a good message
// before a bad frame, a client that dies under a server's for-await, and a
// 64-bit property value.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { ConnectionLost, InvalidArgument, Server, connect } from '../index.js';
import { until, uniqueAddress } from './helpers.js';

async function listening(options) {
  const server = new Server(`/tmp/${uniqueAddress()}.sock`, { encryption: false, ...options });
  const peers = [];
  server.on('connection', (peer) => peers.push(peer));
  await server.listen();
  return { server, peers };
}

describe('found in review', () => {
  test('an answer over the caller\'s maximum is refused for that call only', async () => {
    const { server } = await listening();
    class Blob extends EventEmitter {
      text = 'x'.repeat(5000);
      big() { return 'y'.repeat(5000); }
      small() { return 'ok'; }
    }
    server.expose('blob', new Blob(), { properties: { text: 'QString' }, methods: { big: { returns: 'QString' }, small: { returns: 'QString' } } });
    const small = await connect(server.address, { encryptionRequired: false, maxMessageSize: 1024 });
    await assert.rejects(small.acquire('blob'), (e) => e instanceof InvalidArgument && /over the caller's maximum of 1024/.test(e.message));
    const roomy = await connect(server.address, { encryptionRequired: false });
    const blob = await roomy.acquire('blob');
    assert.equal(await blob.call('small'), 'ok'); // the server went on
    await Promise.all([small.close(), roomy.close()]);
    await server.close();
  });

  test('a server that forgot its client: what the new one takes is confirmed', async () => {
    const { server, peers } = await listening({ resumeTimeout: 0 });
    const client = await connect(server.address, { encryptionRequired: false });
    for (let i = 1; i <= 10; i++) await client.write(1, `m${i}`);
    await until(() => peers.length === 1, 'the first peer');
    for (let i = 0; i < 4; i++) await peers[0].receive();
    await until(() => client.unconfirmed().length === 6, 'four confirmed');
    const reconnected = once(client, 'reconnected');
    peers[0]._socket.destroy(); // no goodbye; the server keeps nothing of the client
    await reconnected;
    await until(() => peers.length === 2, 'a new peer');
    const got = [];
    for (let i = 0; i < 6; i++) got.push((await peers[1].receive()).data.toString());
    assert.deepEqual(got, ['m5', 'm6', 'm7', 'm8', 'm9', 'm10']);
    await until(() => client.unconfirmed().length === 0, 'the new server confirms all six');
    await client.close();
    await server.close();
  });

  test('a good message before a bad frame in one chunk arrives', async () => {
    const { server, peers } = await listening();
    const client = await connect(server.address, { encryptionRequired: false });
    await until(() => peers.length === 1, 'the peer');
    const reconnecting = once(client, 'reconnecting');
    const socket = peers[0]._socket;
    socket.cork();
    await peers[0].write(1, 'A');
    socket.write(Buffer.from([0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff])); // a body of type -1
    socket.uncork();
    const [error] = await reconnecting;
    assert.match(error.message, /a message of type -1/);
    assert.equal((await client.receive()).data.toString(), 'A');
    await client.close();
    await server.close();
  });

  test("a client's death ends a server's for-await quietly; 'close' says why", async () => {
    const server = new Server(`/tmp/${uniqueAddress()}.sock`, { encryption: false, resumeTimeout: 0 });
    const ended = new Promise((resolve) => server.on('connection', async (peer) => {
      const closed = once(peer, 'close');
      for await (const message of peer) void message; // the README's loop, with no try/catch
      resolve((await closed)[0]);
    }));
    await server.listen();
    const client = await connect(server.address, { encryptionRequired: false, reconnectTimeout: 0 });
    await until(() => server.peers.size === 1, 'the peer');
    client._socket.destroy(); // the client dies: no goodbye
    const reason = await ended;
    assert.ok(reason instanceof ConnectionLost);
    await client.close();
    await server.close();
  });

  test('a 64-bit property value', async () => {
    const { server } = await listening();
    class Counter extends EventEmitter { total = 2n ** 60n; }
    const counter = new Counter();
    server.expose('counter', counter, { properties: { total: 'qint64' } });
    const client = await connect(server.address, { encryptionRequired: false });
    const replica = await client.acquire('counter');
    assert.equal(replica.get('total'), 2n ** 60n);
    const changed = once(replica, 'totalChanged');
    counter.total = 2n ** 60n + 1n;
    assert.deepEqual(await changed, [2n ** 60n + 1n]);
    replica._onMissed(0, [2n ** 60n + 2n]); // what a source's "missed" brings: compared without JSON's BigInt failure
    assert.equal(replica.get('total'), 2n ** 60n + 2n);
    await client.close();
    await server.close();
  });
});
