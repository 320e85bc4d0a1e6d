// A server: listens, and hands each client, once its handshake is done, to
// its 'connection' listeners as a Peer.
import crypto from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import { Address, parseAddress } from './address.js';
import { Channel } from './channel.js';
import { Connection } from './connection.js';
import { AddressInUse, ConnectionLost, InvalidConfiguration, IpcError, PermissionDenied, SocketError, Timeout } from './errors.js';
import { ObjectHost } from './source.js';
import * as wire from './wire.js';

/**
 * A client of a Server, as the server sees it. A client that acknowledges
 * (every libipc client) and whose connection breaks may come back within
 * the server's resumeTimeout and resume: the same Peer goes on, each
 * message exactly once, in order; 'close' comes only when it does not.
 */
export class Peer extends Channel {
  _endsQuietly = true;

  /** The client's instance (its stream id): the same across its reconnects. */
  get instance() {
    return this.peer.instance;
  }

  _lost(error) {
    const timeout = this._server._resumeTimeout;
    if (!timeout || this._server._closing || !this._connection.resumable || this._closed !== null || this._reconnecting) {
      this._finish(error);
      return;
    }
    this._reconnecting = true;
    this._detach();
    this._objects.suspect();
    this._resumeTimer = setTimeout(() => this._finish(new ConnectionLost(`${error.message}; the client did not come back within ${timeout} ms`)), timeout);
  }

  /** The same client connected again: this connection is replaced. */
  _cut() {
    if (!this._reconnecting) this._lost(new ConnectionLost('the client connected again'));
  }

  /** A new connection from the same client continues this one (its handshake is still under way). */
  _adopt(connection) {
    this._cut();
    this._claimant = connection;
    this._connection = connection; // what it delivers and acknowledges from now on goes there
  }

  _takeOver(socket) {
    clearTimeout(this._resumeTimer);
    this._attach(socket);
    this._flush(); // what was written while the handshake ended
    this._claimant = null;
    this._reconnecting = false;
    this._objects.resumed();
    this._openRoom();
    this._lastHeard = Date.now();
  }

  _finish(error) {
    clearTimeout(this._resumeTimer);
    if (this._connection.peer && this._server._byInstance.get(this.instance) === this) this._server._byInstance.delete(this.instance);
    this._server.peers.delete(this);
    super._finish(error);
  }
}

/**
 * Listens at `address`; emits 'connection' (peer) for each client whose
 * handshake is done, 'clientError' (error) for one dropped (its handshake
 * or its bytes were wrong; the others go on). Encrypted unless `encryption`
 * is false; with `psk` (32 bytes) only clients with that key get in. With
 * `heartbeatInterval` (ms) a silent client is pinged, and one silent for
 * twice that long is taken as gone.
 */
export class Server extends EventEmitter {
  constructor(address, { psk = null, encryption = true, maxMessageSize = wire.DEFAULT_MAX_MESSAGE_SIZE,
    handshakeTimeout = 10000, heartbeatInterval = 0, resumeTimeout = 30000 } = {}) {
    super();
    if (psk !== null && psk.length !== 32) throw new InvalidConfiguration('a pre-shared key has 32 bytes');
    this._where = parseAddress(address);
    this._psk = psk && Buffer.from(psk);
    this._encryption = encryption || psk !== null;
    this._maxMessageSize = maxMessageSize;
    this._handshakeTimeout = handshakeTimeout;
    this._heartbeatInterval = heartbeatInterval;
    this._resumeTimeout = resumeTimeout;
    this._instance = crypto.randomBytes(8).readBigUInt64BE(0) || 1n; // this process, as clients see it
    this._byInstance = new Map(); // clients that may resume, by their instance
    this._host = new ObjectHost();
    this._server = null;
    this._sockets = new Set();
    this.peers = new Set();
    this.resumptions = 0; // connections that continued a client's earlier one
    this._closing = false;
  }

  /** Where it listens (a TCP address with the port it was given). */
  get address() {
    if (this._server && this._where.path === null) {
      const { address, port } = this._server.address();
      return String(new Address({ host: address, port }));
    }
    return String(this._where);
  }

  /** Lets every client acquire `object` (an EventEmitter) as `name`; `spec` lists its members (see the README). */
  expose(name, object, spec) {
    this._host.expose(name, object, spec);
  }

