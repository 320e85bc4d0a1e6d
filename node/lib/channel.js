// One established connection to a peer, either side: write, receive,
// request and answer. Client connects one; a Server hands one (a Peer) to
// its 'connection' listeners per client.
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as wire from './wire.js';
import { Message } from './connection.js';
import { ConnectionLost, HandshakeFailed, IpcError, NotConnected, RemoteError, Timeout } from './errors.js';
import { ObjectLink } from './object_link.js';

const ACK_DELAY_MS = 2;
const SEND_BUFFER_LIMIT = 16 * 1024 * 1024; // bytes queued for a peer that confirms nothing
// Messages held for the application: above this, the socket is not read
// (a peer that ignores its window cannot make this side buffer without end).
const QUEUE_MESSAGES_LIMIT = 4096;
const QUEUE_BYTES_LIMIT = 64 * 1024 * 1024;

export class Channel extends EventEmitter {
  constructor(connection, socket, host = null) {
    super();
    this._connection = connection;
    this._socket = null;
    this._queue = []; // messages not yet taken by receive() or a 'message' listener
    this._queueBytes = 0;
    this._earlierStream = 0; // queued messages (at the queue's head) from a peer stream that ended
    this._readingPaused = false;
    this._takers = []; // receive() calls waiting: { resolve, reject, timer }
    this._requests = new Map(); // id -> { resolve, reject, timer, number }
    this._nextRequestId = BigInt(crypto.randomBytes(4).readUInt32BE(0)) + 1n; // ids are BigInts, as a peer's may be
    this._roomWaiters = [];
    this._closed = null; // the error that ended it
    this._orderly = false; // ended by a goodbye or by close()
    this._reconnecting = false;
    this._ackTimer = null;
    this._heartbeatInterval = 0;
    this._heartbeat = null;
    this._lastHeard = 0;
    this._handshake = null; // { resolve, reject } until the handshake ends
    this._redirect = null; // the channel this connection's events go to (a server's resumed peer)
    this._objects = new ObjectLink(this, host);
    this.on('newListener', (name) => {
      if (name === 'message') setImmediate(() => this._drainToListeners());
    });
    if (socket) this._attach(socket);
  }

  // --- what the connection says
  /** The Noise protocol name, or "none". */
  get encryption() {
    return this._connection.encryption;
  }

  get handshakeHash() {
    return this._connection.handshakeHash;
  }

  /** The peer's hello: its process id and name, library, maximum message size. */
  get peer() {
    return this._connection.peer;
  }

  get isConnected() {
    return this._closed === null && !this._reconnecting;
  }

  /** Messages written that the peer has not confirmed, oldest first: after close() or a lost connection, what may not have arrived. */
  unconfirmed() {
    return this._connection.delivery.pendingMessages().map((sent) => new Message(sent.type, sent.data));
  }

  // --- the socket
  _attach(socket) {
    this._socket = socket;
    this._socketError = null;
    this._socketListeners = {
      data: (chunk) => this._onData(chunk),
      error: (error) => { this._socketError = error; },
      close: () => this._onSocketClosed(socket),
      drain: () => {
        this._openRoom();
        this._objects.windowOpened();
      },
    };
    for (const [name, listener] of Object.entries(this._socketListeners)) socket.on(name, listener);
    if (socket.setNoDelay) socket.setNoDelay(true);
  }

  /** Lets go of the socket (to another channel, or to be destroyed); others' listeners stay. */
  _release() {
    const socket = this._socket;
    if (socket) {
      for (const [name, listener] of Object.entries(this._socketListeners)) socket.off(name, listener);
      socket.on('error', () => {}); // the new owner says what it means
    }
    this._socket = null;
    return socket;
  }

  _detach() {
    this._release()?.destroy();
  }

  /** Resolves once the connection is established; rejects with why not. */
  _awaitHandshake(where) {
    this._where = where;
    return new Promise((resolve, reject) => {
      this._handshake = { resolve, reject };
      this._flush(); // a server's preamble
    });
  }

