"""The native protocol's bytes (docs/PROTOCOL.md, sections 1-7a): the
preamble, frames, bodies and control messages. Pure: bytes in, bytes or a
clear error out.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Optional

from .errors import ProtocolError

VERSION = 3
MODE_PLAIN, MODE_NN, MODE_NNPSK0 = 0, 1, 2
MODE_ACCESS_DENIED, MODE_SERVER_FULL = 254, 255
REPLY_OK, REPLY_VERSION, REPLY_ENCRYPTION_REQUIRED, REPLY_PSK_MISMATCH, REPLY_UNKNOWN_MODE = 0, 1, 2, 3, 4

HANDSHAKE_FRAME_LIMIT = 1024
DEFAULT_MAX_MESSAGE_SIZE = 3145728
LARGEST_MAX_MESSAGE_SIZE = 1 << 30

# Control kinds (section 6)
HELLO, GOODBYE, PING, PONG, ACK, RESUME, REQUEST, REPLY, ERROR_REPLY, SHARED_MEMORY, OBJECT = range(1, 12)

FEATURE_ACKS = 1
FEATURE_REQUESTS = 2
FEATURE_OBJECTS = 8


def frame(body: bytes) -> bytes:
    """A frame: the body's length (u32) then the body."""
    return struct.pack(">I", len(body)) + body


def body(type_: int, data: bytes) -> bytes:
    """A plain body: type (i32) then data."""
    return struct.pack(">i", type_) + data


def effective_max_size(value: int) -> int:
    """What a hello's maxMessageSize means: under 1024 the default, over 2^30 2^30."""
    if value < 1024:
        return DEFAULT_MAX_MESSAGE_SIZE
    return min(value, LARGEST_MAX_MESSAGE_SIZE)


@dataclass
class Hello:
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    pid: int = 0
    process: str = ""
    library: str = ""
    features: int = 0
    instance: int = 0
    window_messages: int = 0
    window_bytes: int = 0

    def encode(self) -> bytes:
        name = self.process.encode()[:255]
        version = self.library.encode()[:255]
        return (
            bytes([HELLO])
            + struct.pack(">IQ", self.max_message_size, self.pid)
            + bytes([len(name)])
            + name
            + bytes([len(version)])
            + version
            + struct.pack(">IQII", self.features, self.instance, self.window_messages, self.window_bytes)
        )

    @classmethod
    def decode(cls, data: bytes) -> "Hello":
        """``data`` starts with the kind byte."""
        try:
            max_size, pid = struct.unpack_from(">IQ", data, 1)
            offset = 13
            name_length = data[offset]
            process = data[offset + 1 : offset + 1 + name_length]
            offset += 1 + name_length
            version_length = data[offset]
            library = data[offset + 1 : offset + 1 + version_length]
            offset += 1 + version_length
            if len(library) != version_length or len(process) != name_length:
                raise IndexError
        except (struct.error, IndexError):
            raise ProtocolError(f"the peer's hello is cut short ({len(data)} bytes)") from None
        hello = cls(effective_max_size(max_size), pid, process.decode(errors="replace"), library.decode(errors="replace"))
        if len(data) > offset:  # the delivery block, optional
            if len(data) < offset + 20:
                raise ProtocolError("the peer's hello has a delivery block cut short")
            hello.features, hello.instance, hello.window_messages, hello.window_bytes = struct.unpack_from(
                ">IQII", data, offset
            )
        return hello


@dataclass
class Resume:
    stream: int
    first_sequence: int
    peer_stream: int
    delivered: int

    def encode(self) -> bytes:
        return bytes([RESUME]) + struct.pack(">QQQQ", self.stream, self.first_sequence, self.peer_stream, self.delivered)

    @classmethod
    def decode(cls, data: bytes) -> "Resume":
        if len(data) < 33:
            raise ProtocolError(f"a resume of {len(data)} bytes is cut short")
        resume = cls(*struct.unpack_from(">QQQQ", data, 1))
        if resume.stream == 0 or resume.first_sequence == 0:
            raise ProtocolError("a resume with a stream or a first sequence number of 0")
        return resume


def token(kind: int, value: int = 0) -> bytes:
    """Goodbye, ping, pong, ack, request, reply: the kind and a u64."""
    return bytes([kind]) + struct.pack(">Q", value)


def error_reply(request_id: int, code: int) -> bytes:
    return bytes([ERROR_REPLY]) + struct.pack(">Qi", request_id, code)


def read_token(data: bytes) -> int:
    if len(data) < 9:
        raise ProtocolError(f"a control message of kind {data[0]} is cut short ({len(data)} bytes)")
    return int(struct.unpack_from(">Q", data, 1)[0])


@dataclass
class Tag:
    """What the next user message is: a request, a reply or an error reply."""

    kind: int
    id: int
    code: int = 0


def read_tag(data: bytes) -> Optional[Tag]:
    kind = data[0]
    if kind == ERROR_REPLY:
        if len(data) < 13:
            raise ProtocolError("an error reply tag is cut short")
        request_id, code = struct.unpack_from(">Qi", data, 1)
        tag = Tag(kind, request_id, code)
    else:
        tag = Tag(kind, read_token(data))
    if tag.id == 0 and kind != OBJECT:
        raise ProtocolError(f"a tag of kind {kind} with the id 0")
    return tag
