"""The Noise handshakes against the published vectors the C++ tests use."""

import json
import os
import unittest

from cryptography.exceptions import InvalidTag

from libipc import gcm, noise
from libipc.errors import DecryptionFailed, HandshakeFailed

VECTORS = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "noise_nn_aesgcm_sha256.json")


class NoiseVectors(unittest.TestCase):
    def test_vectors(self) -> None:
        with open(VECTORS) as f:
            vectors = json.load(f)["vectors"]
        self.assertEqual({v["protocol_name"] for v in vectors}, {noise.NN, noise.NNPSK0})
        for vector in vectors:
            with self.subTest(vector["protocol_name"]):
                psk_i = bytes.fromhex(vector["init_psks"][0]) if "init_psks" in vector else None
                psk_r = bytes.fromhex(vector["resp_psks"][0]) if "resp_psks" in vector else None
                initiator = noise.Handshake(
                    True, bytes.fromhex(vector["init_prologue"]), psk_i, bytes.fromhex(vector["init_ephemeral"])
                )
                responder = noise.Handshake(
                    False, bytes.fromhex(vector["resp_prologue"]), psk_r, bytes.fromhex(vector["resp_ephemeral"])
                )
                self.assertEqual(initiator.protocol, vector["protocol_name"])
                messages = vector["messages"]
                zero = initiator.write_message(bytes.fromhex(messages[0]["payload"]))
                self.assertEqual(zero.hex(), messages[0]["ciphertext"])
                self.assertEqual(responder.read_message(zero).hex(), messages[0]["payload"])
                one = responder.write_message(bytes.fromhex(messages[1]["payload"]))
                self.assertEqual(one.hex(), messages[1]["ciphertext"])
                self.assertEqual(initiator.read_message(one).hex(), messages[1]["payload"])
                self.assertEqual(initiator.handshake_hash.hex(), vector["handshake_hash"])
                self.assertEqual(responder.handshake_hash.hex(), vector["handshake_hash"])
                i_send, i_receive = initiator.split()
                r_send, r_receive = responder.split()
                for number, message in enumerate(messages[2:]):
                    sender, receiver = (i_send, r_receive) if number % 2 == 0 else (r_send, i_receive)
                    sealed = sender.encrypt(bytes.fromhex(message["payload"]))
                    self.assertEqual(sealed.hex(), message["ciphertext"])
                    self.assertEqual(receiver.decrypt(sealed).hex(), message["payload"])

    def test_wrong_psk_fails_the_handshake(self) -> None:
        initiator = noise.Handshake(True, b"p", bytes(32))
        responder = noise.Handshake(False, b"p", bytes([1]) * 32)
        with self.assertRaises(HandshakeFailed):
            responder.read_message(initiator.write_message())

    def test_a_replayed_record_does_not_open(self) -> None:
        initiator = noise.Handshake(True, b"p")
        responder = noise.Handshake(False, b"p")
        responder.read_message(initiator.write_message())
        initiator.read_message(responder.write_message())
        send, _ = initiator.split()
        _, receive = responder.split()
        record = send.encrypt(b"once")
        self.assertEqual(receive.decrypt(record), b"once")
        with self.assertRaises(DecryptionFailed):
            receive.decrypt(record)


class TransportCipher(unittest.TestCase):
    """The transport phase's AES-GCM: OpenSSL contexts kept per direction
    where cryptography's binding has what they need, AESGCM otherwise."""

    def test_kept_contexts_agree_with_aesgcm(self) -> None:
        if gcm._BINDING is None:
            self.skipTest("this cryptography has no OpenSSL binding to keep contexts with")
        self.assertTrue(gcm.FAST)  # the check at import passed: they are in use
        key = bytes(range(1, 33))
        kept = gcm._reused(gcm._BINDING, key)
        reference = gcm._aesgcm(key)
        for number, size in enumerate((0, 5, 64, 4096, 70000)):
            nonce = bytes(4) + number.to_bytes(8, "big")
            plaintext = os.urandom(size)
            for seal, open_ in ((kept[0], reference[1]), (reference[0], kept[1])):
                sealed = seal(nonce, plaintext)
                self.assertEqual(len(sealed), size + 16)
                self.assertEqual(open_(nonce, sealed), plaintext)
            altered = bytearray(kept[0](nonce, plaintext))
            altered[0] ^= 1  # a bit of the first byte (of the tag, when the record is empty)
            with self.assertRaises(InvalidTag):
                kept[1](nonce, bytes(altered))
        with self.assertRaises(InvalidTag):
            kept[1](bytes(12), b"short")

    def test_a_record_altered_in_transport_is_refused(self) -> None:
        send, receive = noise.CipherState(bytes(32)), noise.CipherState(bytes(32))
        record = bytearray(send.encrypt(b"sixty-four bytes, more or less"))
        record[3] ^= 0x40
        with self.assertRaises(DecryptionFailed) as refused:
            receive.decrypt(bytes(record))
        self.assertIn("altered, replayed or reflected", str(refused.exception))


if __name__ == "__main__":
    unittest.main()