  _endHandshake(error) {
    const handshake = this._handshake;
    this._handshake = null;
    if (error) handshake.reject(error);
    else handshake.resolve();
  }

  /** No room for more to the peer: its window of unconfirmed messages, or (a peer that confirms nothing) the socket's buffer. */
  get _full() {
    return this._connection.windowFull || (this._socket?.writableLength ?? 0) >= SEND_BUFFER_LIMIT;
  }

  _onData(chunk) {
    this._lastHeard = Date.now();
    let events;
    const target = this._redirect ?? this;
    try {
      events = this._connection.feed(chunk);
    } catch (error) {
      // What the chunk held before the bad part was accepted: it is handed on.
      for (const event of error.events ?? []) target._dispatch(event);
      this._flush();
      this._broken(error instanceof IpcError ? error : new ConnectionLost(String(error)));
      return;
    }
    this._flush();
    for (const event of events) target._dispatch(event);
    target._pauseReadingIfFull();
    if (this._handshake && this._connection.established) this._endHandshake(null);
    target._acknowledgeSoon();
    this._flush();
  }

  _onSocketClosed(socket) {
    if (socket !== this._socket) return;
    const where = this._where ?? 'the peer';
    let error;
    if (this._handshake) {
      error = this._connection.phase === 'noise' && !this._connection.isServer
        ? new HandshakeFailed(`${where} closed the connection during the Noise handshake (a wrong pre-shared key?)`)
        : new ConnectionLost(`${where} closed the connection during the handshake`);
    } else {
      error = new ConnectionLost(this._socketError
        ? `the connection broke: ${this._socketError.message}`
        : 'the peer went away without a goodbye');
    }
    this._broken(error);
  }

  _broken(error) {
    if (this._handshake) {
      this._detach();
      this._endHandshake(error);
    } else if (this._closed === null && !this._reconnecting) {
      this._lost(error);
    }
  }

  // --- sending
  _flush() {
    // Without a socket to write to, the bytes stay with the connection: a
    // server's resumed peer writes before its new socket is handed over.
    if (!this._socket || !this._socket.writable) return;
    const out = this._connection.takeOutput();
    if (out) this._socket.write(out);
  }

  _send(type, data, tag = null) {
    if (this._connection.peer === null) {
      // A new connection before the peer's hello: numbered now, sent right
      // after this side's resume with what the peer has not confirmed.
      this._connection.hold(type, data, tag);
    } else {
      // Also on a broken connection: kept until confirmed, so the next resume sends it again.
      this._connection.send(type, data, tag);
      this._flush();
    }
  }

  _checkOpen() {
    if (this._closed !== null) throw new NotConnected(`not connected: ${this._closed.message}`);
  }

