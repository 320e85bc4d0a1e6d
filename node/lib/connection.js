// One connection's protocol state, either side, without I/O (sans-IO):
// bytes from the peer go in through Connection.feed(), which returns what
// happened; bytes for the peer come out of Connection.takeOutput(). The
// Client and Server drive it over a socket.
import crypto from 'node:crypto';
import path from 'node:path';
import * as wire from './wire.js';
import * as noise from './noise.js';
import {
  EncryptionRequired, InvalidMessageType, MessageTooLarge, PermissionDenied, PreSharedKeyMismatch,
  ProtocolError, ProtocolMismatch, ServerFull,
} from './errors.js';

export const LIBRARY = 'libipc-node 0.1.0';
const randomId = () => crypto.randomBytes(8).readBigUInt64BE(0) || 1n;

/** A message from the peer; `requestId` is nonzero for a request, answered with reply() or replyError(). */
export class Message {
  constructor(type, data, requestId = 0n) {
    this.type = type;
    this.data = data;
    this.requestId = requestId;
  }

  get isRequest() {
    return this.requestId !== 0n;
  }
}

/**
 * Both directions' delivery state, which outlives a connection so the next
 * one can resume (section 7): our stream (its id, how many we numbered,
 * what the peer has not confirmed) and the peer's (its id, how many of its
 * messages arrived and how many the application took).
 */
export class Delivery {
  constructor() {
    this.stream = randomId();
    this.unconfirmed = []; // { type, data, tag }, oldest first
    this.unconfirmedHead = 0; // index of the oldest still unconfirmed
    this.unconfirmedBytes = 0;
    this.sent = 0;
    this.peerStream = 0n;
    this.peerInstance = 0n;
    this.received = 0;
    this.delivered = 0;
    this.acked = 0;
  }

  get pending() {
    return this.unconfirmed.length - this.unconfirmedHead;
  }

  pendingMessages() {
    return this.unconfirmed.slice(this.unconfirmedHead);
  }

  push(sent) {
    this.unconfirmed.push(sent);
    this.unconfirmedBytes += sent.data.length;
  }

  /** How many of our messages the peer confirmed. */
  get confirmed() {
    return this.sent - this.pending;
  }

  /** The peer delivered our first `delivered` messages; returns how many left the window. */
  confirm(delivered) {
    if (delivered > this.sent) throw new ProtocolError(`an ack for ${delivered} messages; ${this.sent} were sent`);
    let count = 0;
    while (this.confirmed < delivered) {
      this.unconfirmedBytes -= this.unconfirmed[this.unconfirmedHead].data.length;
      this.unconfirmed[this.unconfirmedHead++] = undefined;
      count++;
    }
    if (this.unconfirmedHead > 1024 && this.unconfirmedHead * 2 > this.unconfirmed.length) {
      this.unconfirmed = this.unconfirmed.slice(this.unconfirmedHead); // an array used as a queue: compact now and then
      this.unconfirmedHead = 0;
    }
    return count;
  }
}

/**
 * One side of the native protocol, version 3. A client waits for the
 * preamble; a server (`server: true`) writes it at once, offering
 * encryption unless `encryption` is false (`psk`: NNpsk0).
 */
export class Connection {
  constructor({ psk = null, encryptionRequired = true, maxMessageSize = wire.DEFAULT_MAX_MESSAGE_SIZE,
    windowMessages = 65536, windowBytes = 16 * 1024 * 1024, server = false, encryption = true,
    delivery = null, instance = 0n, adopt = null } = {}) {
    if (psk !== null && psk.length !== 32) throw new RangeError('a pre-shared key has 32 bytes');
    this._psk = psk;
    this._encryptionRequired = encryptionRequired;
    this.isServer = server;
    this._peerName = server ? 'client' : 'server';
    this.maxMessageSize = wire.effectiveMaxSize(maxMessageSize);
    this.windowMessages = windowMessages;
    this.windowBytes = windowBytes;
    this.delivery = delivery ?? new Delivery(); // a client's stays across its connections
    this._instance = instance; // the hello's: a client's is its stream id, a server's its own
    this._adopt = adopt; // a server's way to continue a client's earlier delivery state
    this.resumed = false;
    this._input = Buffer.alloc(0);
    // Chunks of a frame still coming, joined once it is whole (not at each chunk).
    this._chunks = [];
    this._chunksLength = 0;
    this._needed = 0; // the bytes the next frame needs, when its length is known
    this._output = [];
    this._state = 'preamble';
    this._handshake = null;
    this._sendCipher = new noise.CipherState();
    this._receiveCipher = new noise.CipherState();
    this.encryption = 'none';
    this.handshakeHash = Buffer.alloc(0);
    this.peer = null;
    this._acknowledging = false;
    this._tag = null;
    this._nextSequence = 0;
    this.peerRestarted = false; // the peer is a new process: it confirmed nothing of ours
    this.pongs = 0;
    this.peerStreamChanged = false;
    if (server) { // a server speaks first: the preamble, and when plain its hello
      this._mode = !encryption ? wire.MODE_PLAIN : psk ? wire.MODE_NNPSK0 : wire.MODE_NN;
      this._output.push(Buffer.from([wire.VERSION, this._mode]));
      if (this._mode === wire.MODE_PLAIN) this._writeControl(this._hello().encode());
      this._state = 'reply';
    }
  }

