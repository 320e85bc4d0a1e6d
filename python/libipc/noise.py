"""The Noise handshakes libipc uses: ``Noise_NN_25519_AESGCM_SHA256`` and
``Noise_NNpsk0_25519_AESGCM_SHA256`` (Noise Protocol Framework, revision 34),
built on the ``cryptography`` package's X25519 and AES-GCM.

Pure: no I/O. :class:`Handshake` writes and reads the two handshake
messages; :meth:`Handshake.split` gives the two :class:`CipherState` objects
of the transport phase. Checked against the published vectors in
``tests/test_noise.py``.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Optional, Tuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from . import gcm
from .errors import DecryptionFailed, HandshakeFailed

NN = "Noise_NN_25519_AESGCM_SHA256"
NNPSK0 = "Noise_NNpsk0_25519_AESGCM_SHA256"
DH_LENGTH = 32
TAG_LENGTH = 16
_MAX_NONCE = 2**64 - 1


def _hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _hkdf(chaining_key: bytes, material: bytes, outputs: int) -> Tuple[bytes, ...]:
    # Noise's HKDF: HMAC-SHA256 in its extract-then-expand form.
    temp = hmac.new(chaining_key, material, hashlib.sha256).digest()
    out = []
    previous = b""
    for i in range(1, outputs + 1):
        previous = hmac.new(temp, previous + bytes([i]), hashlib.sha256).digest()
        out.append(previous)
    return tuple(out)


class CipherState:
    """One direction's key and nonce: AES-256-GCM, nonce = 4 zero bytes and
    the 64-bit counter, big-endian."""

    def __init__(self, key: Optional[bytes] = None) -> None:
        self._aead = AESGCM(key) if key is not None else None  # with associated data: the handshake
        # Without: the transport phase, on contexts kept for the connection (gcm.py).
        self._seal, self._open = gcm.sealer(key) if key is not None else (None, None)
        self.nonce = 0

    @property
    def has_key(self) -> bool:
        return self._aead is not None

    def _next_nonce(self) -> bytes:
        if self.nonce >= _MAX_NONCE:
            raise DecryptionFailed("the cipher's nonces are used up: the connection must end")
        nonce = b"\0\0\0\0" + self.nonce.to_bytes(8, "big")
        self.nonce += 1
        return nonce

    def encrypt(self, plaintext: bytes, associated: bytes = b"") -> bytes:
        if self._aead is None:
            return plaintext
        if associated:
            return self._aead.encrypt(self._next_nonce(), plaintext, associated)
        return self._seal(self._next_nonce(), plaintext)  # type: ignore[misc]

    def decrypt(self, ciphertext: bytes, associated: bytes = b"") -> bytes:
        if self._aead is None:
            return ciphertext
        try:
            if associated:
                return self._aead.decrypt(self._next_nonce(), ciphertext, associated)
            return self._open(self._next_nonce(), ciphertext)  # type: ignore[misc]
        except InvalidTag:
            raise DecryptionFailed(
                f"a record of {len(ciphertext)} bytes failed to open: it was altered, replayed or reflected"
            ) from None


class Handshake:
    """One side of an NN or NNpsk0 handshake.

    ``ephemeral`` (32 bytes) fixes the ephemeral private key, for the test
    vectors; by default a fresh one is generated.
    """

    def __init__(
        self,
        initiator: bool,
        prologue: bytes,
        psk: Optional[bytes] = None,
        ephemeral: Optional[bytes] = None,
    ) -> None:
        if psk is not None and len(psk) != 32:
            raise ValueError("a pre-shared key has 32 bytes")
        self.protocol = NNPSK0 if psk is not None else NN
        name = self.protocol.encode()
        self._h = name.ljust(32, b"\0") if len(name) <= 32 else _hash(name)
        self._ck = self._h
        self._cipher = CipherState()
        self._initiator = initiator
        self._psk = psk
        self._e = (
            X25519PrivateKey.from_private_bytes(ephemeral) if ephemeral is not None else X25519PrivateKey.generate()
        )
        self._re: Optional[X25519PublicKey] = None
        self._mix_hash(prologue)

    # --- SymmetricState
    def _mix_hash(self, data: bytes) -> None:
        self._h = _hash(self._h + data)

    def _mix_key(self, material: bytes) -> None:
        self._ck, key = _hkdf(self._ck, material, 2)
        self._cipher = CipherState(key)

    def _mix_key_and_hash(self, material: bytes) -> None:
        self._ck, temp_h, key = _hkdf(self._ck, material, 3)
        self._mix_hash(temp_h)
        self._cipher = CipherState(key)

    def _encrypt_and_hash(self, plaintext: bytes) -> bytes:
        ciphertext = self._cipher.encrypt(plaintext, self._h)
        self._mix_hash(ciphertext)
        return ciphertext

    def _decrypt_and_hash(self, ciphertext: bytes) -> bytes:
        try:
            plaintext = self._cipher.decrypt(ciphertext, self._h)
        except DecryptionFailed:
            raise HandshakeFailed(
                "the Noise handshake failed: the peer's message did not open (a wrong pre-shared key, or tampering)"
            ) from None
        self._mix_hash(ciphertext)
        return plaintext

    # --- tokens
    def _write_e(self) -> bytes:
        public = self._e.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._mix_hash(public)
        if self._psk is not None:
            self._mix_key(public)
        return public

    def _read_e(self, message: bytes) -> bytes:
        if len(message) < DH_LENGTH:
            raise HandshakeFailed(f"a Noise handshake message of {len(message)} bytes is too short")
        public = message[:DH_LENGTH]
        self._re = X25519PublicKey.from_public_bytes(public)
        self._mix_hash(public)
        if self._psk is not None:
            self._mix_key(public)
        return message[DH_LENGTH:]

    def _ee(self) -> None:
        assert self._re is not None
        self._mix_key(self._e.exchange(self._re))

    # --- messages: 0 from the initiator (psk, e), 1 from the responder (e, ee)
    def write_message(self, payload: bytes = b"") -> bytes:
        if self._initiator:
            if self._psk is not None:
                self._mix_key_and_hash(self._psk)
            return self._write_e() + self._encrypt_and_hash(payload)
        out = self._write_e()
        self._ee()
        return out + self._encrypt_and_hash(payload)

    def read_message(self, message: bytes) -> bytes:
        if not self._initiator:
            if self._psk is not None:
                self._mix_key_and_hash(self._psk)
            return self._decrypt_and_hash(self._read_e(message))
        rest = self._read_e(message)
        self._ee()
        return self._decrypt_and_hash(rest)

    @property
    def handshake_hash(self) -> bytes:
        return self._h

    def split(self) -> Tuple[CipherState, CipherState]:
        """(sending, receiving) for this side."""
        first, second = _hkdf(self._ck, b"", 2)
        if self._initiator:
            return CipherState(first), CipherState(second)
        return CipherState(second), CipherState(first)
