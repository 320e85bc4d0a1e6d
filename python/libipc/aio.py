"""The asyncio API: a Client, and a Server with a handler per client.

::

    async with await libipc.aio.Client.connect("echo") as client:
        await client.write(1, b"hello")
        message = await client.receive()
        answer = await client.request(2, b"2+3")

    async def echo(peer):
        async for message in peer:
            if message.is_request:
                await peer.reply(message, message.type, message.data)
            else:
                await peer.write(message.type, message.data)

    async with libipc.aio.Server("echo", echo) as server:
        await asyncio.Event().wait()
"""

from __future__ import annotations

import asyncio
import errno
import itertools
import logging
import os
import secrets
import socket
import struct
from typing import AsyncIterator, Awaitable, Callable, Dict, List, Optional, Set

from . import wire
from .address import Address, parse_address
from .connection import Acknowledged, Answer, Connection, Established, Goodbye, Message
from .errors import (
    AddressInUse,
    ConnectionLost,
    InvalidConfiguration,
    PermissionDenied,
    HandshakeFailed,
    IpcError,
    NotConnected,
    RemoteError,
    ServerNotFound,
    SocketError,
    Timeout,
)

_READ_SIZE = 256 * 1024
_log = logging.getLogger("libipc")


class Channel:
    """One established connection to a peer, either side: write, receive,
    request and answer. :class:`Client` connects one; a :class:`Server`
    hands one (a :class:`Peer`) to its handler per client."""

    def __init__(self, connection: Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connection = connection
        self._reader = reader
        self._writer = writer
        self._messages: "asyncio.Queue[Optional[Message]]" = asyncio.Queue()
        self._requests: Dict[int, "asyncio.Future[Message]"] = {}
        self._request_ids = itertools.count(secrets.randbits(32) + 1)
        self._window_open = asyncio.Event()
        self._window_open.set()
        self._closed: Optional[IpcError] = None
        self._orderly = False  # ended by a goodbye or by close()
        self._reconnecting = False
        self._request_numbers: Dict[int, int] = {}  # request id -> its message's number
        self._ack_timer: Optional[asyncio.TimerHandle] = None
        self._reading: Optional["asyncio.Task[None]"] = None

    async def _handshake(self, where: str) -> None:
        while not self._connection.established:
            data = await self._reader.read(_READ_SIZE)
            if not data:
                if self._connection.phase == "noise" and not self._connection.is_server:
                    raise HandshakeFailed(
                        f"{where} closed the connection during the Noise handshake (a wrong pre-shared key?)"
                    )
                raise ConnectionLost(f"{where} closed the connection during the handshake")
            try:
                events = self._connection.feed(data)
            finally:
                self._flush()
            for event in events:
                self._dispatch(event)

    def _start_reading(self) -> None:
        self._reading = asyncio.get_running_loop().create_task(self._read_loop())

    # --- what the connection says
    @property
    def encryption(self) -> str:
        """The Noise protocol name, or "none"."""
        return self._connection.encryption

    @property
    def handshake_hash(self) -> bytes:
        return self._connection.handshake_hash

    @property
    def peer(self) -> wire.Hello:
        assert self._connection.peer is not None
        return self._connection.peer

    @property
    def is_connected(self) -> bool:
        return self._closed is None and not self._reconnecting

    def unconfirmed(self) -> List[Message]:
        """Messages written that the server has not confirmed yet, oldest
        first: after close() or a lost connection, what may not have arrived."""
        return self._connection.unconfirmed

    # --- sending
    def _flush(self) -> None:
        out = self._connection.take_output()
        if out and not self._writer.is_closing():
            self._writer.write(out)

    def _send(self, type_: int, data: bytes, tag: Optional[bytes] = None) -> None:
        if self._connection.peer is None:
            # A new connection before the peer's hello: numbered now, sent
            # right after this side's resume with what the peer has not confirmed.
            self._connection.hold(type_, data, tag)
        else:
            # Also on a broken connection: kept until confirmed, so the next resume sends it again.
            self._connection.send(type_, data, tag)
            self._flush()

    async def _drain(self) -> None:
        if not self._reconnecting:
            try:
                await self._writer.drain()
            except (ConnectionError, OSError):
                pass  # the read loop sees the loss and says what happens next

    def _check_open(self) -> None:
        if self._closed is not None:
            raise NotConnected(f"not connected: {self._closed}")

    async def _room(self) -> None:
        while self._connection.window_full:
            self._check_open()
            self._window_open.clear()
            await self._window_open.wait()

    async def write(self, type_: int, data: bytes) -> None:
        """Sends a message; waits while the window of unconfirmed messages
        is full (back-pressure), and while the socket's buffer drains."""
        self._check_open()
        await self._room()
        self._check_open()
        self._send(type_, bytes(data))
        await self._drain()

    async def request(self, type_: int, data: bytes, timeout: Optional[float] = 30.0) -> Message:
        """Sends a request and returns the reply. Raises RemoteError (with
        the peer's code and text), Timeout or ConnectionLost."""
        self._check_open()
        await self._room()
        self._check_open()
        request_id = next(self._request_ids)
        future: "asyncio.Future[Message]" = asyncio.get_running_loop().create_future()
        self._requests[request_id] = future
        try:
            self._send(type_, bytes(data), wire.token(wire.REQUEST, request_id))
            self._request_numbers[request_id] = self._connection.delivery.sent
            await self._drain()
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:
            raise Timeout(f"request {request_id} (type {type_}) had no reply within {timeout:g} s") from None
        finally:
            self._requests.pop(request_id, None)
            self._request_numbers.pop(request_id, None)

    async def reply(self, request: Message, type_: int, data: bytes) -> None:
        """Answers the peer's request."""
        self._check_open()
        self._send(type_, bytes(data), wire.token(wire.REPLY, request.request_id))
        await self._drain()

    async def reply_error(self, request: Message, code: int, text: str) -> None:
        """Answers the peer's request with an error (RemoteError there)."""
        self._check_open()
        self._send(request.type, text.encode(), wire.error_reply(request.request_id, code))
        await self._drain()

    # --- receiving
    async def receive(self) -> Message:
        """The next message (requests too: answer them with reply()).
        Raises the error that ended the connection once none is left."""
        message = await self._messages.get()
        if message is None:
            self._messages.put_nowait(None)  # for the next caller too
            assert self._closed is not None
            raise self._closed
        self._connection.delivered()
        self._acknowledge_soon()
        return message

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Message]:
        # Ends when the connection ended in order (a goodbye, or close());
        # raises the error that ended it otherwise.
        while True:
            try:
                yield await self.receive()
            except IpcError:
                if self._orderly:
                    return
                raise

    def _acknowledge_soon(self) -> None:
        if self._connection.ack_urgent:
            self._acknowledge()
        elif self._ack_timer is None and self._connection.ack_due:
            self._ack_timer = asyncio.get_running_loop().call_later(0.002, self._acknowledge)

    def _acknowledge(self) -> None:
        if self._ack_timer is not None:
            self._ack_timer.cancel()
            self._ack_timer = None
        if self._closed is None:
            self._connection.acknowledge()
            self._flush()

    def _dispatch(self, event: object) -> None:
        if isinstance(event, Message):
            self._messages.put_nowait(event)
        elif isinstance(event, Answer):
            self._connection.delivered()
            future = self._requests.get(event.request_id)
            if future is None or future.done():
                return  # it timed out: nobody asks any more
            if event.error_code is None:
                future.set_result(Message(event.type, event.data))
            else:
                future.set_exception(RemoteError(event.data.decode(errors="replace"), event.error_code))
        elif isinstance(event, Acknowledged):
            self._window_open.set()
        elif isinstance(event, Goodbye):
            self._orderly = True
            self._finish(ConnectionLost("the peer closed the connection"))
        elif isinstance(event, Established):
            pass

    async def _read_loop(self) -> None:
        error: IpcError
        try:
            while True:
                data = await self._reader.read(_READ_SIZE)
                if not data:
                    error = ConnectionLost("the peer went away without a goodbye")
                    break
                events = self._connection.feed(data)
                for event in events:
                    self._dispatch(event)
                self._acknowledge_soon()
                self._flush()
                if self._closed is not None:
                    return
        except IpcError as failure:
            error = failure
        except (ConnectionError, OSError) as failure:
            error = ConnectionLost(f"the connection broke: {failure}")
        except asyncio.CancelledError:
            return
        self._lost(error)

    def _lost(self, error: IpcError) -> None:
        """The connection broke: a Client resumes it when it can (below);
        otherwise this is the end."""
        self._finish(error)

    def _finish(self, error: IpcError) -> None:
        if self._closed is not None:
            return
        self._closed = error
        if self._ack_timer is not None:
            self._ack_timer.cancel()
        self._messages.put_nowait(None)
        self._window_open.set()
        for future in self._requests.values():
            if not future.done():
                future.set_exception(ConnectionLost(f"no reply: {error}"))
        self._writer.close()

    async def close(self) -> None:
        """Says goodbye and closes; unconfirmed() then lists what the server
        had not confirmed."""
        if self._closed is None:
            if self._connection.established:
                self._connection.goodbye()
                self._flush()
            self._orderly = True
            self._finish(NotConnected("the client was closed"))
        if self._reading is not None and self._reading is not asyncio.current_task():
            self._reading.cancel()
            try:
                await self._reading
            except asyncio.CancelledError:
                pass
        try:
            await self._writer.wait_closed()
        except (ConnectionError, OSError):
            pass

    async def __aenter__(self) -> "Channel":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class Client(Channel):
    """A connection to a libipc Server over the native protocol:
    encrypted unless the server offers plain and ``encryption_required``
    is False; with ``psk`` (32 bytes), only to a server with that key.

    When the connection breaks (no goodbye), the client connects again for
    up to ``reconnect_timeout`` seconds and resumes: each message is
    delivered exactly once, in order, both ways; across a server restart,
    what the old server had not confirmed is sent again (at least once), and
    a request it received but never answered fails with ConnectionLost.
    Writes meanwhile are held (up to the send window)."""

    _options: Dict[str, object]
    _where: Address
    _reconnect_timeout: Optional[float]
    _reconnection: Optional["asyncio.Task[None]"] = None
    _reconnections = 0

    @staticmethod
    async def _open(where: Address, timeout: float) -> "tuple[asyncio.StreamReader, asyncio.StreamWriter]":
        try:
            if where.path is not None:
                opened = asyncio.open_unix_connection(where.path, limit=_READ_SIZE)
            else:
                opened = asyncio.open_connection(where.host, where.port, limit=_READ_SIZE)
            return await asyncio.wait_for(opened, timeout)
        except (FileNotFoundError, ConnectionRefusedError) as error:
            raise ServerNotFound(f"failed to connect to {where}: {error.strerror or error}") from None
        except asyncio.TimeoutError:
            raise Timeout(f"the connection to {where} got no answer within {timeout:g} s") from None
        except OSError as error:
            raise SocketError(f"failed to connect to {where}: {error.strerror or error}") from None

    @classmethod
    async def connect(
        cls,
        address: str,
        *,
        psk: Optional[bytes] = None,
        encryption_required: bool = True,
        max_message_size: int = wire.DEFAULT_MAX_MESSAGE_SIZE,
        timeout: float = 10.0,
        reconnect_timeout: Optional[float] = 30.0,
    ) -> "Client":
        """Connects and completes the handshake, or raises the IpcError
        that says why not (ServerNotFound, EncryptionRequired,
        PreSharedKeyMismatch, HandshakeFailed, Timeout, ...)."""
        where = parse_address(address)
        reader, writer = await cls._open(where, timeout)
        options: Dict[str, object] = dict(
            psk=psk, encryption_required=encryption_required, max_message_size=max_message_size
        )
        client = cls(Connection(**options), reader, writer)  # type: ignore[arg-type]
        client._options = options
        client._where = where
        client._reconnect_timeout = reconnect_timeout
        try:
            await asyncio.wait_for(client._handshake(str(where)), timeout)
        except asyncio.TimeoutError:
            writer.close()
            raise Timeout(f"the handshake with {where} did not finish within {timeout:g} s") from None
        except BaseException:
            writer.close()
            raise
        client._start_reading()
        return client

    def _lost(self, error: IpcError) -> None:
        if not self._reconnect_timeout or not self._connection.resumable or self._closed is not None:
            self._finish(error)
            return
        self._reconnecting = True
        self._writer.close()
        self._reconnection = asyncio.get_running_loop().create_task(self._reconnect(error))

    async def _reconnect(self, error: IpcError) -> None:
        loop = asyncio.get_running_loop()
        assert self._reconnect_timeout is not None
        deadline = loop.time() + self._reconnect_timeout
        delay = 0.02
        last: IpcError = error
        while self._closed is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                reader, writer = await self._open(self._where, remaining)
            except IpcError as failure:
                last = failure
            else:
                connection = Connection(delivery=self._connection.delivery, **self._options)  # type: ignore[arg-type]
                previous = (self._connection, self._reader, self._writer)
                self._connection, self._reader, self._writer = connection, reader, writer
                try:
                    await asyncio.wait_for(self._handshake(str(self._where)), max(remaining, 0.1))
                except (IpcError, asyncio.TimeoutError, ConnectionError, OSError) as failure:
                    writer.close()
                    self._connection, self._reader, self._writer = previous
                    last = failure if isinstance(failure, IpcError) else ConnectionLost(str(failure) or "timeout")
                else:
                    self._resumed()
                    return
            await asyncio.sleep(min(delay, max(0.0, deadline - loop.time())))
            delay = min(delay * 2, 0.5)
        self._finish(
            ConnectionLost(
                f"the connection to {self._where} broke ({error}) and was not resumed within "
                f"{self._reconnect_timeout:g} s: {last}"
            )
        )

    @property
    def reconnections(self) -> int:
        """How many times a broken connection was resumed."""
        return self._reconnections

    def _resumed(self) -> None:
        self._reconnecting = False
        self._reconnections += 1
        if self._connection.peer_restarted:
            # The old process got these requests and will never answer them;
            # the ones it had not confirmed were sent again.
            confirmed = self._connection.delivery.confirmed
            for request_id, number in list(self._request_numbers.items()):
                future = self._requests.get(request_id)
                if number <= confirmed and future is not None and not future.done():
                    future.set_exception(ConnectionLost("the server restarted before answering"))
        self._window_open.set()
        self._start_reading()

    async def close(self) -> None:
        if self._reconnection is not None and not self._reconnection.done():
            self._reconnection.cancel()
        await super().close()

    async def __aenter__(self) -> "Client":
        return self


