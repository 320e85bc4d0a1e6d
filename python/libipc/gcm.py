"""AES-256-GCM for the transport phase, one OpenSSL cipher context per
direction, kept for the connection's life.

``cryptography``'s AESGCM makes and keys a fresh OpenSSL context on each
call (about 5.5 µs for a 64-byte record here); a record of the transport
phase only needs the context's nonce changed (about 1 µs). This reaches the
same OpenSSL through the OpenSSL binding ``cryptography`` ships. That
binding is not a stable API, so :func:`sealer` checks at import, against
AESGCM, that it seals and opens byte for byte as AESGCM does and refuses a
wrong tag; when it does not (or is not there), AESGCM is used.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TAG_LENGTH = 16
Seal = Callable[[bytes, bytes], bytes]  # (nonce, plaintext) -> ciphertext and tag
Open = Callable[[bytes, bytes], bytes]  # (nonce, ciphertext and tag) -> plaintext; InvalidTag


def _aesgcm(key: bytes) -> Tuple[Seal, Open]:
    aead = AESGCM(key)
    return (lambda nonce, data: aead.encrypt(nonce, data, None)), (lambda nonce, data: aead.decrypt(nonce, data, None))


def _binding() -> Optional[Any]:
    try:
        from cryptography.hazmat.bindings.openssl.binding import Binding

        binding = Binding()
        lib = binding.lib
        for name in ("EVP_CIPHER_CTX_new", "EVP_CIPHER_CTX_free", "EVP_CipherInit_ex", "EVP_CipherUpdate",
                     "EVP_CipherFinal_ex", "EVP_CIPHER_CTX_ctrl", "EVP_get_cipherbyname",
                     "EVP_CTRL_AEAD_GET_TAG", "EVP_CTRL_AEAD_SET_TAG"):
            getattr(lib, name)
        return binding
    except Exception:  # an older or newer cryptography: AESGCM it is
        return None


def _reused(binding: Any, key: bytes) -> Tuple[Seal, Open]:
    lib, ffi = binding.lib, binding.ffi
    cipher = lib.EVP_get_cipherbyname(b"aes-256-gcm")

    def context(encrypting: int) -> Any:
        ctx = ffi.gc(lib.EVP_CIPHER_CTX_new(), lib.EVP_CIPHER_CTX_free)
        if ctx == ffi.NULL or lib.EVP_CipherInit_ex(ctx, cipher, ffi.NULL, key, ffi.NULL, encrypting) != 1:
            raise RuntimeError("no AES-256-GCM context")
        return ctx

    sealing, opening = context(1), context(0)
    length = ffi.new("int *")

    def seal(nonce: bytes, data: bytes) -> bytes:
        size = len(data)
        out = ffi.new("unsigned char[]", size + TAG_LENGTH)
        if (
            lib.EVP_CipherInit_ex(sealing, ffi.NULL, ffi.NULL, ffi.NULL, nonce, 1) != 1
            or lib.EVP_CipherUpdate(sealing, out, length, data, size) != 1
            or lib.EVP_CipherFinal_ex(sealing, out + size, length) != 1
            or lib.EVP_CIPHER_CTX_ctrl(sealing, lib.EVP_CTRL_AEAD_GET_TAG, TAG_LENGTH, out + size) != 1
        ):
            lib.ERR_clear_error()
            raise RuntimeError("AES-256-GCM failed to seal")
        return ffi.buffer(out)[:]

    def open_(nonce: bytes, data: bytes) -> bytes:
        size = len(data) - TAG_LENGTH
        if size < 0:
            raise InvalidTag()
        out = ffi.new("unsigned char[]", size + 1)
        tag = ffi.new("unsigned char[]", data[size:])
        if (
            lib.EVP_CipherInit_ex(opening, ffi.NULL, ffi.NULL, ffi.NULL, nonce, 0) != 1
            or lib.EVP_CIPHER_CTX_ctrl(opening, lib.EVP_CTRL_AEAD_SET_TAG, TAG_LENGTH, tag) != 1
            or lib.EVP_CipherUpdate(opening, out, length, data, size) != 1
            or lib.EVP_CipherFinal_ex(opening, out + size, length) != 1
        ):
            lib.ERR_clear_error()
            raise InvalidTag()
        return ffi.buffer(out, size)[:]

    return seal, open_


def _agrees(binding: Any) -> bool:
    """The reused contexts do what AESGCM does, for a few lengths, and refuse a wrong tag."""
    try:
        key = bytes(range(32))
        seal, open_ = _reused(binding, key)
        reference_seal, _ = _aesgcm(key)
        for number, size in enumerate((0, 1, 15, 16, 68, 1000)):
            nonce = bytes(4) + number.to_bytes(8, "big")
            plaintext = bytes((i * 7 + size) & 0xFF for i in range(size))
            sealed = seal(nonce, plaintext)
            if sealed != reference_seal(nonce, plaintext) or open_(nonce, sealed) != plaintext:
                return False
            try:
                open_(nonce, sealed[:-1] + bytes([sealed[-1] ^ 1]))
                return False
            except InvalidTag:
                pass
        return True
    except Exception:
        return False


_BINDING = _binding()
FAST = _BINDING is not None and _agrees(_BINDING)


def sealer(key: bytes) -> Tuple[Seal, Open]:
    """(seal, open) for one key: reused OpenSSL contexts when they were
    found to agree with AESGCM, AESGCM otherwise."""
    if FAST:
        return _reused(_BINDING, key)
    return _aesgcm(key)
