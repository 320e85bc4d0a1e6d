// Compiled (not run) by test/types.test.js: the declarations in index.d.ts
// describe the API as a TypeScript program uses it.
import { EventEmitter, once } from 'node:events';
import {
  Client, ConnectionLost, IpcError, Message, Peer, RemoteError, Replica, Server, connect, cborPayload, decodeCbor,
} from 'libipc';

async function client(): Promise<void> {
  const client: Client = await connect('echo', { psk: Buffer.alloc(32), reconnectTimeout: 5000, heartbeatInterval: 1000 });
  await client.write(1, 'hello');
  const reply: Message = await client.request(2, Buffer.from('2+3'), { timeout: 5000 });
  const type: number = reply.type;
  const data: Buffer = reply.data;
  for await (const message of client) console.log(message.type, message.data.length, type, data);
  client.on('reconnecting', (error: IpcError) => console.log(error.code));
  client.on('close', (error) => console.log(error?.message));
  const payload: Buffer = cborPayload({ op: 'mul', a: 1.5 });
  const value: unknown = decodeCbor(payload, 'a payload');
  try {
    await client.request(99, 'x');
  } catch (error) {
    if (error instanceof RemoteError) console.log(error.remoteCode, value);
    else if (error instanceof ConnectionLost) console.log(error.errno);
  }
  const thermostat: Replica = await client.acquire('thermostat');
  const described = await thermostat.call('describe');
  await thermostat.set('target', 22.5);
  thermostat.on('stateChanged', (state: string) => console.log(state, described));
  const [temperature] = await once(thermostat, 'temperatureChanged');
  console.log(temperature, thermostat.get('target'), thermostat.values, thermostat.interface.className);
  await client.close();
}

async function server(): Promise<void> {
  const server = new Server('tcp://127.0.0.1:0', { encryption: true, resumeTimeout: 1000 });
  class Lamp extends EventEmitter {
    on_ = true;
    toggle(): boolean {
      this.on_ = !this.on_;
      return this.on_;
    }
  }
  server.expose('lamp', new Lamp(), { properties: { on_: 'bool' }, methods: { toggle: { returns: 'bool' } } });
  server.on('connection', async (peer: Peer) => {
    for await (const message of peer) {
      if (message.isRequest) await peer.reply(message, message.type, message.data);
    }
  });
  await server.listen();
  console.log(server.address, server.peers.size, server.resumptions);
  await server.close();
}

void client;
void server;
