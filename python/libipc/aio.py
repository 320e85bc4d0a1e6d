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
import collections
import errno
import itertools
import logging
import os
import secrets
import socket
import struct
from typing import Any, AsyncIterator, Awaitable, Callable, Deque, Dict, List, Optional, Set

from . import wire
from .address import Address, parse_address
from .connection import (
    Acknowledged,
    Answer,
    Connection,
    Delivery,
    Established,
    Event,
    Goodbye,
    Message,
    ObjectMessage,
    cbor_payload,
    decode_cbor,
)
from .errors import (
    AddressInUse,
    ConnectionLost,
    Error,
    InvalidArgument,
    InvalidConfiguration,
    PermissionDenied,
    HandshakeFailed,
    IpcError,
    NotConnected,
    ObjectNotFound,
    ProtocolMismatch,
    RemoteError,
    ServerNotFound,
    SocketError,
    Timeout,
    error_for,
)
from .objects import Interface
from .replica import Replica
from .source import ACQUIRE, EMISSION, LIST, MISSED, RELEASE, WITHDRAWN, ObjectHost

_READ_SIZE = 256 * 1024
_SEND_BUFFER_LIMIT = 16 * 1024 * 1024  # bytes queued for a peer that confirms nothing
_CALLS_IN_FLIGHT = 1024  # a peer's object calls running at once (async methods)
# Messages held for the application: above this the socket is not read.
_QUEUE_MESSAGES_LIMIT = 4096
_QUEUE_BYTES_LIMIT = 64 * 1024 * 1024
_log = logging.getLogger("libipc")


