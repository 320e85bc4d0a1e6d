// Type declarations for libipc's Node.js package.
/// <reference types="node" />
import { EventEmitter } from 'node:events';

export type Data = Buffer | Uint8Array | string;

/** A message from the peer; `requestId` is nonzero for a request, answered with reply() or replyError(). */
export class Message {
  constructor(type: number, data: Buffer, requestId?: bigint);
  readonly type: number;
  readonly data: Buffer;
  readonly requestId: bigint;
  readonly isRequest: boolean;
}

/** The peer's hello. */
export interface Hello {
  maxMessageSize: number;
  pid: number;
  process: string;
  library: string;
  features: number;
  instance: bigint;
  windowMessages: number;
  windowBytes: number;
}

/** What both Client and a server's Peer do: write, receive, request and answer. */
export class Channel extends EventEmitter implements AsyncIterable<Message>, AsyncDisposable {
  /** Channels come from connect() and a Server's 'connection' event. */
  protected constructor();
  /** The Noise protocol name, or "none". */
  readonly encryption: string;
  readonly handshakeHash: Buffer;
  readonly peer: Hello;
  readonly isConnected: boolean;
  /** Sends a message; resolves once it is on its way, waiting while the window of unconfirmed messages is full. */
  write(type: number, data: Data): Promise<void>;
  /** Sends a request; resolves to the reply (RemoteError, Timeout, ConnectionLost). */
  request(type: number, data: Data, options?: { timeout?: number }): Promise<Message>;
  reply(request: Message, type: number, data: Data): Promise<void>;
  replyError(request: Message, code: number, text: string): Promise<void>;
  /** The next message; rejects with the error that ended the connection once none is left. */
  receive(options?: { timeout?: number }): Promise<Message>;
  [Symbol.asyncIterator](): AsyncIterator<Message>;
  /** Messages written that the peer has not confirmed, oldest first. */
  unconfirmed(): Message[];
  /** Says goodbye and closes. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  /** A replica of the object the peer exposes as `name`. */
  acquire(name: string, options?: { timeout?: number }): Promise<Replica>;
  /** The objects the peer exposes, by name. */
  objects(options?: { timeout?: number }): Promise<Map<string, Interface>>;