  get established() {
    return this._state === 'established';
  }

  /** preamble, reply, noise, hello, resume, established or closed. */
  get phase() {
    return this._state;
  }

  get windowFull() {
    const d = this.delivery;
    return d.pending >= this.windowMessages || d.unconfirmedBytes >= this.windowBytes;
  }

  /** Both sides acknowledge: a broken connection can be resumed. */
  get resumable() {
    return this._acknowledging;
  }

  takeOutput() {
    if (this._output.length === 0) return null;
    const out = this._output.length === 1 ? this._output[0] : Buffer.concat(this._output);
    this._output = [];
    return out;
  }

  // --- sending
  _writeFrame(body) {
    this._output.push(wire.frame(this._sendCipher.encrypt(body)));
  }

  _writeControl(data) {
    this._writeFrame(wire.body(0, data));
  }

  _checkType(type) {
    if (!Number.isInteger(type) || type <= 0 || type > 0x7fffffff) {
      throw new InvalidMessageType(`write refused: type ${type} is reserved or out of range (types are 1 to 2^31-1)`);
    }
  }

  /** Writes a user message (preceded by `tag`, a control message). */
  send(type, data, tag = null) {
    this._checkType(type);
    if (data.length > this.peer.maxMessageSize) {
      throw new MessageTooLarge(`write refused: ${data.length} bytes is over the peer's maximum of ${this.peer.maxMessageSize}`);
    }
    this._writeMessage(type, data, tag);
    this.delivery.sent++;
    if (this._acknowledging) this.delivery.push({ type, data, tag });
  }

  /** Numbers a message while there is no connection: the next one sends it after its resume. */
  hold(type, data, tag = null) {
    this._checkType(type);
    this.delivery.sent++;
    this.delivery.push({ type, data, tag });
  }

  _writeMessage(type, data, tag) {
    if (tag !== null) this._writeControl(tag);
    this._writeFrame(wire.body(type, data));
  }

  ping() {
    this._writeControl(wire.token(wire.PING, this.pongs));
  }

  goodbye() {
    this.acknowledge();
    this._writeControl(wire.token(wire.GOODBYE));
  }

  /** `count` of the peer's messages were handed to the application. */
  delivered(count = 1) {
    this.delivery.delivered += count;
  }

  get ackDue() {
    return this._acknowledging && this.established && this.delivery.delivered > this.delivery.acked;
  }

  /** A quarter of the peer's window delivered since the last ack. */
  get ackUrgent() {
    if (!this.ackDue || this.peer === null) return false;
    const quarter = Math.max(1, Math.floor((this.peer.windowMessages || 1) / 4));
    return this.delivery.delivered - this.delivery.acked >= quarter;
  }

  acknowledge() {
    if (this.ackDue) {
      this.delivery.acked = this.delivery.delivered;
      this._writeControl(wire.token(wire.ACK, this.delivery.delivered));
    }
  }

  // --- receiving
  /** Takes bytes from the peer; returns what they mean. Throws an IpcError when the connection must end. */
  feed(data) {
    this._chunks.push(data);
    this._chunksLength += data.length;
    if (this._chunksLength < this._needed) return [];
    this._input = this._chunks.length === 1 ? this._chunks[0] : Buffer.concat(this._chunks, this._chunksLength);
    this._chunks = [];
    this._chunksLength = 0;
    this._needed = 0;
    const events = [];
    let offset = 0;
    try {
      while (this._state !== 'closed') {
        const available = this._input.length - offset;
        if (this._state === 'preamble') {
          if (available < 2) break;
          this._onPreamble(this._input[offset], this._input[offset + 1]);
          offset += 2;
          continue;
        }
        if (this._state === 'reply') {
          if (available < 1) break;
          this._onReply(this._input[offset]);
          offset += 1;
          continue;
        }
        if (available < 4) break;
        const length = this._input.readUInt32BE(offset);
        const limit = this._state === 'noise' || this._state === 'hello'
          ? wire.HANDSHAKE_FRAME_LIMIT
          : this.maxMessageSize + 4 + (this._receiveCipher.hasKey ? noise.TAG_LENGTH : 0);
        if (length > limit) { // checked before any room is made for it
          throw new MessageTooLarge(`the ${this._peerName} sent a frame of ${length} bytes; the limit is ${limit}`);
        }
        if (available < 4 + length) {
          this._needed = 4 + length; // the frame's bytes: nothing to look at before they are all in
          break;
        }
        const body = this._input.subarray(offset + 4, offset + 4 + length);
        offset += 4 + length;
        if (this._state === 'noise') this._onNoise(body);
        else this._onBody(this._receiveCipher.decrypt(body), events);
      }
    } catch (error) {
      // What came before the bad part was accepted (and counted): the caller still hands it on.
      error.events = events;
      throw error;
    } finally {
      if (offset < this._input.length) {
        const rest = this._input.subarray(offset);
        this._chunks.push(rest);
        this._chunksLength = rest.length;
      }
      this._input = Buffer.alloc(0);
    }
    return events;
  }