class Channel:
    """One established connection to a peer, either side: write, receive,
    request and answer. :class:`Client` connects one; a :class:`Server`
    hands one (a :class:`Peer`) to its handler per client."""

    def __init__(
        self,
        connection: Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        host: Optional[ObjectHost] = None,
    ) -> None:
        self._connection = connection
        self._host = host  # the objects this side exposes, if any
        self._replicas: Dict[int, List[Replica]] = {}  # by the source's handle
        self._object_backlog: Deque[ObjectMessage] = collections.deque()  # calls held while there is no room
        self._calls_in_flight = 0  # the peer's calls of async methods not finished yet
        self._queued_bytes = 0
        self._room_to_read = asyncio.Event()
        self._earlier_stream = 0  # queued messages (at the queue's head) from a peer stream that ended
        self._background: Set["asyncio.Task[None]"] = set()
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
        self._heartbeat_interval: Optional[float] = None
        self._heartbeat: Optional["asyncio.Task[None]"] = None
        self._last_heard = 0.0

    async def _handshake(self, where: str) -> None:
        for event in await self._handshake_events(where):
            self._dispatch(event)

    async def _handshake_events(self, where: str) -> List[Event]:
        """Feeds the connection until it is established; returns what
        happened meanwhile (a resumed connection's first messages too)."""
        happened: List[Event] = []
        while not self._connection.established:
            data = await self._reader.read(_READ_SIZE)
            if not data:
                if self._connection.phase == "noise" and not self._connection.is_server:
                    raise HandshakeFailed(
                        f"{where} closed the connection during the Noise handshake (a wrong pre-shared key?)"
                    )
                raise ConnectionLost(f"{where} closed the connection during the handshake")
            try:
                happened += self._connection.feed(data)
            finally:
                self._flush()
        return happened

    def _start_reading(self) -> None:
        loop = asyncio.get_running_loop()
        self._last_heard = loop.time()
        self._reading = loop.create_task(self._read_loop())
        if self._heartbeat_interval and self._heartbeat is None:
            self._heartbeat = loop.create_task(self._beat(self._heartbeat_interval))

    async def _beat(self, interval: float) -> None:
        # A peer silent for one interval is pinged; for two, it is dead (section 6).
        loop = asyncio.get_running_loop()
        while self._closed is None:
            await asyncio.sleep(interval / 2)
            if self._reconnecting or self._closed is not None:
                continue
            silent = loop.time() - self._last_heard
            if silent >= 2 * interval:
                if self._reading is not None:
                    self._reading.cancel()
                self._lost(ConnectionLost(f"the peer gave no sign of life for {silent:.1f} s (heartbeat {interval:g} s)"))
            elif silent >= interval:
                self._connection.ping()
                self._flush()

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
        # Without a socket to write to, the bytes stay with the connection: a
        # server's resumed peer writes before its new socket is handed over.
        if self._writer.is_closing():
            return
        out = self._connection.take_output()
        if out:
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
        return await self._call(wire.REQUEST, type_, bytes(data), timeout, "request")

    async def _call(self, kind: int, type_: int, data: bytes, timeout: Optional[float], what: str) -> Message:
        self._check_open()
        await self._room()
        self._check_open()
        request_id = next(self._request_ids)
        future: "asyncio.Future[Message]" = asyncio.get_running_loop().create_future()
        self._requests[request_id] = future
        try:
            self._send(type_, data, wire.token(kind, request_id))
            self._request_numbers[request_id] = self._connection.delivery.sent
            await self._drain()
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:
            raise Timeout(f"{what} {request_id} (type {type_}) had no reply within {timeout:g} s") from None
        finally:
            self._requests.pop(request_id, None)
            self._request_numbers.pop(request_id, None)

    async def reply(self, request: Message, type_: int, data: bytes) -> None:
        """Answers the peer's request; waits while the send window is full."""
        await self._room()
        self._check_open()
        self._send(type_, bytes(data), wire.token(wire.REPLY, request.request_id))
        await self._drain()

    async def reply_error(self, request: Message, code: int, text: str) -> None:
        """Answers the peer's request with an error (RemoteError there)."""
        await self._room()
        self._check_open()
        self._send(request.type, text.encode(), wire.error_reply(request.request_id, code))
        await self._drain()

    # --- remote objects (docs/PROTOCOL.md, section 7c)
    async def acquire(self, name: str, timeout: Optional[float] = 30.0) -> Replica:
        """A replica of the object the peer exposes as ``name``: its
        interface and property values as they are now, then its signals.
        Raises ObjectNotFound (naming what is exposed), ProtocolMismatch
        (the peer has no remote objects), Timeout or ConnectionLost."""
        answer = await self._object_call(ACQUIRE, {"name": name}, timeout)
        replica = Replica(self, name, answer)
        self._replicas.setdefault(replica.handle, []).append(replica)
        return replica

    async def objects(self, timeout: Optional[float] = 30.0) -> Dict[str, Interface]:
        """The objects the peer exposes, with their interfaces."""
        answer = await self._object_call(LIST, None, timeout)
        try:
            return {str(entry["name"]): Interface.from_cbor(entry.get("interface")) for entry in answer}
        except (TypeError, KeyError, AttributeError):
            raise InvalidArgument("the peer's list of objects is malformed") from None

    def expose(self, name: str, instance: Any) -> None:
        """Lets the peer acquire ``instance`` (see :mod:`libipc.objects`)
        as ``name``; InvalidConfiguration when its class cannot be described."""
        if self._host is None:
            self._host = ObjectHost()
        self._host.expose(name, instance)

    def unexpose(self, name: str) -> None:
        """Withdraws an object expose() offered: its replicas are told."""
        if self._host is None:
            raise ObjectNotFound(f"no object is exposed as {name}")
        self._host.unexpose(name)

    async def _object_call(self, operation: int, value: Any, timeout: Optional[float]) -> Any:
        if self._connection.peer is not None and not self._connection.peer.features & wire.FEATURE_OBJECTS:
            raise ProtocolMismatch(f"the peer ({self._connection.peer.library}) has no remote objects")
        try:
            answer = await self._call(wire.OBJECT, operation, cbor_payload(value), timeout, "object call")
        except RemoteError as error:
            raise error_for(Error(error.code), str(error)) if error.code in Error._value2member_map_ else error
        return decode_cbor(answer.data, "the answer to an object call")

    @property
    def _window_full(self) -> bool:
        """No room for more to the peer: its window of unconfirmed messages, or
        (a peer that confirms nothing) the socket's buffer."""
        if self._connection.window_full:
            return True
        transport = self._writer.transport
        return transport is not None and transport.get_write_buffer_size() >= _SEND_BUFFER_LIMIT

    def _object_send(self, operation: int, value: Any, tag: Optional[bytes] = None) -> None:
        if self._closed is not None:
            return
        try:
            self._send(operation, cbor_payload(value), tag or wire.token(wire.OBJECT, 0))
        except IpcError as error:
            _log.warning("object message (operation %d) not sent: %s", operation, error)

    def _object_answer(self, call_id: int, operation: int, value: Any) -> None:
        try:
            data = cbor_payload(value)
        except InvalidArgument as error:
            self._object_fail(call_id, operation, Error.InvalidArgument, f"the result cannot be sent: {error}")
            return
        peer = self._connection.peer
        if peer is not None and len(data) > peer.max_message_size:  # refused for that call only
            self._object_fail(
                call_id, operation, Error.InvalidArgument,
                f"the answer is {len(data)} bytes, over the caller's maximum of {peer.max_message_size}",
            )
            return
        if self._closed is None:
            self._send(operation, data, wire.token(wire.REPLY, call_id))

    def _object_fail(self, call_id: int, operation: int, code: int, text: str) -> None:
        if self._closed is None:
            self._send(operation, text.encode(), wire.error_reply(call_id, code))

    @property
    def _object_room_full(self) -> bool:
        return self._window_full or self._calls_in_flight >= _CALLS_IN_FLIGHT

    def _take_object_backlog(self) -> None:
        while self._object_backlog and not self._object_room_full and self._closed is None:
            self._connection.delivered()
            self._on_object(self._object_backlog.popleft())
        self._acknowledge_soon()
        self._room_to_read.set()

    def _forget_replica(self, handle: int, replica: Replica) -> None:
        replicas = self._replicas.get(handle, [])
        if replica in replicas:
            replicas.remove(replica)
        if not replicas:
            self._replicas.pop(handle, None)

    def _on_object(self, event: ObjectMessage) -> None:
        what = f"object message (operation {event.operation})"
        try:
            value = decode_cbor(event.data, what)
        except InvalidArgument as error:
            if event.call_id:
                self._object_fail(event.call_id, event.operation, Error.ProtocolError, str(error))
            _log.warning("%s", error)
            return
        if event.operation in (EMISSION, MISSED, WITHDRAWN):
            self._on_replica_message(event.operation, value)
        elif self._host is not None:
            self._host.on_message(self, event.call_id, event.operation, value)
        elif event.operation == LIST and event.call_id:
            self._object_answer(event.call_id, LIST, [])
        elif event.call_id:
            self._object_fail(event.call_id, event.operation, Error.ObjectNotFound, "this peer exposes no objects")

    def _on_replica_message(self, operation: int, value: Any) -> None:
        if not isinstance(value, list) or len(value) < 2 or not isinstance(value[0], int):
            _log.warning("a malformed object message (operation %d): ignored", operation)
            return
        for replica in list(self._replicas.get(value[0], [])):
            if operation == EMISSION and len(value) == 4:
                replica._on_emission(value[1], value[2], value[3])
            elif operation == MISSED and len(value) == 3:
                replica._on_missed(value[1], value[2])
            elif operation == WITHDRAWN:
                self._forget_replica(value[0], replica)
                replica._set_state("gone", ObjectNotFound(f"{replica.name} was withdrawn: {value[1]}"))

    def _replicas_become(self, state: str) -> None:
        """suspect while the connection is being resumed, valid once it is."""
        for replicas in self._replicas.values():
            for replica in replicas:
                replica._set_state(state)

    def _replicas_lost(self, error: IpcError) -> None:
        for replicas in list(self._replicas.values()):
            for replica in replicas:
                replica._set_state("gone", error)
        self._replicas.clear()

    # --- receiving
    async def receive(self) -> Message:
        """The next message (requests too: answer them with reply()).
        Raises the error that ended the connection once none is left."""
        message = await self._messages.get()
        if message is None:
            self._messages.put_nowait(None)  # for the next caller too
            assert self._closed is not None
            raise self._closed
        self._queued_bytes -= len(message.data)
        if self._earlier_stream:  # an earlier stream's (the peer restarted): not the new one's to count
            self._earlier_stream -= 1
        else:
            self._connection.delivered()
        self._acknowledge_soon()
        self._room_to_read.set()
        return message

    @property
    def _holding_too_much(self) -> bool:
        return (
            self._messages.qsize() >= _QUEUE_MESSAGES_LIMIT
            or self._queued_bytes >= _QUEUE_BYTES_LIMIT
            or len(self._object_backlog) >= _QUEUE_MESSAGES_LIMIT
        )

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
            self._queued_bytes += len(event.data)
        elif isinstance(event, Answer):
            self._connection.delivered()
            future = self._requests.get(event.request_id)
            if future is None or future.done():
                return  # it timed out: nobody asks any more
            if event.error_code is None:
                future.set_result(Message(event.type, event.data))
            else:
                future.set_exception(RemoteError(event.data.decode(errors="replace"), event.error_code))
        elif isinstance(event, ObjectMessage):
            # Taken only while there is room for the answer: otherwise held, not
            # acknowledged, so a peer that confirms nothing runs out of window.
            if self._object_backlog or self._object_room_full:
                self._object_backlog.append(event)
            else:
                self._connection.delivered()
                self._on_object(event)
        elif isinstance(event, Acknowledged):
            self._window_open.set()
            if self._host is not None:
                self._host.window_opened(self)
            self._take_object_backlog()
        elif isinstance(event, Goodbye):
            self._orderly = True
            self._finish(ConnectionLost("the peer closed the connection"))
        elif isinstance(event, Established):
            if self._connection.peer_stream_changed:
                self._earlier_stream = self._messages.qsize()

    async def _read_loop(self) -> None:
        error: IpcError
        try:
            while True:
                data = await self._reader.read(_READ_SIZE)
                if not data:
                    error = ConnectionLost("the peer went away without a goodbye")
                    break
                self._last_heard = asyncio.get_running_loop().time()
                events = self._connection.feed(data)
                for event in events:
                    self._dispatch(event)
                self._acknowledge_soon()
                self._flush()
                if self._closed is not None:
                    return
                # A peer that ignores its window cannot make this side hold without end.
                while self._holding_too_much and self._closed is None:
                    self._room_to_read.clear()
                    await self._room_to_read.wait()
        except IpcError as failure:
            for event in getattr(failure, "events", ()):  # accepted before the bad part
                self._dispatch(event)
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
        self._room_to_read.set()
        if self._ack_timer is not None:
            self._ack_timer.cancel()
        if self._heartbeat is not None and self._heartbeat is not asyncio.current_task():
            self._heartbeat.cancel()
        self._messages.put_nowait(None)
        self._window_open.set()
        for future in self._requests.values():
            if not future.done():
                future.set_exception(ConnectionLost(f"no reply: {error}"))
        if self._host is not None:
            self._host.forget(self)
        self._replicas_lost(error)
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
    Writes meanwhile are held (up to the send window).

    With ``heartbeat_interval`` (seconds) the client pings a server silent
    for that long, and takes one silent for twice that long as dead: the
    connection is then resumed as if it had broken."""

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
        heartbeat_interval: Optional[float] = None,
    ) -> "Client":
        """Connects and completes the handshake, or raises the IpcError
        that says why not (ServerNotFound, EncryptionRequired,
        PreSharedKeyMismatch, HandshakeFailed, Timeout, ...)."""
        where = parse_address(address)
        if psk is not None and len(psk) != 32:  # said before a socket is opened
            raise InvalidConfiguration(f"a pre-shared key has 32 bytes, not {len(psk)}")
        reader, writer = await cls._open(where, timeout)
        options: Dict[str, object] = dict(
            psk=psk, encryption_required=encryption_required, max_message_size=max_message_size
        )
        client = cls(Connection(**options), reader, writer)  # type: ignore[arg-type]
        client._options = options
        client._where = where
        client._reconnect_timeout = reconnect_timeout
        client._heartbeat_interval = heartbeat_interval
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
        self._replicas_become("suspect")
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
            if self._host is not None:
                self._host.forget(self)  # the new process acquired nothing yet
            replicas = [r for rs in self._replicas.values() for r in rs]
            self._replicas.clear()
            for replica in replicas:
                task = asyncio.get_running_loop().create_task(self._reacquire(replica))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
        else:
            self._replicas_become("valid")
        self._window_open.set()
        self._start_reading()

    async def _reacquire(self, replica: Replica) -> None:
        # The source's process restarted: its handles are new, its values may differ.
        try:
            answer = await self._object_call(ACQUIRE, {"name": replica.name}, 30.0)
        except IpcError as error:
            replica._set_state("gone", error)
            return
        if replica.state == "released":  # released meanwhile: the new process lets it go too
            self._object_send(RELEASE, {"handle": answer.get("handle") if isinstance(answer, dict) else None})
            return
        replica._reacquired(answer)
        self._replicas.setdefault(replica.handle, []).append(replica)

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
    _server: "Server"
    _claimant: Optional[Connection] = None  # the new connection resuming this one
    _resume_timer: Optional[asyncio.TimerHandle] = None

    @property
    def instance(self) -> int:
        """The client's instance (its stream id): the same across its reconnects."""
        return self.peer.instance

    def _lost(self, error: IpcError) -> None:
        # A client that acknowledges may come back and resume, for resume_timeout.
        timeout = self._server._resume_timeout
        if not timeout or not self._connection.resumable or self._closed is not None or self._reconnecting:
            self._finish(error)
            return
        self._reconnecting = True
        self._writer.close()
        self._replicas_become("suspect")
        self._resume_timer = asyncio.get_running_loop().call_later(
            timeout, self._finish, ConnectionLost(f"{error}; the client did not come back within {timeout:g} s")
        )

    def _cut(self) -> None:
        """The same client connected again: this connection is replaced
        (when the new one's handshake fails, the client may still come back)."""
        if not self._reconnecting:
            if self._reading is not None:
                self._reading.cancel()
            self._lost(ConnectionLost("the client connected again"))

    def _adopt(self, connection: Connection) -> Delivery:
        """A new connection from the same client continues this one; its
        handshake is still under way. What this side writes from now on is
        numbered on it, after the resume and what it sends again."""
        delivery = self._connection.delivery
        self._cut()
        self._claimant = connection
        self._connection = connection
        return delivery

    def _take_over(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._resume_timer is not None:
            self._resume_timer.cancel()
            self._resume_timer = None
        self._reader, self._writer = reader, writer
        self._claimant = None
        self._reconnecting = False
        self._flush()  # what was written while the handshake ended
        self._replicas_become("valid")
        self._window_open.set()
        self._start_reading()

    def _finish(self, error: IpcError) -> None:
        if self._resume_timer is not None:
            self._resume_timer.cancel()
        if self._connection.peer is not None and self._server._by_instance.get(self.instance) is self:
            del self._server._by_instance[self.instance]
        super()._finish(error)

    async def __aenter__(self) -> "Peer":
        return self


Handler = Callable[[Peer], Awaitable[None]]


class Server:
    """Listens at ``address`` and runs ``handler(peer)`` for each client
    once its handshake is done; the connection ends (with a goodbye) when
    the handler returns. Encrypted unless ``encryption`` is False; with
    ``psk`` (32 bytes) only clients with that key get in.

    A client whose handshake or bytes are wrong is dropped alone, and the
    reason logged (logger ``libipc``); the others go on. With
    ``heartbeat_interval`` (seconds) a client silent for that long is
    pinged, and one silent for twice that long is taken as gone.

    A client that acknowledges (every libipc client) and whose connection
    breaks may come back within ``resume_timeout`` seconds and resume: its
    handler goes on with the same :class:`Peer`, each message exactly once,
    in order; after that time the peer ends with ConnectionLost.
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
        heartbeat_interval: Optional[float] = None,
        resume_timeout: Optional[float] = 30.0,
    ) -> None:
        if psk is not None and len(psk) != 32:
            raise InvalidConfiguration("a pre-shared key has 32 bytes")
        self._where = parse_address(address)
        self._handler = handler
        self._psk = psk
        self._encryption = encryption or psk is not None
        self._max_message_size = max_message_size
        self._handshake_timeout = handshake_timeout
        self._heartbeat_interval = heartbeat_interval
        self._resume_timeout = resume_timeout
        self._instance = secrets.randbits(64) or 1  # this process, as clients see it
        self._by_instance: Dict[int, Peer] = {}  # clients that may resume, by their instance
        self.resumptions = 0  # connections that continued a client's earlier one
        self._server: Optional[asyncio.base_events.Server] = None
        self._tasks: Set["asyncio.Task[None]"] = set()
        self._host = ObjectHost()
        self.peers: Set[Peer] = set()

    def expose(self, name: str, instance: Any) -> None:
        """Lets every client acquire ``instance`` as ``name`` (a Qt replica
        calls its methods, sets and watches its properties, receives its
        signals; see :mod:`libipc.objects`). InvalidConfiguration when the
        name is taken or the class cannot be described."""
        self._host.expose(name, instance)

    def unexpose(self, name: str) -> None:
        """Withdraws the object: its replicas are told."""
        self._host.unexpose(name)

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
        connection: Connection

        def adopt(hello: wire.Hello) -> Optional[Delivery]:
            # The same client instance again: its connection broke (or is
            # about to be found broken); this one continues its streams.
            earlier = self._by_instance.get(hello.instance)
            if earlier is None or earlier._closed is not None:
                return None
            return earlier._adopt(connection)

        connection = Connection(
            self._psk, True, self._max_message_size, server=True, encryption=self._encryption,
            instance=self._instance, adopt=adopt if self._resume_timeout else None,
        )
        peer = Peer(connection, reader, writer, self._host)
        peer._server = self
        taken_over = False
        peer._heartbeat_interval = self._heartbeat_interval
        sock = writer.get_extra_info("socket")
        if sock is not None and sock.family == socket.AF_UNIX and hasattr(socket, "SO_PEERCRED"):
            credentials = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            peer.pid, peer.uid, peer.gid = struct.unpack("3i", credentials)
        try:
            writer.write(connection.take_output())  # the preamble (and, plain, the hello)
            events = await asyncio.wait_for(peer._handshake_events("the client"), self._handshake_timeout)
            if connection.resumed:
                earlier = self._by_instance.get(connection.peer.instance)  # type: ignore[union-attr]
                if earlier is None or earlier._claimant is not connection:
                    return  # it was given up meanwhile, or another connection claimed it
                earlier._take_over(reader, writer)
                earlier.pid, earlier.uid, earlier.gid = peer.pid, peer.uid, peer.gid
                self.resumptions += 1
                for event in events:
                    earlier._dispatch(event)
                taken_over = True  # its handler goes on; this task has nothing more to do
                return
            for event in events:
                peer._dispatch(event)
            if connection.resumable:
                self._by_instance[connection.peer.instance] = peer  # type: ignore[union-attr]
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
            self._tasks.discard(task)
            if taken_over:
                pass
            elif connection.resumed:
                writer.close()  # a resumption that did not happen: no goodbye on another's streams
            else:
                self.peers.discard(peer)
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
        await self._host.close()
        if self._where.path is not None and os.path.exists(self._where.path):
            os.unlink(self._where.path)

    async def __aenter__(self) -> "Server":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
