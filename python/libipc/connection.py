"""One connection's protocol state, either side, without I/O (sans-IO):
bytes from the peer go in through :meth:`Connection.feed`, which returns
what happened; bytes for the peer come out of
:meth:`Connection.take_output`. The asyncio client and server drive it
over a socket.
"""

from __future__ import annotations

import io
import os
import secrets
import struct
import sys
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, List, Optional, Union

import cbor2

from . import noise, wire
from .errors import (
    EncryptionRequired,
    HandshakeFailed,
    InvalidArgument,
    InvalidMessageType,
    IpcError,
    MessageTooLarge,
    PermissionDenied,
    PreSharedKeyMismatch,
    ProtocolError,
    ProtocolMismatch,
    ServerFull,
)

LIBRARY = "libipc-python 0.1.0"


@dataclass
class Message:
    """A message from the peer. ``request_id`` is nonzero for a request,
    which the receiver answers with ``reply()`` or ``reply_error()``."""

    type: int
    data: bytes
    request_id: int = 0

    @property
    def is_request(self) -> bool:
        return self.request_id != 0

    def cbor(self) -> Any:
        """The data read as one CBOR item (what a C++ peer's writeCbor()
        or a reply with a QCborMap sends); InvalidArgument when it is not."""
        return decode_cbor(self.data, f"message type {self.type}")


def decode_cbor(data: bytes, what: str) -> Any:
    """``data`` as exactly one CBOR item, or InvalidArgument naming ``what``."""
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(stream).decode()
    except (cbor2.CBORDecodeError, ValueError, EOFError) as error:
        raise InvalidArgument(f"{what} does not hold CBOR: {error}") from None
    if value is cbor2.break_marker:
        raise InvalidArgument(f"{what} does not hold CBOR: a lone break code")
    if stream.tell() != len(data):
        raise InvalidArgument(f"{what} holds {len(data) - stream.tell()} bytes after its CBOR item")
    return value


def cbor_payload(value: Any) -> bytes:
    """``value`` (dicts, lists, str, bytes, int, float, bool, None, ...) as
    CBOR, for write() and request(): what a C++ peer reads with toCbor()."""
    try:
        return bytes(cbor2.dumps(value))
    except (cbor2.CBOREncodeError, TypeError, ValueError) as error:
        raise InvalidArgument(f"the value cannot be written as CBOR: {error}") from None


@dataclass
class Answer:
    """The answer to our request ``request_id``: a reply, or an error
    reply when ``error_code`` is not None (``data`` is then its text)."""

    request_id: int
    type: int
    data: bytes
    error_code: Optional[int] = None


@dataclass
class ObjectMessage:
    """Remote-object traffic (section 7c): ``call_id`` is 0 when one-way."""

    call_id: int
    operation: int
    data: bytes


@dataclass
class Established:
    peer: wire.Hello


@dataclass
class Acknowledged:
    count: int  # how many of our messages left the window


@dataclass
class Goodbye:
    pass


Event = Union[Message, Answer, ObjectMessage, Established, Acknowledged, Goodbye]


@dataclass
class _Sent:
    type: int
    data: bytes
    tag: Optional[bytes]


class Delivery:
    """Both directions' delivery state, which outlives a connection so the
    next one can resume (section 7): our stream (its id, how many we
    numbered, what the peer has not confirmed) and the peer's (its id, how
    many of its messages arrived and how many the application took)."""

    def __init__(self) -> None:
        self.stream = secrets.randbits(64) or 1  # our stream's id: the hello's instance
        self.unconfirmed: Deque[_Sent] = deque()
        self.unconfirmed_bytes = 0
        self.sent = 0  # messages numbered so far on our stream
        self.peer_stream = 0
        self.peer_instance = 0  # the peer's hello instance: a new one is a new process
        self.received = 0  # the peer's messages accepted (queued for the application)
        self.delivered = 0  # ... of those, taken by the application
        self.acked = 0  # the delivered count we last told the peer

    @property
    def confirmed(self) -> int:
        """How many of our messages the peer confirmed."""
        return self.sent - len(self.unconfirmed)

    def confirm(self, delivered: int) -> int:
        """The peer delivered our first ``delivered`` messages; returns how
        many left the window."""
        if delivered > self.sent:
            raise ProtocolError(f"an ack for {delivered} messages; {self.sent} were sent")
        count = 0
        while self.confirmed < delivered:
            self.unconfirmed_bytes -= len(self.unconfirmed.popleft().data)
            count += 1
        return count