  on(event: 'message', listener: (message: Message) => void): this;
  /** `error` is null when the connection ended in order. */
  on(event: 'close', listener: (error: IpcError | null) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

export interface ConnectOptions {
  /** 32 bytes: connect only to a server with the same key (Noise NNpsk0). */
  psk?: Buffer | Uint8Array | null;
  /** Default true: refuse a server that offers plain. */
  encryptionRequired?: boolean;
  maxMessageSize?: number;
  /** Milliseconds for the connection and its handshake; default 10000. */
  timeout?: number;
  /** Milliseconds to resume a broken connection; default 30000, 0 to end at once. */
  reconnectTimeout?: number;
  /** Milliseconds: ping a silent server, take one silent for twice that long as gone; default 0 (off). */
  heartbeatInterval?: number;
}

export class Client extends Channel {
  static connect(address: string, options?: ConnectOptions): Promise<Client>;
  /** How many times a broken connection was resumed. */
  readonly reconnections: number;
  expose(name: string, object: EventEmitter, spec: ObjectSpec): void;
  unexpose(name: string): void;
  on(event: 'reconnecting', listener: (error: IpcError) => void): this;
  on(event: 'reconnected', listener: () => void): this;
  on(event: 'message', listener: (message: Message) => void): this;
  on(event: 'close', listener: (error: IpcError | null) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** Connects to the libipc server at `address` (encrypted by default). */
export function connect(address: string, options?: ConnectOptions): Promise<Client>;

/** A client of a Server, as the server sees it. Its `for await` ends quietly when the client goes; 'close' says why. */
export class Peer extends Channel {
  /** The client's instance: the same across its reconnects. */
  readonly instance: bigint;
}

export interface ServerOptions {
  psk?: Buffer | Uint8Array | null;
  /** Default true. */
  encryption?: boolean;
  maxMessageSize?: number;
  handshakeTimeout?: number;
  heartbeatInterval?: number;
  /** Milliseconds a client's place is kept for it to resume; default 30000. */
  resumeTimeout?: number;
}

export class Server extends EventEmitter implements AsyncDisposable {
  constructor(address: string, options?: ServerOptions);
  /** Where it listens (a TCP address with the port it was given). */
  readonly address: string;
  readonly peers: Set<Peer>;
  /** Connections that continued a client's earlier one. */
  readonly resumptions: number;
  listen(): Promise<this>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  /** Lets every client acquire `object` as `name`: its events are its signals. */
  expose(name: string, object: EventEmitter, spec: ObjectSpec): void;
  unexpose(name: string): void;
  on(event: 'connection', listener: (peer: Peer) => void): this;
  on(event: 'clientError', listener: (error: IpcError) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** A parameter: a Qt type name, [type, name] or { type, name }. */
export type ParameterSpec = string | [string, string?] | { type: string; name?: string };

/** The members of an exposed object, with Qt type names ("double", "QString", "int", "bool", "QVariantList", ...). */
export interface ObjectSpec {
  className?: string;
  properties?: Record<string, string | { type: string; readonly?: boolean; notify?: string }>;
  signals?: Record<string, ParameterSpec[]>;
  methods?: Record<string, ParameterSpec[] | { parameters?: ParameterSpec[]; returns?: string }>;
}

export interface Member {
  name: string;
  parameters: { type: string; name: string }[];
  returns: string;
}

export interface PropertyInfo {
  name: string;
  type: string;
  writable: boolean;
  notify: number | null;
}

export class Interface {
  readonly className: string;
  readonly signals: Member[];
  readonly methods: Member[];
  readonly properties: PropertyInfo[];
  static fromSpec(spec: ObjectSpec, fallbackName?: string): Interface;
}

/** An object another process exposes; each of its signals is an event of the same name. */
export class Replica extends EventEmitter {
  readonly name: string;
  /** 'valid', 'suspect', 'gone' or 'released'. */
  readonly state: string;
  readonly error: IpcError | null;
  readonly handle: number;
  readonly interface: Interface;
  readonly values: Record<string, unknown>;
  get(name: string): unknown;
  call(method: string, ...args: unknown[]): Promise<unknown>;
  callWithTimeout(method: string, args: unknown[], timeout: number): Promise<unknown>;
  set(name: string, value: unknown, options?: { timeout?: number }): Promise<void>;
  release(): Promise<void>;
  on(event: 'stateChanged', listener: (state: string) => void): this;
  on(event: 'resynchronized', listener: (missed: number) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

export class Address {
  readonly path: string | null;
  readonly host: string | null;
  readonly port: number;
  readonly isLocal: boolean;
}

export function parseAddress(text: string): Address;
export function cborPayload(value: unknown): Buffer;
export function decodeCbor(data: Uint8Array, what: string): unknown;

export const ErrorCodes: Readonly<Record<string, number>>;
export function errorFor(errno: number, message: string): IpcError;

/** Every failure: `name` and `code` are the C++ library's ipc::Error value's name. */
export class IpcError extends Error {
  readonly code: string;
  readonly errno: number;
}
export class RemoteError extends IpcError {
  /** The peer's error code. */
  readonly remoteCode: number;
}
export class InvalidAddress extends IpcError {}
export class InvalidConfiguration extends IpcError {}
export class AddressInUse extends IpcError {}
export class PermissionDenied extends IpcError {}
export class ServerNotFound extends IpcError {}
export class ConnectionRefused extends IpcError {}
export class ConnectionLost extends IpcError {}
export class Timeout extends IpcError {}
export class HandshakeTimeout extends IpcError {}
export class ProtocolMismatch extends IpcError {}
export class EncryptionRequired extends IpcError {}
export class PreSharedKeyMismatch extends IpcError {}
export class HandshakeFailed extends IpcError {}
export class DecryptionFailed extends IpcError {}
export class ProtocolError extends IpcError {}
export class MessageTooLarge extends IpcError {}
export class InvalidMessageType extends IpcError {}
export class NotConnected extends IpcError {}
export class WriteQueueFull extends IpcError {}
export class ServerFull extends IpcError {}
export class SocketError extends IpcError {}
export class ObjectNotFound extends IpcError {}
export class InterfaceMismatch extends IpcError {}
export class InvalidArgument extends IpcError {}