  _hello() {
    return new wire.Hello({
      maxMessageSize: this.maxMessageSize,
      pid: process.pid,
      process: path.basename(process.argv[1] ?? 'node'),
      library: LIBRARY,
      features: wire.FEATURE_ACKS | wire.FEATURE_REQUESTS | wire.FEATURE_OBJECTS,
      instance: this._instance || this.delivery.stream,
      windowMessages: this.windowMessages,
      windowBytes: Math.min(this.windowBytes, 0xffffffff),
    });
  }

  _refuse(reply, error) {
    this._output.push(Buffer.from([reply]));
    this._state = 'closed';
    return error;
  }

  _onPreamble(version, mode) {
    if (version !== wire.VERSION) {
      const what = version === 2 ? "golang-ipc's protocol version 2" : `protocol version ${version}`;
      throw this._refuse(wire.REPLY_VERSION, new ProtocolMismatch(`the server speaks ${what}; this client speaks version 3`));
    }
    if (mode === wire.MODE_ACCESS_DENIED) throw new PermissionDenied("the server accepts only its own user's processes");
    if (mode === wire.MODE_SERVER_FULL) throw new ServerFull('the server is full');
    if (mode === wire.MODE_PLAIN) {
      if (this._encryptionRequired) {
        throw this._refuse(wire.REPLY_ENCRYPTION_REQUIRED, new EncryptionRequired('the server offers no encryption and this client requires it'));
      }
      if (this._psk !== null) {
        throw this._refuse(wire.REPLY_PSK_MISMATCH, new PreSharedKeyMismatch('this client has a pre-shared key and the server offers plain'));
      }
      this._output.push(Buffer.from([wire.REPLY_OK]));
      this._writeControl(this._hello().encode());
      this._state = 'hello';
      return;
    }
    if (mode !== wire.MODE_NN && mode !== wire.MODE_NNPSK0) {
      throw this._refuse(wire.REPLY_UNKNOWN_MODE, new ProtocolMismatch(`the server offers security mode ${mode}`));
    }
    if ((mode === wire.MODE_NNPSK0) !== (this._psk !== null)) {
      throw this._refuse(wire.REPLY_PSK_MISMATCH, new PreSharedKeyMismatch(mode === wire.MODE_NNPSK0
        ? 'the server uses a pre-shared key and this client has none'
        : 'this client has a pre-shared key and the server uses none'));
    }
    this._output.push(Buffer.from([wire.REPLY_OK]));
    // The prologue binds the preamble and the reply (section 4).
    this._handshake = new noise.Handshake(true, Buffer.from([version, mode, wire.REPLY_OK]), this._psk);
    this._output.push(wire.frame(this._handshake.writeMessage()));
    this._state = 'noise';
  }

  _onReply(reply) {
    if (reply !== wire.REPLY_OK) {
      this._state = 'closed';
      if (reply === wire.REPLY_ENCRYPTION_REQUIRED) throw new EncryptionRequired('the client requires encryption and this server offers plain');
      if (reply === wire.REPLY_PSK_MISMATCH) throw new PreSharedKeyMismatch('the client and this server disagree about a pre-shared key');
      throw new ProtocolMismatch(`the client refused the preamble (reply ${reply})`);
    }
    if (this._mode === wire.MODE_PLAIN) {
      this._state = 'hello';
    } else {
      this._handshake = new noise.Handshake(false, Buffer.from([wire.VERSION, this._mode, wire.REPLY_OK]), this._psk);
      this._state = 'noise';
    }
  }

  _onNoise(message) {
    this._handshake.readMessage(message);
    if (this.isServer) this._output.push(wire.frame(this._handshake.writeMessage()));
    [this._sendCipher, this._receiveCipher] = this._handshake.split();
    this.encryption = this._handshake.protocol;
    this.handshakeHash = this._handshake.handshakeHash;
    this._handshake = null;
    this._writeControl(this._hello().encode());
    this._state = 'hello';
  }