  /** Withdraws the object: its replicas are told. */
  unexpose(name) {
    this._host.unexpose(name);
  }

  /** Listens; rejects with AddressInUse when a live server holds the address. */
  async listen() {
    if (this._where.path !== null) await removeStaleSocket(this._where.path);
    const server = net.createServer((socket) => this._accept(socket));
    try {
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        if (this._where.path !== null) server.listen({ path: this._where.path, readableAll: false, writableAll: false }, resolve);
        else server.listen({ host: this._where.host, port: this._where.port }, resolve);
      });
    } catch (error) {
      if (error.code === 'EADDRINUSE') throw new AddressInUse(`${this._where} is in use by another server`);
      if (error.code === 'EACCES' || error.code === 'EPERM') throw new PermissionDenied(`cannot listen at ${this._where}: ${error.message}`);
      throw new SocketError(`cannot listen at ${this._where}: ${error.message}`);
    }
    server.on('error', (error) => this._dropped(new SocketError(`the listener failed: ${error.message}`)));
    this._server = server;
    return this;
  }

  _dropped(error) {
    if (this.listenerCount('clientError')) this.emit('clientError', error);
    else process.emitWarning(`a client was dropped: ${error.name}: ${error.message}`, 'LibipcWarning');
  }

  async _accept(socket) {
    if (this._closing) {
      socket.destroy();
      return;
    }
    this._sockets.add(socket);
    socket.once('close', () => this._sockets.delete(socket));
    let connection = null;
    const adopt = (hello) => {
      // The same client instance again: its connection broke (or is about to
      // be found broken); this one continues its streams.
      const earlier = this._byInstance.get(hello.instance);
      if (!earlier || earlier._closed !== null) return null;
      const delivery = earlier._connection.delivery;
      earlier._adopt(connection);
      peer._redirect = earlier; // the events of this feed already go to it
      return delivery;
    };
    connection = new Connection({
      psk: this._psk, maxMessageSize: this._maxMessageSize, server: true, encryption: this._encryption,
      instance: this._instance, adopt: this._resumeTimeout ? adopt : null,
    });
    let peer = null;
    peer = new Peer(connection, socket, this._host);
    peer._server = this;
    peer._heartbeatInterval = this._heartbeatInterval;
    let timer;
    try {
      await Promise.race([
        peer._awaitHandshake('the client'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Timeout(`a client completed no handshake within ${this._handshakeTimeout} ms`)), this._handshakeTimeout);
        }),
      ]);
    } catch (error) {
      peer._detach();
      this._dropped(error instanceof IpcError ? error : new ConnectionLost(String(error)));
      return;
    } finally {
      clearTimeout(timer);
    }
    if (connection.resumed) {
      const earlier = peer._redirect;
      if (earlier._claimant !== connection || earlier._closed !== null) {
        peer._detach(); // given up meanwhile, or another connection claimed it
        return;
      }
      earlier._takeOver(peer._release());
      this.resumptions++;
      return;
    }
    if (this._closing) {
      peer._detach(); // the server closed while this handshake ended
      return;
    }
    if (connection.resumable) this._byInstance.set(connection.peer.instance, peer);
    this.peers.add(peer);
    peer._started();
    this.emit('connection', peer);
  }

  /** Stops listening, says goodbye to every client, removes its socket file. */
  async close() {
    this._closing = true;
    if (this._server) {
      const closed = new Promise((resolve) => this._server.close(resolve));
      await Promise.all([...new Set([...this.peers, ...this._byInstance.values()])].map((peer) => peer.close()));
      for (const socket of this._sockets) socket.destroy();
      await closed;
      this._server = null;
    }
    if (this._where.path !== null) fs.rmSync(this._where.path, { force: true });
  }

  async [Symbol.asyncDispose]() {
    await this.close();
  }
}

// A socket file nobody listens on is left over from a process that died:
// it goes. One a server answers on is in use.
async function removeStaleSocket(path) {
  if (!fs.existsSync(path)) return;
  const probe = net.createConnection({ path });
  try {
    await once(probe, 'connect');
  } catch (error) {
    if (error.code === 'ECONNREFUSED') fs.rmSync(path, { force: true });
    return;
  } finally {
    probe.destroy();
  }
  throw new AddressInUse(`${path} is in use by another server`);
}
