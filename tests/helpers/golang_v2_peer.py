#!/usr/bin/env python3
"""An independent golang-ipc protocol version 2 peer for the interop tests.

Written from the wire description alone (preamble and reply, P-384 ECDH whose
key is SHA-256 of the shared X without leading zero bytes, AES-256-GCM
records `nonce || ciphertext || tag` with random nonces, the max-size frame,
then `length || type || data` frames); it shares no code with libipc.

  golang_v2_peer.py server PATH [--plain] [--max N] [--clients N]
      listens on the unix socket PATH, prints "listening", serves N clients
      (default 1) one after another, echoing every message with its type;
      reads each handshake record with one read, as golang-ipc does, and
      fails when one arrives split or merged with another;
      prints "reply R" when a client refuses the preamble, "client done"
      when a client leaves, and "leading-zero" when a handshake's shared X
      started with a zero byte.
  golang_v2_peer.py client PATH [options] TYPE:TEXT|TYPE:hex:HEX ...
      connects, sends the messages, prints each echo as "got TYPE HEX", exits 0
      when every echo matched. Options:
        --plain           answer a plain server (else require encryption)
        --split           write the public key in two writes
        --leading-zero    pick key pairs until the shared X starts with 0x00
        --bad-key         send 97 bytes that are not a point on the curve
        --raw-frame HEX   after the handshake send these bytes as they are
        --expect-close    exit 0 when the server closes the connection
"""
import hashlib
import os
import socket
import struct
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_SIZE = 97


def say(*words):
    print(*words, flush=True)


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def read_record(conn, n, what, buffer=None):
    """Reads a handshake record the way golang-ipc does: with one read into a
    buffer of the given size (the record's own size unless said), which must
    return the whole record. A peer that splits a record, or sends a key
    merged with more bytes, fails against the real implementations."""
    data = conn.recv(buffer or n)
    if len(data) != n:
        raise EOFError("%s arrived as %d bytes in one read, not %d" % (what, len(data), n))
    return data


def public_bytes(private):
    return private.public_key().public_bytes(serialization.Encoding.X962,
                                             serialization.PublicFormat.UncompressedPoint)


def shared_x(private, peer_bytes):
    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP384R1(), peer_bytes)
    return private.exchange(ec.ECDH(), peer)


def key_from(x):
    return hashlib.sha256(x.lstrip(b"\0")).digest()


class Channel:
    def __init__(self, conn, key):
        self.conn = conn
        self.aead = AESGCM(key) if key else None

    def seal(self, plain):
        if not self.aead:
            return plain
        nonce = os.urandom(12)
        return nonce + self.aead.encrypt(nonce, plain, None)

    def open(self, body):
        if not self.aead:
            return body
        return self.aead.decrypt(body[:12], body[12:], None)

    def send_frame(self, body):
        self.conn.sendall(struct.pack(">I", len(body)) + body)

    def read_frame(self):
        (length,) = struct.unpack(">I", read_exact(self.conn, 4))
        return read_exact(self.conn, length)

    def send_message(self, msg_type, data):
        self.send_frame(self.seal(struct.pack(">I", msg_type & 0xFFFFFFFF) + data))

    def read_message(self):
        plain = self.open(self.read_frame())
        (msg_type,) = struct.unpack(">i", plain[:4])
        return msg_type, plain[4:]


def serve(path, plain, max_size, clients):
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    say("listening")
    for _ in range(clients):
        conn, _ = listener.accept()
        try:
            serve_one(conn, plain, max_size)
        except (EOFError, ConnectionError) as error:
            say("client error", error)
        conn.close()
        say("client done")
    listener.close()
    os.unlink(path)


def serve_one(conn, plain, max_size):
    conn.sendall(bytes([2, 0 if plain else 1]))
    reply = read_record(conn, 1, "the reply")[0]
    if reply != 0:
        say("reply", reply)
        return
    key = None
    if not plain:
        private = ec.generate_private_key(ec.SECP384R1())
        conn.sendall(public_bytes(private))
        x = shared_x(private, read_record(conn, KEY_SIZE, "the public key", KEY_SIZE + 1))
        if x[0] == 0:
            say("leading-zero")
        key = key_from(x)
    channel = Channel(conn, key)
    channel.send_frame(channel.seal(struct.pack(">I", max_size)))
    read_record(conn, 1, "the answer to the maximum size")
    while True:
        msg_type, data = channel.read_message()
        if msg_type == 0:
            continue
        channel.send_message(msg_type, data)


def parse_message(text):
    msg_type, _, rest = text.partition(":")
    if rest.startswith("hex:"):
        return int(msg_type), bytes.fromhex(rest[4:])
    return int(msg_type), rest.encode()


def client(path, args):
    options = {"--plain": False, "--split": False, "--leading-zero": False, "--bad-key": False,
               "--expect-close": False}
    raw_frame = None
    messages = []
    i = 0
    while i < len(args):
        if args[i] == "--raw-frame":
            raw_frame = bytes.fromhex(args[i + 1])
            i += 2
            continue
        if args[i] in options:
            options[args[i]] = True
        else:
            messages.append(parse_message(args[i]))
        i += 1
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    try:
        return run_client(conn, options, raw_frame, messages)
    except (EOFError, ConnectionError) as error:
        if options["--expect-close"]:
            say("closed")
            return 0
        say("error", error)
        return 1


def run_client(conn, options, raw_frame, messages):
    version, encrypted = read_record(conn, 2, "the preamble")
    if version != 2:
        conn.sendall(bytes([1]))
        say("error version", version)
        return 1
    if not encrypted and not options["--plain"]:
        conn.sendall(bytes([2]))
        say("error plain server")
        return 1
    conn.sendall(bytes([0]))
    key = None
    if encrypted:
        server_key = read_record(conn, KEY_SIZE, "the public key", KEY_SIZE + 1)
        if options["--bad-key"]:
            conn.sendall(b"\x04" + bytes(range(1, 97)))  # not on P-384
            conn.recv(1)  # the server closes
            say("closed")
            return 0
        while True:
            private = ec.generate_private_key(ec.SECP384R1())
            x = shared_x(private, server_key)
            if not options["--leading-zero"] or x[0] == 0:
                break
        if x[0] == 0:
            say("leading-zero")
        mine = public_bytes(private)
        if options["--split"]:
            conn.sendall(mine[:40])
            conn.sendall(mine[40:])
        else:
            conn.sendall(mine)
        key = key_from(x)
    channel = Channel(conn, key)
    (length,) = struct.unpack(">I", read_record(conn, 4, "the maximum size frame's length"))
    body = read_record(conn, length, "the maximum size frame")
    (max_size,) = struct.unpack(">I", channel.open(body))
    conn.sendall(bytes([0]))
    say("max", max_size)
    if raw_frame is not None:
        conn.sendall(raw_frame)
    for msg_type, data in messages:
        channel.send_message(msg_type, data)
    ok = True
    for msg_type, data in messages:
        if msg_type == 0:
            continue
        got_type, got = channel.read_message()
        say("got", got_type, got.hex())
        ok = ok and got_type == msg_type and got == data
    if options["--expect-close"]:
        conn.recv(1)
        say("closed")
    return 0 if ok else 1


def main():
    mode, path, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "server":
        max_size = int(rest[rest.index("--max") + 1]) if "--max" in rest else 3145728
        clients = int(rest[rest.index("--clients") + 1]) if "--clients" in rest else 1
        serve(path, "--plain" in rest, max_size, clients)
        return 0
    return client(path, rest)


if __name__ == "__main__":
    sys.exit(main())