class Peer(Channel):
    """A client of a :class:`Server`, as the server's handler sees it.
    ``pid``, ``uid`` and ``gid`` come from the socket's credentials on
    Linux local sockets (None otherwise)."""

    pid: Optional[int] = None
    uid: Optional[int] = None
    gid: Optional[int] = None

    async def __aenter__(self) -> "Peer":
        return self


Handler = Callable[[Peer], Awaitable[None]]


class Server:
    """Listens at ``address`` and runs ``handler(peer)`` for each client
    once its handshake is done; the connection ends (with a goodbye) when
    the handler returns. Encrypted unless ``encryption`` is False; with
    ``psk`` (32 bytes) only clients with that key get in.

    A client whose handshake or bytes are wrong is dropped alone, and the
    reason logged (logger ``libipc``); the others go on.
    """

    def __init__(
        self,
        address: str,
        handler: Handler,
        *,
        psk: Optional[bytes] = None,
        encryption: bool = True,
        max_message_size: int = wire.DEFAULT_MAX_MESSAGE_SIZE,
        handshake_timeout: float = 10.0,
    ) -> None:
        if psk is not None and len(psk) != 32:
            raise InvalidConfiguration("a pre-shared key has 32 bytes")
        self._where = parse_address(address)
        self._handler = handler
        self._psk = psk
        self._encryption = encryption or psk is not None
        self._max_message_size = max_message_size
        self._handshake_timeout = handshake_timeout
        self._server: Optional[asyncio.base_events.Server] = None
        self._tasks: Set["asyncio.Task[None]"] = set()
        self.peers: Set[Peer] = set()

    @property
    def address(self) -> str:
        """Where it listens (a TCP address with the port it was given)."""
        if self._server is not None and self._where.path is None:
            host, port = self._server.sockets[0].getsockname()[:2]
            return str(Address(host=host, port=port))
        return str(self._where)

    async def start(self) -> None:
        """Listens; raises AddressInUse when a live server holds the address."""
        try:
            if self._where.path is not None:
                self._remove_stale_socket(self._where.path)
                self._server = await asyncio.start_unix_server(self._accept, self._where.path, limit=_READ_SIZE)
            else:
                self._server = await asyncio.start_server(
                    self._accept, self._where.host, self._where.port, limit=_READ_SIZE
                )
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise AddressInUse(f"{self._where} is in use by another server") from None
            if error.errno in (errno.EACCES, errno.EPERM):
                raise PermissionDenied(f"cannot listen at {self._where}: {error.strerror}") from None
            raise SocketError(f"cannot listen at {self._where}: {error.strerror or error}") from None

    @staticmethod
    def _remove_stale_socket(path: str) -> None:
        # A socket file nobody listens on is left over from a process that
        # died: it goes. One a server answers on is in use.
        if not os.path.exists(path):
            return
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
        except ConnectionRefusedError:
            os.unlink(path)
            return
        except OSError:
            return
        finally:
            probe.close()
        raise AddressInUse(f"{path} is in use by another server")

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        connection = Connection(
            self._psk, True, self._max_message_size, server=True, encryption=self._encryption
        )
        peer = Peer(connection, reader, writer)
        sock = writer.get_extra_info("socket")
        if sock is not None and sock.family == socket.AF_UNIX and hasattr(socket, "SO_PEERCRED"):
            credentials = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            peer.pid, peer.uid, peer.gid = struct.unpack("3i", credentials)
        try:
            writer.write(connection.take_output())  # the preamble (and, plain, the hello)
            await asyncio.wait_for(peer._handshake("the client"), self._handshake_timeout)
            peer._start_reading()
            self.peers.add(peer)
            await self._handler(peer)
        except asyncio.TimeoutError:
            _log.warning("a client completed no handshake within %g s: dropped", self._handshake_timeout)
        except IpcError as error:
            _log.warning("a client was dropped: %s: %s", type(error).__name__, error)
        except (ConnectionError, OSError) as error:
            _log.warning("a client's connection broke: %s", error)
        except asyncio.CancelledError:
            pass
        finally:
            self.peers.discard(peer)
            self._tasks.discard(task)
            await peer.close()

    async def close(self) -> None:
        """Stops listening, says goodbye to every client, removes its socket file."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._where.path is not None and os.path.exists(self._where.path):
            os.unlink(self._where.path)

    async def __aenter__(self) -> "Server":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