class Connection:
    """One side of the native protocol, version 3. A client waits for the
    preamble; a server (``server=True``) writes it at once, offering
    encryption unless ``encryption`` is False (``psk``: NNpsk0)."""

    def __init__(
        self,
        psk: Optional[bytes] = None,
        encryption_required: bool = True,
        max_message_size: int = wire.DEFAULT_MAX_MESSAGE_SIZE,
        window_messages: int = 65536,
        window_bytes: int = 16 * 1024 * 1024,
        *,
        server: bool = False,
        encryption: bool = True,
        delivery: Optional[Delivery] = None,
        instance: int = 0,
        adopt: Optional[Callable[[wire.Hello], Optional[Delivery]]] = None,
    ) -> None:
        if psk is not None and len(psk) != 32:
            raise ValueError("a pre-shared key has 32 bytes")
        self._psk = psk
        self._encryption_required = encryption_required
        self.is_server = server
        self._peer_name = "client" if server else "server"
        self.max_message_size = wire.effective_max_size(max_message_size)
        self.window_messages = window_messages
        self.window_bytes = window_bytes
        # A client's stays across its connections; a new one starts afresh.
        self.delivery = delivery if delivery is not None else Delivery()
        # The hello's instance: a client's is its stream id, a server's its own.
        self._instance = instance
        # A server's way to continue a client's earlier delivery state (resumption).
        self._adopt = adopt
        self.resumed = False  # it continues an earlier connection's delivery state
        self._input = bytearray()
        self._output = bytearray()
        self._state = "preamble"
        self._handshake: Optional[noise.Handshake] = None
        self._send_cipher = noise.CipherState()
        self._receive_cipher = noise.CipherState()
        self.encryption = "none"
        self.handshake_hash = b""
        self.peer: Optional[wire.Hello] = None
        self._acknowledging = False
        self._tag: Optional[wire.Tag] = None
        self._next_sequence = 0  # the number of the peer's next message on this connection
        self.peer_restarted = False  # the peer is a new process: it confirmed nothing of ours
        self.pongs = 0  # answers to our pings
        self.peer_stream_changed = False
        # A server speaks first: the preamble, and when plain its hello.
        if server:
            self._mode = wire.MODE_PLAIN if not encryption else (wire.MODE_NNPSK0 if psk else wire.MODE_NN)
            self._output += bytes([wire.VERSION, self._mode])
            if self._mode == wire.MODE_PLAIN:
                self._write_control(self._hello().encode())  # it depends on nothing the client says
            self._state = "reply"

    # --- state
    @property
    def established(self) -> bool:
        return self._state == "established"

    @property
    def phase(self) -> str:
        """preamble, reply, noise, hello, resume, established or closed."""
        return self._state

    @property
    def unconfirmed(self) -> List[Message]:
        """Messages sent and not yet confirmed by the peer, oldest first."""
        return [Message(sent.type, sent.data) for sent in self.delivery.unconfirmed]

    @property
    def window_full(self) -> bool:
        d = self.delivery
        return len(d.unconfirmed) >= self.window_messages or d.unconfirmed_bytes >= self.window_bytes

    @property
    def resumable(self) -> bool:
        """Both sides acknowledge: a broken connection can be resumed."""
        return self._acknowledging

    def take_output(self) -> bytes:
        out = bytes(self._output)
        self._output.clear()
        return out

    # --- sending
    def _write_frame(self, body: bytes) -> None:
        self._output += wire.frame(self._send_cipher.encrypt(body))

    def _write_control(self, data: bytes) -> None:
        self._write_frame(wire.body(0, data))

    def send(self, type_: int, data: bytes, tag: Optional[bytes] = None) -> None:
        """Writes a user message (preceded by ``tag``, a control message)."""
        if type_ <= 0:
            raise InvalidMessageType(f"write refused: type {type_} is reserved (types start at 1)")
        assert self.peer is not None
        if len(data) > self.peer.max_message_size:
            raise MessageTooLarge(
                f"write refused: {len(data)} bytes is over the peer's maximum of {self.peer.max_message_size}"
            )
        self._write_message(type_, data, tag)
        d = self.delivery
        d.sent += 1
        if self._acknowledging:
            d.unconfirmed.append(_Sent(type_, data, tag))
            d.unconfirmed_bytes += len(data)

    def hold(self, type_: int, data: bytes, tag: Optional[bytes] = None) -> None:
        """Numbers a message while there is no connection: the next one
        sends it after its resume, with those the peer has not confirmed."""
        if type_ <= 0:
            raise InvalidMessageType(f"write refused: type {type_} is reserved (types start at 1)")
        d = self.delivery
        d.sent += 1
        d.unconfirmed.append(_Sent(type_, data, tag))
        d.unconfirmed_bytes += len(data)

    def _write_message(self, type_: int, data: bytes, tag: Optional[bytes]) -> None:
        if tag is not None:
            self._write_control(tag)
        self._write_frame(wire.body(type_, data))

    def ping(self) -> None:
        """Asks the peer for a sign of life (a heartbeat)."""
        self._write_control(wire.token(wire.PING, self.pongs))

    def goodbye(self) -> None:
        self.acknowledge()
        self._write_control(wire.token(wire.GOODBYE))

    def delivered(self, count: int = 1) -> None:
        """``count`` of the peer's messages were handed to the application."""
        self.delivery.delivered += count

    @property
    def ack_due(self) -> bool:
        # Not before the connection is established: its resume says it then.
        return self._acknowledging and self.established and self.delivery.delivered > self.delivery.acked

    @property
    def ack_urgent(self) -> bool:
        """A quarter of the peer's window delivered since the last ack."""
        if not self.ack_due or self.peer is None:
            return False
        quarter = max(1, self.peer.window_messages // 4) if self.peer.window_messages else 1
        return self.ack_due and self.delivery.delivered - self.delivery.acked >= quarter

    def acknowledge(self) -> None:
        if self.ack_due:
            self.delivery.acked = self.delivery.delivered
            self._write_control(wire.token(wire.ACK, self.delivery.delivered))

    # --- receiving
    def feed(self, data: bytes) -> List[Event]:
        """Takes bytes from the server; returns what they mean. Raises an
        IpcError when the connection must end."""
        self._input += data
        events: List[Event] = []
        try:
            self._feed(events)
        except IpcError as error:
            # What came before the bad part was accepted (and counted): the caller still hands it on.
            error.events = events  # type: ignore[attr-defined]
            raise
        return events

    def _feed(self, events: List[Event]) -> None:
        while True:
            if self._state == "preamble":
                if len(self._input) < 2:
                    break
                version, mode = self._input[0], self._input[1]
                del self._input[:2]
                self._on_preamble(version, mode)
                continue
            if self._state == "reply":
                if not self._input:
                    break
                reply = self._input[0]
                del self._input[:1]
                self._on_reply(reply)
                continue
            body = self._next_frame()
            if body is None:
                break
            if self._state == "noise":
                self._on_noise(body)
            else:
                self._on_body(self._receive_cipher.decrypt(body), events)
            if self._state == "closed":
                break

    def _next_frame(self) -> Optional[bytes]:
        if len(self._input) < 4:
            return None
        (length,) = struct.unpack_from(">I", self._input)
        if self._state in ("noise", "hello"):
            limit = wire.HANDSHAKE_FRAME_LIMIT
        else:
            limit = self.max_message_size + 4 + (16 if self._receive_cipher.has_key else 0)
        if length > limit:  # checked before any room is made for it
            raise MessageTooLarge(f"the {self._peer_name} sent a frame of {length} bytes; the limit is {limit}")
        if len(self._input) < 4 + length:
            return None
        body = bytes(self._input[4 : 4 + length])
        del self._input[: 4 + length]
        return body

    def _hello(self) -> wire.Hello:
        return wire.Hello(
            self.max_message_size,
            os.getpid(),
            os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python",
            LIBRARY,
            wire.FEATURE_ACKS | wire.FEATURE_REQUESTS | wire.FEATURE_OBJECTS,
            self._instance or self.delivery.stream,
            self.window_messages,
            min(self.window_bytes, 0xFFFFFFFF),
        )

    def _refuse(self, reply: int, error: IpcError) -> IpcError:
        self._output += bytes([reply])
        self._state = "closed"
        return error

    def _on_preamble(self, version: int, mode: int) -> None:
        if version != wire.VERSION:
            what = "golang-ipc's protocol version 2" if version == 2 else f"protocol version {version}"
            raise self._refuse(
                wire.REPLY_VERSION, ProtocolMismatch(f"the server speaks {what}; this client speaks version 3")
            )
        if mode == wire.MODE_ACCESS_DENIED:
            raise PermissionDenied("the server accepts only its own user's processes")
        if mode == wire.MODE_SERVER_FULL:
            raise ServerFull("the server is full")
        if mode == wire.MODE_PLAIN:
            if self._encryption_required:
                raise self._refuse(
                    wire.REPLY_ENCRYPTION_REQUIRED,
                    EncryptionRequired("the server offers no encryption and this client requires it"),
                )
            if self._psk is not None:
                raise self._refuse(
                    wire.REPLY_PSK_MISMATCH,
                    PreSharedKeyMismatch("this client has a pre-shared key and the server offers plain"),
                )
            self._output += bytes([wire.REPLY_OK])
            self._write_control(self._hello().encode())
            self._state = "hello"
            return
        if mode not in (wire.MODE_NN, wire.MODE_NNPSK0):
            raise self._refuse(wire.REPLY_UNKNOWN_MODE, ProtocolMismatch(f"the server offers security mode {mode}"))
        if (mode == wire.MODE_NNPSK0) != (self._psk is not None):
            raise self._refuse(
                wire.REPLY_PSK_MISMATCH,
                PreSharedKeyMismatch(
                    "the server uses a pre-shared key and this client has none"
                    if mode == wire.MODE_NNPSK0
                    else "this client has a pre-shared key and the server uses none"
                ),
            )
        self._output += bytes([wire.REPLY_OK])
        # The prologue binds the preamble and the reply (section 4).
        self._handshake = noise.Handshake(True, bytes([version, mode, wire.REPLY_OK]), self._psk)
        self._output += wire.frame(self._handshake.write_message())
        self._state = "noise"

    def _on_reply(self, reply: int) -> None:
        """The server reads the client's answer to its preamble."""
        if reply != wire.REPLY_OK:
            self._state = "closed"
            if reply == wire.REPLY_ENCRYPTION_REQUIRED:
                raise EncryptionRequired("the client requires encryption and this server offers plain")
            if reply == wire.REPLY_PSK_MISMATCH:
                raise PreSharedKeyMismatch("the client and this server disagree about a pre-shared key")
            raise ProtocolMismatch(f"the client refused the preamble (reply {reply})")
        if self._mode == wire.MODE_PLAIN:
            self._state = "hello"
        else:
            self._handshake = noise.Handshake(False, bytes([wire.VERSION, self._mode, wire.REPLY_OK]), self._psk)
            self._state = "noise"

    def _on_noise(self, message: bytes) -> None:
        assert self._handshake is not None
        if self.is_server:
            self._handshake.read_message(message)
            self._output += wire.frame(self._handshake.write_message())
        else:
            self._handshake.read_message(message)
        self._send_cipher, self._receive_cipher = self._handshake.split()
        self.encryption = self._handshake.protocol
        self.handshake_hash = self._handshake.handshake_hash
        self._handshake = None
        self._write_control(self._hello().encode())
        self._state = "hello"

    def _on_body(self, body: bytes, events: List[Event]) -> None:
        if len(body) < 4:
            raise ProtocolError(f"a message body of {len(body)} bytes")
        (type_,) = struct.unpack_from(">i", body)
        data = body[4:]
        if type_ < 0:
            raise ProtocolError(f"a message of type {type_}")
        if type_ == 0:
            self._on_control(data, events)
            return
        if self._state != "established":
            raise ProtocolError(f"a user message (type {type_}) before the handshake ended")
        if len(data) > self.max_message_size:
            raise MessageTooLarge(f"the {self._peer_name} sent {len(data)} bytes; the limit is {self.max_message_size}")
        tag, self._tag = self._tag, None
        if self._acknowledging:
            sequence, self._next_sequence = self._next_sequence, self._next_sequence + 1
            if sequence <= self.delivery.received:
                return  # a duplicate of one that arrived before a reconnect: skipped, its tag too
            self.delivery.received = sequence
        if tag is None:
            events.append(Message(type_, data))
        elif tag.kind == wire.REQUEST:
            events.append(Message(type_, data, tag.id))
        elif tag.kind == wire.REPLY:
            events.append(Answer(tag.id, type_, data))
        elif tag.kind == wire.ERROR_REPLY:
            events.append(Answer(tag.id, type_, data, tag.code))
        else:
            events.append(ObjectMessage(tag.id, type_, data))

    def _on_control(self, data: bytes, events: List[Event]) -> None:
        if not data:
            raise ProtocolError("an empty control message")
        kind = data[0]
        if kind == wire.HELLO:
            if self._state != "hello":
                raise ProtocolError("a second hello")
            self.peer = wire.Hello.decode(data)
            self._acknowledging = bool(self.peer.features & wire.FEATURE_ACKS)
            if self._acknowledging and self._adopt is not None:
                kept = self._adopt(self.peer)
                if kept is not None:
                    self.delivery, self.resumed = kept, True
            d = self.delivery
            self.peer_restarted = d.peer_instance != 0 and self.peer.instance != d.peer_instance
            d.peer_instance = self.peer.instance
            if self._acknowledging:
                # Where both directions stand, then what the peer has not confirmed, again.
                self._write_control(wire.Resume(d.stream, d.confirmed + 1, d.peer_stream, d.delivered).encode())
                for sent in d.unconfirmed:
                    self._write_message(sent.type, sent.data, sent.tag)
                self._state = "resume"
            else:
                self._state = "established"
                events.append(Established(self.peer))
        elif kind == wire.RESUME:
            if self._state != "resume":
                raise ProtocolError("a resume out of place")
            resume = wire.Resume.decode(data)
            d = self.delivery
            if d.peer_stream != 0 and resume.peer_stream != d.stream:
                # An earlier connection's peer that knows nothing of our stream: its
                # process restarted, or it gave up waiting for us (section 7).
                self.peer_restarted = True
            if resume.stream != d.peer_stream:
                # A stream we never heard: all of it is new, numbered from first_sequence.
                if d.peer_stream != 0:
                    self.peer_stream_changed = True  # what is still queued was another stream's
                d.peer_stream = resume.stream
                d.received = d.delivered = d.acked = resume.first_sequence - 1
            self._next_sequence = resume.first_sequence
            if resume.peer_stream == d.stream:  # it knows our stream: what it delivered is confirmed
                if d.confirm(resume.delivered):
                    events.append(Acknowledged(0))
            self._state = "established"
            events.append(Established(self.peer))  # type: ignore[arg-type]
        elif self._state != "established":
            raise ProtocolError(f"a control message of kind {kind} before the handshake ended")
        elif kind == wire.ACK:
            self._on_ack(wire.read_token(data), events)
        elif kind == wire.PING:
            self._write_control(wire.token(wire.PONG, wire.read_token(data)))
        elif kind == wire.PONG:
            self.pongs += 1
        elif kind == wire.GOODBYE:
            self._state = "closed"
            events.append(Goodbye())
        elif kind in (wire.REQUEST, wire.REPLY, wire.ERROR_REPLY, wire.OBJECT):
            if self._tag is not None:
                raise ProtocolError("a tag not followed by its message")
            self._tag = wire.read_tag(data)
        # other kinds are ignored: later versions may add them

    def _on_ack(self, delivered: int, events: List[Event]) -> None:
        count = self.delivery.confirm(delivered)
        if count:
            events.append(Acknowledged(count))
