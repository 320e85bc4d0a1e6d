// The native protocol's bytes (docs/PROTOCOL.md, sections 1-7c): the
// preamble, frames, bodies and control messages. Pure: bytes in, bytes or
// a clear error out.
import { ProtocolError } from './errors.js';

export const VERSION = 3;
export const MODE_PLAIN = 0;
export const MODE_NN = 1;
export const MODE_NNPSK0 = 2;
export const MODE_ACCESS_DENIED = 254;
export const MODE_SERVER_FULL = 255;
export const REPLY_OK = 0;
export const REPLY_VERSION = 1;
export const REPLY_ENCRYPTION_REQUIRED = 2;
export const REPLY_PSK_MISMATCH = 3;
export const REPLY_UNKNOWN_MODE = 4;

export const HANDSHAKE_FRAME_LIMIT = 1024;
export const DEFAULT_MAX_MESSAGE_SIZE = 3145728;
export const LARGEST_MAX_MESSAGE_SIZE = 2 ** 30;

// Control kinds (section 6)
export const HELLO = 1;
export const GOODBYE = 2;
export const PING = 3;
export const PONG = 4;
export const ACK = 5;
export const RESUME = 6;
export const REQUEST = 7;
export const REPLY = 8;
export const ERROR_REPLY = 9;
export const SHARED_MEMORY = 10;
export const OBJECT = 11;

export const FEATURE_ACKS = 1;
export const FEATURE_REQUESTS = 2;
export const FEATURE_OBJECTS = 8;

/** A frame: the body's length (u32) then the body. */
export function frame(body) {
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/** A plain body: type (i32) then data. */
export function body(type, data) {
  const out = Buffer.allocUnsafe(4 + data.length);
  out.writeInt32BE(type, 0);
  data.copy(out, 4);
  return out;
}

/** What a hello's maxMessageSize means: under 1024 the default, over 2^30 2^30. */
export function effectiveMaxSize(value) {
  if (value < 1024) return DEFAULT_MAX_MESSAGE_SIZE;
  return Math.min(value, LARGEST_MAX_MESSAGE_SIZE);
}

export class Hello {
  constructor({ maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE, pid = 0, process = '', library = '', features = 0,
    instance = 0n, windowMessages = 0, windowBytes = 0 } = {}) {
    Object.assign(this, { maxMessageSize, pid, process, library, features, instance, windowMessages, windowBytes });
  }

  encode() {
    const name = Buffer.from(this.process).subarray(0, 255);
    const version = Buffer.from(this.library).subarray(0, 255);
    const head = Buffer.alloc(13);
    head[0] = HELLO;
    head.writeUInt32BE(this.maxMessageSize, 1);
    head.writeBigUInt64BE(BigInt(this.pid), 5);
    const block = Buffer.alloc(20);
    block.writeUInt32BE(this.features, 0);
    block.writeBigUInt64BE(this.instance, 4);
    block.writeUInt32BE(this.windowMessages, 12);
    block.writeUInt32BE(this.windowBytes, 16);
    return Buffer.concat([head, Buffer.from([name.length]), name, Buffer.from([version.length]), version, block]);
  }

  /** `data` starts with the kind byte. */
  static decode(data) {
    const cut = () => new ProtocolError(`the peer's hello is cut short (${data.length} bytes)`);
    if (data.length < 14) throw cut();
    const maxSize = data.readUInt32BE(1);
    const pid = Number(data.readBigUInt64BE(5));
    let offset = 13;
    const nameLength = data[offset];
    if (offset + 1 + nameLength >= data.length) throw cut();
    const process = data.subarray(offset + 1, offset + 1 + nameLength).toString();
    offset += 1 + nameLength;
    const versionLength = data[offset];
    if (offset + 1 + versionLength > data.length) throw cut();
    const library = data.subarray(offset + 1, offset + 1 + versionLength).toString();
    offset += 1 + versionLength;
    const hello = new Hello({ maxMessageSize: effectiveMaxSize(maxSize), pid, process, library });
    if (data.length > offset) { // the delivery block, optional
      if (data.length < offset + 20) throw new ProtocolError("the peer's hello has a delivery block cut short");
      hello.features = data.readUInt32BE(offset);
      hello.instance = data.readBigUInt64BE(offset + 4);
      hello.windowMessages = data.readUInt32BE(offset + 12);
      hello.windowBytes = data.readUInt32BE(offset + 16);
    }
    return hello;
  }
}

export class Resume {
  constructor(stream, firstSequence, peerStream, delivered) {
    Object.assign(this, { stream, firstSequence, peerStream, delivered });
  }

  encode() {
    const out = Buffer.alloc(33);
    out[0] = RESUME;
    out.writeBigUInt64BE(this.stream, 1);
    out.writeBigUInt64BE(BigInt(this.firstSequence), 9);
    out.writeBigUInt64BE(this.peerStream, 17);
    out.writeBigUInt64BE(BigInt(this.delivered), 25);
    return out;
  }

  static decode(data) {
    if (data.length < 33) throw new ProtocolError(`a resume of ${data.length} bytes is cut short`);
    const [firstSequence, delivered] = [data.readBigUInt64BE(9), data.readBigUInt64BE(25)];
    if (firstSequence > BigInt(Number.MAX_SAFE_INTEGER) || delivered > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ProtocolError('a resume with a message count beyond 2^53');
    }
    const resume = new Resume(data.readBigUInt64BE(1), Number(firstSequence), data.readBigUInt64BE(17), Number(delivered));
    if (resume.stream === 0n || resume.firstSequence === 0) throw new ProtocolError('a resume with a stream or a first sequence number of 0');
    return resume;
  }
}

/** Goodbye, ping, pong, ack, request, reply, object: the kind and a u64. */
export function token(kind, value = 0) {
  const out = Buffer.alloc(9);
  out[0] = kind;
  out.writeBigUInt64BE(BigInt(value), 1);
  return out;
}

export function errorReply(requestId, code) {
  const out = Buffer.alloc(13);
  out[0] = ERROR_REPLY;
  out.writeBigUInt64BE(BigInt(requestId), 1);
  out.writeInt32BE(code, 9);
  return out;
}

export function readToken(data) {
  if (data.length < 9) throw new ProtocolError(`a control message of kind ${data[0]} is cut short (${data.length} bytes)`);
  return Number(data.readBigUInt64BE(1));
}

/** What the next user message is: a request, a reply, an error reply or object traffic. */
export function readTag(data) {
  const kind = data[0];
  let tag;
  if (kind === ERROR_REPLY) {
    if (data.length < 13) throw new ProtocolError('an error reply tag is cut short');
    tag = { kind, id: data.readBigUInt64BE(1), code: data.readInt32BE(9) };
  } else {
    if (data.length < 9) throw new ProtocolError(`a control message of kind ${kind} is cut short (${data.length} bytes)`);
    tag = { kind, id: data.readBigUInt64BE(1), code: 0 };
  }
  // Ids are BigInts: a peer's may use all 64 bits.
  if (tag.id === 0n && kind !== OBJECT) throw new ProtocolError(`a tag of kind ${kind} with the id 0`);
  return tag;
}