  _onBody(body, events) {
    if (body.length < 4) throw new ProtocolError(`a message body of ${body.length} bytes`);
    const type = body.readInt32BE(0);
    const data = body.subarray(4);
    if (type < 0) throw new ProtocolError(`a message of type ${type}`);
    if (type === 0) {
      this._onControl(data, events);
      return;
    }
    if (this._state !== 'established') throw new ProtocolError(`a user message (type ${type}) before the handshake ended`);
    if (data.length > this.maxMessageSize) {
      throw new MessageTooLarge(`the ${this._peerName} sent ${data.length} bytes; the limit is ${this.maxMessageSize}`);
    }
    const tag = this._tag;
    this._tag = null;
    if (this._acknowledging) {
      const sequence = this._nextSequence++;
      if (sequence <= this.delivery.received) return; // a duplicate of one that arrived before a reconnect
      this.delivery.received = sequence;
    }
    if (tag === null) events.push({ kind: 'message', message: new Message(type, data) });
    else if (tag.kind === wire.REQUEST) events.push({ kind: 'message', message: new Message(type, data, tag.id) });
    else if (tag.kind === wire.REPLY) events.push({ kind: 'answer', id: tag.id, type, data, errorCode: null });
    else if (tag.kind === wire.ERROR_REPLY) events.push({ kind: 'answer', id: tag.id, type, data, errorCode: tag.code });
    else events.push({ kind: 'object', callId: tag.id, operation: type, data });
  }

  _onControl(data, events) {
    if (data.length === 0) throw new ProtocolError('an empty control message');
    const kind = data[0];
    if (kind === wire.HELLO) {
      if (this._state !== 'hello') throw new ProtocolError('a second hello');
      this.peer = wire.Hello.decode(data);
      this._acknowledging = (this.peer.features & wire.FEATURE_ACKS) !== 0;
      if (this._acknowledging && this._adopt !== null) {
        const kept = this._adopt(this.peer);
        if (kept) {
          this.delivery = kept;
          this.resumed = true;
        }
      }
      const d = this.delivery;
      this.peerRestarted = d.peerInstance !== 0n && this.peer.instance !== d.peerInstance;
      d.peerInstance = this.peer.instance;
      if (this._acknowledging) {
        // Where both directions stand, then what the peer has not confirmed, again.
        this._writeControl(new wire.Resume(d.stream, d.confirmed + 1, d.peerStream, d.delivered).encode());
        for (const sent of d.pendingMessages()) this._writeMessage(sent.type, sent.data, sent.tag);
        this._state = 'resume';
      } else {
        this._state = 'established';
        events.push({ kind: 'established' });
      }
    } else if (kind === wire.RESUME) {
      if (this._state !== 'resume') throw new ProtocolError('a resume out of place');
      const resume = wire.Resume.decode(data);
      const d = this.delivery;
      // An earlier connection's peer that knows nothing of our stream: its
      // process restarted, or it gave up waiting for us (section 7).
      if (d.peerStream !== 0n && resume.peerStream !== d.stream) this.peerRestarted = true;
      if (resume.stream !== d.peerStream) {
        // A stream we never heard: all of it is new, numbered from firstSequence.
        if (d.peerStream !== 0n) this.peerStreamChanged = true; // what is still queued was another stream's
        d.peerStream = resume.stream;
        d.received = d.delivered = d.acked = resume.firstSequence - 1;
      }
      this._nextSequence = resume.firstSequence;
      if (resume.peerStream === d.stream && d.confirm(resume.delivered)) events.push({ kind: 'acknowledged' });
      this._state = 'established';
      events.push({ kind: 'established' });
    } else if (this._state !== 'established') {
      throw new ProtocolError(`a control message of kind ${kind} before the handshake ended`);
    } else if (kind === wire.ACK) {
      if (this.delivery.confirm(wire.readToken(data))) events.push({ kind: 'acknowledged' });
    } else if (kind === wire.PING) {
      this._writeControl(wire.token(wire.PONG, wire.readToken(data)));
    } else if (kind === wire.PONG) {
      this.pongs++;
    } else if (kind === wire.GOODBYE) {
      this._state = 'closed';
      events.push({ kind: 'goodbye' });
    } else if (kind === wire.REQUEST || kind === wire.REPLY || kind === wire.ERROR_REPLY || kind === wire.OBJECT) {
      if (this._tag !== null) throw new ProtocolError('a tag not followed by its message');
      this._tag = wire.readTag(data);
    } // other kinds are ignored: later versions may add them
  }
}
