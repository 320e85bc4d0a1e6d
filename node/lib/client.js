// A connection to a libipc Server over the native protocol.
import net from 'node:net';
import { parseAddress } from './address.js';
import { Channel } from './channel.js';
import { Connection } from './connection.js';
import { ConnectionLost, InvalidConfiguration, IpcError, ObjectNotFound, ServerNotFound, SocketError, Timeout } from './errors.js';
import { ObjectHost } from './source.js';
import * as wire from './wire.js';

/** Opens a socket to `where`; rejects with ServerNotFound, SocketError or Timeout. */
export function openSocket(where, timeout) {
  return new Promise((resolve, reject) => {
    const socket = where.path !== null ? net.createConnection({ path: where.path }) : net.createConnection({ host: where.host, port: where.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Timeout(`the connection to ${where} got no answer within ${timeout} ms`));
    }, timeout);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      const missing = error.code === 'ENOENT' || error.code === 'ECONNREFUSED';
      reject(new (missing ? ServerNotFound : SocketError)(`failed to connect to ${where}: ${error.message}`));
    });
  });
}

async function handshake(channel, where, timeout) {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(`the handshake with ${where} did not finish within ${timeout} ms`)), timeout);
  });
  try {
    await Promise.race([channel._awaitHandshake(String(where)), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A client: encrypted unless the server offers plain and
 * `encryptionRequired` is false; with `psk` (32 bytes), only to a server
 * with that key. When the connection breaks (no goodbye) it connects again
 * for up to `reconnectTimeout` ms and resumes: each message is delivered
 * exactly once, in order, both ways; across a server restart, what the old
 * server had not confirmed is sent again (at least once), and a request it
 * received but never answered fails with ConnectionLost. Events: 'message',
 * 'reconnecting' (error), 'reconnected', 'close' (error, or null when it
 * ended in order).
 */
export class Client extends Channel {
  static async connect(address, { psk = null, encryptionRequired = true, maxMessageSize = wire.DEFAULT_MAX_MESSAGE_SIZE,
    timeout = 10000, reconnectTimeout = 30000, heartbeatInterval = 0 } = {}) {
    const where = parseAddress(address);
    if (psk !== null && psk.length !== 32) throw new InvalidConfiguration(`a pre-shared key has 32 bytes, not ${psk.length}`);
    const options = { psk: psk && Buffer.from(psk), encryptionRequired, maxMessageSize };
    const socket = await openSocket(where, timeout);
    const client = new Client(new Connection(options), socket);
    client._options = options;
    client._address = where;
    client._reconnectTimeout = reconnectTimeout;
    client._heartbeatInterval = heartbeatInterval;
    client._reconnections = 0;
    try {
      await handshake(client, where, timeout);
    } catch (error) {
      client._detach();
      throw error;
    }
    client._started();
    return client;
  }

  /** How many times a broken connection was resumed. */
  get reconnections() {
    return this._reconnections;
  }

  /** Lets the server acquire `object` as `name` (see Server.expose). */
  expose(name, object, spec) {
    if (!this._objects.host) this._objects.host = new ObjectHost();
    this._objects.host.expose(name, object, spec);
  }

  /** Withdraws an object expose() offered: its replicas are told. */
  unexpose(name) {
    if (!this._objects.host) throw new ObjectNotFound(`no object is exposed as ${name}`);
    this._objects.host.unexpose(name);
  }

  _lost(error) {
    if (!this._reconnectTimeout || !this._connection.resumable || this._closed !== null) {
      this._finish(error);
      return;
    }
    this._reconnecting = true;
    this._detach();
    this._objects.suspect();
    this.emit('reconnecting', error);
    this._reconnect(error);
  }

  async _reconnect(error) {
    const deadline = Date.now() + this._reconnectTimeout;
    let delay = 20;
    let last = error;
    while (this._closed === null) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      let socket = null;
      try {
        socket = await openSocket(this._address, remaining);
      } catch (failure) {
        last = failure;
      }
      if (socket && this._closed === null) {
        const previous = [this._connection, this._socket];
        this._connection = new Connection({ ...this._options, delivery: this._connection.delivery });
        this._attach(socket);
        try {
          await handshake(this, this._address, Math.max(remaining, 100));
          this._resumed();
          return;
        } catch (failure) {
          this._detach();
          [this._connection, this._socket] = previous;
          last = failure instanceof IpcError ? failure : new ConnectionLost(String(failure));
        }
      } else if (socket) {
        socket.destroy();
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))));
      delay = Math.min(delay * 2, 500);
    }
    this._finish(new ConnectionLost(`the connection to ${this._address} broke (${error.message}) and was not resumed within ${this._reconnectTimeout} ms: ${last.message}`));
  }

  _resumed() {
    this._reconnecting = false;
    this._reconnections++;
    if (this._connection.peerRestarted) {
      // The old process got these requests and will never answer them; the
      // ones it had not confirmed were sent again.
      const confirmed = this._connection.delivery.confirmed;
      for (const [id, entry] of this._requests) {
        if (entry.number <= confirmed) {
          this._requests.delete(id);
          clearTimeout(entry.timer);
          entry.reject(new ConnectionLost('the server restarted before answering'));
        }
      }
      this._objects.restarted();
    } else {
      this._objects.resumed();
    }
    this._openRoom();
    this._lastHeard = Date.now();
    this.emit('reconnected');
  }

  async close() {
    this._reconnectTimeout = 0;
    await super.close();
  }
}

/** Connects to the libipc server at `address` (encrypted by default) and resolves to a Client. */
export function connect(address, options) {
  return Client.connect(address, options);
}
