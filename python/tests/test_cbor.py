"""CBOR payloads: what a C++ peer writes with writeCbor() or a QCborMap
reply, and reads with toCbor()."""

import os
import subprocess
import unittest

import libipc

from .test_interop import remove_socket_files

CALC = os.environ.get("IPC_CALC_SERVER", "")


class Payloads(unittest.TestCase):
    def test_round_trip(self) -> None:
        value = {"op": "mul", "a": 1.5, "b": 4, "tags": ["x", b"\x00"], "none": None}
        self.assertEqual(libipc.Message(3, libipc.cbor_payload(value)).cbor(), value)

    def test_not_cbor_is_named(self) -> None:
        for data, says in ((b"", "does not hold CBOR"), (b"\xff", "lone break"), (b"\x01\x02", "1 bytes after")):
            with self.subTest(data):
                with self.assertRaises(libipc.InvalidArgument) as refused:
                    libipc.Message(7, data).cbor()
                self.assertIn(says, str(refused.exception))
        with self.assertRaises(libipc.InvalidArgument):
            libipc.cbor_payload(object())


@unittest.skipUnless(CALC, "IPC_CALC_SERVER names examples/request_reply's calc_server (CTest sets it)")
class AgainstCalcServer(unittest.TestCase):
    """examples/request_reply's server: a CBOR map request, a CBOR map reply."""

    def test_operation_as_cbor(self) -> None:
        name = f"pycalc_{os.getpid()}"
        server = subprocess.Popen([CALC, name], stdout=subprocess.PIPE, text=True)
        self.addCleanup(remove_socket_files, name)
        self.addCleanup(server.wait)
        self.addCleanup(server.kill)
        assert server.stdout is not None
        self.addCleanup(server.stdout.close)
        self.assertTrue(server.stdout.readline().startswith("Listening"))
        with libipc.connect(name) as client:
            reply = client.call(3, libipc.cbor_payload({"op": "mul", "a": 1.5, "b": 4}))
            self.assertEqual(reply.cbor(), {"result": 6.0})
            with self.assertRaises(libipc.RemoteError) as refused:
                client.call(3, libipc.cbor_payload({"op": "mul", "a": "x"}))
            self.assertIn("numbers a and b", str(refused.exception))
            tick = client.receive(timeout=30)  # its broadcast, once a second
            self.assertIn("tick", tick.cbor())


if __name__ == "__main__":
    unittest.main()
