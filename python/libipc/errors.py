"""Errors, named as libipc's ``ipc::Error`` values.

Every failure raises an :class:`IpcError` subclass whose name is the C++
enumerator's (``MessageTooLarge``, ``HandshakeFailed``, ...) and whose
message says why, as the C++ library's ``errorString()`` does.
"""

from __future__ import annotations

import enum


class Error(enum.IntEnum):
    """libipc's ``ipc::Error``, with the same names and numbers."""

    NoError = 0
    InvalidAddress = 1
    InvalidConfiguration = 2
    AddressInUse = 3
    PermissionDenied = 4
    ServerNotFound = 5
    ConnectionRefused = 6
    ConnectionLost = 7
    Timeout = 8
    HandshakeTimeout = 9
    ProtocolMismatch = 10
    EncryptionRequired = 11
    PreSharedKeyMismatch = 12
    HandshakeFailed = 13
    DecryptionFailed = 14
    ProtocolError = 15
    MessageTooLarge = 16
    InvalidMessageType = 17
    NotConnected = 18
    WriteQueueFull = 19
    ServerFull = 20
    SocketError = 21
    RemoteError = 22
    ObjectNotFound = 23
    InterfaceMismatch = 24
    InvalidArgument = 25


class IpcError(Exception):
    """Base of every libipc error; ``error`` says which."""

    error: Error = Error.SocketError

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidAddress(IpcError):
    error = Error.InvalidAddress


class InvalidConfiguration(IpcError):
    error = Error.InvalidConfiguration


class AddressInUse(IpcError):
    error = Error.AddressInUse


class PermissionDenied(IpcError):
    error = Error.PermissionDenied


class ServerNotFound(IpcError):
    error = Error.ServerNotFound


class ConnectionRefused(IpcError):
    error = Error.ConnectionRefused


class ConnectionLost(IpcError):
    error = Error.ConnectionLost


class Timeout(IpcError):
    error = Error.Timeout


class HandshakeTimeout(IpcError):
    error = Error.HandshakeTimeout


class ProtocolMismatch(IpcError):
    error = Error.ProtocolMismatch


class EncryptionRequired(IpcError):
    error = Error.EncryptionRequired


class PreSharedKeyMismatch(IpcError):
    error = Error.PreSharedKeyMismatch


class HandshakeFailed(IpcError):
    error = Error.HandshakeFailed


class DecryptionFailed(IpcError):
    error = Error.DecryptionFailed


class ProtocolError(IpcError):
    error = Error.ProtocolError


class MessageTooLarge(IpcError):
    error = Error.MessageTooLarge


class InvalidMessageType(IpcError):
    error = Error.InvalidMessageType


class NotConnected(IpcError):
    error = Error.NotConnected


class WriteQueueFull(IpcError):
    error = Error.WriteQueueFull


class ServerFull(IpcError):
    error = Error.ServerFull


class SocketError(IpcError):
    error = Error.SocketError


class RemoteError(IpcError):
    """The peer answered a request with an error reply: ``code`` is its code."""

    error = Error.RemoteError

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class ObjectNotFound(IpcError):
    error = Error.ObjectNotFound


class InterfaceMismatch(IpcError):
    error = Error.InterfaceMismatch


class InvalidArgument(IpcError):
    error = Error.InvalidArgument


_BY_ERROR = {cls.error: cls for cls in IpcError.__subclasses__()}


def error_for(error: Error, message: str) -> IpcError:
    """The exception for ``error``, saying ``message``."""
    return _BY_ERROR.get(error, SocketError)(message)