  _openRoom() {
    const waiters = this._roomWaiters;
    this._roomWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async _room() {
    // The window of unconfirmed messages, then the socket's own buffer.
    for (;;) {
      this._checkOpen();
      const socketFull = !this._reconnecting && this._socket?.writableNeedDrain;
      if (!this._connection.windowFull && !socketFull) return;
      await new Promise((resolve) => this._roomWaiters.push(resolve));
    }
  }

  /** Sends a message; resolves once it is on its way, waiting while the window of unconfirmed messages is full (back-pressure). */
  async write(type, data) {
    await this._room();
    this._send(type, toBuffer(data));
  }

  /** Sends a request; resolves to the reply. Rejects with RemoteError (the peer's code and text), Timeout or ConnectionLost. */
  request(type, data, { timeout = 30000 } = {}) {
    return this._call(wire.REQUEST, type, toBuffer(data), timeout, 'request');
  }

  async _call(kind, type, data, timeout, what) {
    await this._room();
    const id = this._nextRequestId++;
    const answer = new Promise((resolve, reject) => {
      const entry = { resolve, reject, timer: null, number: 0 };
      if (timeout > 0) {
        entry.timer = setTimeout(() => {
          this._requests.delete(id);
          reject(new Timeout(`${what} ${id} (type ${type}) had no reply within ${timeout} ms`));
        }, timeout);
      }
      this._requests.set(id, entry);
    });
    try {
      this._send(type, data, wire.token(kind, id));
    } catch (error) {
      clearTimeout(this._requests.get(id)?.timer);
      this._requests.delete(id);
      throw error;
    }
    this._requests.get(id).number = this._connection.delivery.sent;
    return answer;
  }

  /** Answers the peer's request; waits while the send window is full. */
  async reply(request, type, data) {
    await this._room();
    this._send(type, toBuffer(data), wire.token(wire.REPLY, request.requestId));
  }

  /** Answers the peer's request with an error (RemoteError there). */
  async replyError(request, code, text) {
    await this._room();
    this._send(request.type, Buffer.from(String(text)), wire.errorReply(request.requestId, code));
  }

  // --- receiving
  /** The next message (requests too: answer them with reply()); rejects with the error that ended the connection once none is left. */
  receive({ timeout = 0 } = {}) {
    if (this._queue.length) return Promise.resolve(this._take());
    if (this._closed !== null) return Promise.reject(this._closed);
    return new Promise((resolve, reject) => {
      const taker = { resolve, reject, timer: null };
      if (timeout > 0) {
        taker.timer = setTimeout(() => {
          this._takers.splice(this._takers.indexOf(taker), 1);
          reject(new Timeout(`no message arrived within ${timeout} ms`));
        }, timeout);
      }
      this._takers.push(taker);
    });
  }

  _take() {
    const message = this._queue.shift();
    this._queueBytes -= message.data.length;
    if (this._earlierStream > 0) this._earlierStream--; // an earlier stream's is not the new one's to count
    else this._connection.delivered();
    this._acknowledgeSoon();
    this._resumeReading();
    return message;
  }

  get _holdingTooMuch() {
    return this._queue.length >= QUEUE_MESSAGES_LIMIT || this._queueBytes >= QUEUE_BYTES_LIMIT
      || this._objects.backlog.length >= QUEUE_MESSAGES_LIMIT;
  }

  _pauseReadingIfFull() {
    if (!this._readingPaused && this._holdingTooMuch && this._socket) {
      this._readingPaused = true;
      this._socket.pause();
    }
  }

  _resumeReading() {
    if (this._readingPaused && !this._holdingTooMuch) {
      this._readingPaused = false;
      this._socket?.resume();
    }
  }

  /**
   * `for await (const message of channel)`: ends when the connection ended
   * in order (a goodbye, or close()); otherwise throws the error that ended
   * it. A server's Peer ends quietly either way: the reason is on its 'close'
   * event, so that a 'connection' listener need not catch a client's death.
   */
  async *[Symbol.asyncIterator]() {
    for (;;) {
      try {
        yield await this.receive();
      } catch (error) {
        if ((this._orderly || this._endsQuietly) && error instanceof IpcError) return;
        throw error;
      }
    }
  }

  _deliver(message) {
    this._queue.push(message);
    this._queueBytes += message.data.length;
    if (this._takers.length) {
      const taker = this._takers.shift();
      clearTimeout(taker.timer);
      taker.resolve(this._take());
    } else if (this.listenerCount('message')) {
      this._drainToListeners();
    }
  }

  _drainToListeners() {
    while (this._queue.length && this.listenerCount('message')) this.emit('message', this._take());
  }

  _acknowledgeSoon() {
    if (this._connection.ackUrgent) this._acknowledge();
    else if (this._ackTimer === null && this._connection.ackDue) this._ackTimer = setTimeout(() => this._acknowledge(), ACK_DELAY_MS);
  }

  _acknowledge() {
    clearTimeout(this._ackTimer);
    this._ackTimer = null;
    if (this._closed === null) {
      this._connection.acknowledge();
      this._flush();
    }
  }

  _dispatch(event) {
    switch (event.kind) {
      case 'message':
        this._deliver(event.message);
        break;
      case 'answer': {
        this._connection.delivered();
        const entry = this._requests.get(event.id);
        if (!entry) return; // it timed out: nobody asks any more
        this._requests.delete(event.id);
        clearTimeout(entry.timer);
        if (event.errorCode === null) entry.resolve(new Message(event.type, event.data));
        else entry.reject(new RemoteError(event.data.toString(), event.errorCode));
        break;
      }
      case 'object':
        this._objects.take(event);
        break;
      case 'established':
        if (this._connection.peerStreamChanged) this._earlierStream = this._queue.length;
        break;
      case 'acknowledged':
        this._openRoom();
        this._objects.windowOpened();
        break;
      case 'goodbye':
        this._orderly = true;
        this._finish(new ConnectionLost('the peer closed the connection'));
        break;
      default:
        break;
    }
  }

  // --- heartbeats: a peer silent for one interval is pinged; for two, it is dead (section 6)
  _startHeartbeat() {
    const interval = this._heartbeatInterval;
    if (!interval || this._heartbeat) return;
    this._heartbeat = setInterval(() => {
      if (this._reconnecting || this._closed !== null || this._handshake) return;
      const silent = Date.now() - this._lastHeard;
      if (silent >= 2 * interval) {
        this._detach();
        this._lost(new ConnectionLost(`the peer gave no sign of life for ${(silent / 1000).toFixed(1)} s (heartbeat ${interval} ms)`));
      } else if (silent >= interval) {
        this._connection.ping();
        this._flush();
      }
    }, Math.max(1, interval / 2));
  }

  _started() {
    this._lastHeard = Date.now();
    this._startHeartbeat();
  }

  /** The connection broke: a Client resumes it when it can; otherwise this is the end. */
  _lost(error) {
    this._finish(error);
  }

  _finish(error) {
    if (this._closed !== null) return;
    this._closed = error;
    if (this._handshake) this._endHandshake(error); // a reconnect under way ends with it
    clearTimeout(this._ackTimer);
    clearInterval(this._heartbeat);
    for (const taker of this._takers.splice(0)) {
      clearTimeout(taker.timer);
      taker.reject(error);
    }
    this._openRoom();
    for (const entry of this._requests.values()) {
      clearTimeout(entry.timer);
      entry.reject(new ConnectionLost(`no reply: ${error.message}`));
    }
    this._requests.clear();
    this._objects.closed(error);
    if (this._socket) this._socket.end();
    this.emit('close', this._orderly ? null : error);
  }

  /** Says goodbye and closes; unconfirmed() then lists what the peer had not confirmed. */
  async close() {
    if (this._closed === null) {
      if (this._connection.established && !this._reconnecting) {
        this._connection.goodbye();
        this._flush();
      }
      this._orderly = true;
      this._finish(new NotConnected('the connection was closed'));
    }
    const socket = this._socket;
    if (socket && !socket.destroyed) {
      // The goodbye goes out, then the socket closes; a peer that keeps it open gets 2 s.
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          socket.destroy();
          resolve();
        }, 2000);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.end();
      });
    }
  }

  async [Symbol.asyncDispose]() {
    await this.close();
  }

  // --- remote objects (docs/PROTOCOL.md, section 7c)
  /** A replica of the object the peer exposes as `name`. Rejects with ObjectNotFound (naming what is exposed), ProtocolMismatch, Timeout or ConnectionLost. */
  acquire(name, { timeout = 30000 } = {}) {
    return this._objects.acquire(name, timeout);
  }

  /** The objects the peer exposes: a Map of name to interface. */
  objects({ timeout = 30000 } = {}) {
    return this._objects.list(timeout);
  }
}

export function toBuffer(data) {
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data);
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.length);
  throw new TypeError('message data is a Buffer, a Uint8Array or a string');
}
