// CBOR payloads (RFC 8949) through cborg: what a C++ peer reads with
// Message::toCbor() and writes with writeCbor() or a QCborMap reply.
import { decode, encode, Token, Type } from 'cborg';
import { InvalidArgument } from './errors.js';

function uuidText(bytes) {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// A tag decoder is handed a function that decodes the tagged item.
const tags = {
  0: (item) => new Date(item()), // QDateTime
  1: (item) => new Date(Number(item()) * 1000),
  32: (item) => item(), // QUrl, as its text
  37: (item) => uuidText(item()), // QUuid, as its text
};

const typeEncoders = {
  Date: (date) => [new Token(Type.tag, 0), new Token(Type.string, date.toISOString())],
};

// Maps whose keys are all text become plain objects; others (an emission's
// property indexes) stay Maps.
function plain(value) {
  if (value instanceof Map) {
    const entries = [...value.entries()].map(([k, v]) => [k, plain(v)]);
    return entries.every(([k]) => typeof k === 'string') ? Object.fromEntries(entries) : new Map(entries);
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.length);
  return value;
}

/** `value` (objects, arrays, strings, Buffers, numbers, booleans, null, Dates) as CBOR. */
export function cborPayload(value) {
  try {
    return Buffer.from(encode(value, { typeEncoders }));
  } catch (error) {
    throw new InvalidArgument(`the value cannot be written as CBOR: ${error.message}`);
  }
}

/** `data` as exactly one CBOR item, or InvalidArgument naming `what`. */
export function decodeCbor(data, what) {
  try {
    return plain(decode(data, { useMaps: true, tags, rejectDuplicateMapKeys: true }));
  } catch (error) {
    throw new InvalidArgument(`${what} does not hold CBOR: ${error.message}`);
  }
}
