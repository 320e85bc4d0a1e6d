// Addresses, parsed by the same rules as the C++ library's: `name` is the
// local socket /tmp/name.sock; `/abs/path.sock` (or `local:/abs/path`) a
// path as given; `tcp://host:port`, `tcp://[::1]:port`: TCP (port 6969 when
// left out, `localhost` or no host: loopback).
import net from 'node:net';
import { InvalidAddress } from './errors.js';

export const DEFAULT_TCP_PORT = 6969; // MinIPC's
const MAX_SOCKET_PATH = 107; // sockaddr_un holds 108 bytes with the terminating zero
const LABEL = /^[A-Za-z0-9_-]{1,63}$/;

/** Where to connect or listen: `{ path }` or `{ host, port }`. */
export class Address {
  constructor({ path = null, host = null, port = 0 }) {
    this.path = path;
    this.host = host;
    this.port = port;
    Object.freeze(this);
  }

  get isLocal() {
    return this.path !== null;
  }

  toString() {
    if (this.path !== null) return this.path;
    return this.host.includes(':') ? `tcp://[${this.host}]:${this.port}` : `tcp://${this.host}:${this.port}`;
  }
}

function isHostName(name) {
  if (name.length > 253) return false;
  let labels = name.split('.');
  if (labels.length > 1 && labels[labels.length - 1] === '') labels = labels.slice(0, -1); // a trailing dot is fine
  if (!labels.every((l) => LABEL.test(l) && !l.startsWith('-') && !l.endsWith('-'))) return false;
  return !/^\d+$/.test(labels[labels.length - 1]); // an all-digit last label is a mistyped IP address
}

function parseTcp(rest, original) {
  let host = rest;
  let portText = '';
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) throw new InvalidAddress(`invalid address "${original}": missing ']' after an IPv6 host`);
    portText = host.slice(close + 1);
    host = host.slice(1, close);
    if (portText && !portText.startsWith(':')) throw new InvalidAddress(`invalid address "${original}": expected ':' after ']'`);
    portText = portText.slice(1);
  } else if (host.includes(':')) {
    const colon = host.lastIndexOf(':');
    portText = host.slice(colon + 1);
    host = host.slice(0, colon);
  }
  if (!host || host.toLowerCase() === 'localhost') {
    host = '127.0.0.1';
  } else if (net.isIP(host) === 0 && !isHostName(host)) {
    throw new InvalidAddress(`invalid address "${original}": "${host}" is neither an IP address nor a host name`);
  }
  let port = DEFAULT_TCP_PORT;
  if (portText) {
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw new InvalidAddress(`invalid address "${original}": port must be 0-65535`);
    port = Number(portText);
  }
  return new Address({ host, port });
}

function parseLocal(name, original) {
  if (!name) throw new InvalidAddress(`invalid address "${original}": the name is empty`);
  if (name.includes('\0')) throw new InvalidAddress('invalid address: the name contains a NUL character');
  let path;
  if (name.startsWith('/')) path = name;
  else if (name.includes('/')) throw new InvalidAddress(`invalid address "${original}": a name must not contain '/' (use an absolute path)`);
  else path = `/tmp/${name}.sock`;
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) throw new InvalidAddress(`invalid address "${original}": socket path longer than ${MAX_SOCKET_PATH} bytes`);
  return new Address({ path });
}

/** Parses `text`; throws InvalidAddress naming what is wrong. */
export function parseAddress(text) {
  if (typeof text !== 'string') throw new InvalidAddress('invalid address: an address is a string');
  const trimmed = text.trim();
  if (!trimmed) throw new InvalidAddress('invalid address: the address is empty');
  const lower = trimmed.toLowerCase();
  if (lower.startsWith('tcp://')) return parseTcp(trimmed.slice(6), text);
  if (lower.startsWith('local:')) return parseLocal(trimmed.slice(6), text);
  if (trimmed.includes('://')) throw new InvalidAddress(`invalid address "${text}": unknown scheme (use a name, a path or tcp://)`);
  return parseLocal(trimmed, text);
}
