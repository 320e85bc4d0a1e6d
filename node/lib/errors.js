// Errors named as the C++ library's ipc::Error values. Each is an IpcError
// subclass whose `name` and `code` are that value's name ("ServerNotFound"),
// so both `instanceof` and `error.code === 'ServerNotFound'` work.

export const ErrorCodes = Object.freeze({
  NoError: 0,
  InvalidAddress: 1,
  InvalidConfiguration: 2,
  AddressInUse: 3,
  PermissionDenied: 4,
  ServerNotFound: 5,
  ConnectionRefused: 6,
  ConnectionLost: 7,
  Timeout: 8,
  HandshakeTimeout: 9,
  ProtocolMismatch: 10,
  EncryptionRequired: 11,
  PreSharedKeyMismatch: 12,
  HandshakeFailed: 13,
  DecryptionFailed: 14,
  ProtocolError: 15,
  MessageTooLarge: 16,
  InvalidMessageType: 17,
  NotConnected: 18,
  WriteQueueFull: 19,
  ServerFull: 20,
  SocketError: 21,
  RemoteError: 22,
  ObjectNotFound: 23,
  InterfaceMismatch: 24,
  InvalidArgument: 25,
});

export class IpcError extends Error {
  /** The ipc::Error value's number, as the C++ library and the wire use it. */
  get errno() {
    return ErrorCodes[this.code];
  }
}

function errorClass(name) {
  const cls = class extends IpcError {
    constructor(message, options) {
      super(message, options);
      this.name = name;
      this.code = name;
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

export const InvalidAddress = errorClass('InvalidAddress');
export const InvalidConfiguration = errorClass('InvalidConfiguration');
export const AddressInUse = errorClass('AddressInUse');
export const PermissionDenied = errorClass('PermissionDenied');
export const ServerNotFound = errorClass('ServerNotFound');
export const ConnectionRefused = errorClass('ConnectionRefused');
export const ConnectionLost = errorClass('ConnectionLost');
export const Timeout = errorClass('Timeout');
export const HandshakeTimeout = errorClass('HandshakeTimeout');
export const ProtocolMismatch = errorClass('ProtocolMismatch');
export const EncryptionRequired = errorClass('EncryptionRequired');
export const PreSharedKeyMismatch = errorClass('PreSharedKeyMismatch');
export const HandshakeFailed = errorClass('HandshakeFailed');
export const DecryptionFailed = errorClass('DecryptionFailed');
export const ProtocolError = errorClass('ProtocolError');
export const MessageTooLarge = errorClass('MessageTooLarge');
export const InvalidMessageType = errorClass('InvalidMessageType');
export const NotConnected = errorClass('NotConnected');
export const WriteQueueFull = errorClass('WriteQueueFull');
export const ServerFull = errorClass('ServerFull');
export const SocketError = errorClass('SocketError');
export const ObjectNotFound = errorClass('ObjectNotFound');
export const InterfaceMismatch = errorClass('InterfaceMismatch');
export const InvalidArgument = errorClass('InvalidArgument');

/** The peer answered a request with an error reply: `remoteCode` is its code. */
export class RemoteError extends IpcError {
  constructor(message, remoteCode = 0) {
    super(message);
    this.name = 'RemoteError';
    this.code = 'RemoteError';
    this.remoteCode = remoteCode;
  }
}

const byName = {
  InvalidAddress, InvalidConfiguration, AddressInUse, PermissionDenied, ServerNotFound,
  ConnectionRefused, ConnectionLost, Timeout, HandshakeTimeout, ProtocolMismatch,
  EncryptionRequired, PreSharedKeyMismatch, HandshakeFailed, DecryptionFailed, ProtocolError,
  MessageTooLarge, InvalidMessageType, NotConnected, WriteQueueFull, ServerFull, SocketError,
  ObjectNotFound, InterfaceMismatch, InvalidArgument,
};

/** The exception for the ipc::Error number `errno`, saying `message`. */
export function errorFor(errno, message) {
  const name = Object.keys(ErrorCodes).find((key) => ErrorCodes[key] === errno);
  if (name === 'RemoteError') return new RemoteError(message, errno);
  return new (byName[name] ?? SocketError)(message);
}
