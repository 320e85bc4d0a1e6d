"""examples/python's scripts do what their docstrings say, with the C++
library on the other side (ipc_test_peer, path in IPC_TEST_PEER)."""

import os
import signal
import subprocess
import sys
import unittest

from .test_interop import PEER, EchoServer, unique_address

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python")
ENVIRONMENT = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."))


@unittest.skipUnless(PEER, "IPC_TEST_PEER names ipc_test_peer (CTest sets it)")
class Examples(unittest.TestCase):
    def test_echo_client(self) -> None:
        server = EchoServer()
        self.addCleanup(server.stop)
        done = subprocess.run(
            [sys.executable, os.path.join(EXAMPLES, "echo_client.py"), server.address, "from the example"],
            capture_output=True, text=True, timeout=120, env=ENVIRONMENT,
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(
            done.stdout.strip(), "Client received: from the example (over Noise_NN_25519_AESGCM_SHA256)"
        )

    def test_echo_server(self) -> None:
        address = unique_address()
        server = subprocess.Popen(
            [sys.executable, os.path.join(EXAMPLES, "echo_server.py"), address],
            stdout=subprocess.PIPE, text=True, env=ENVIRONMENT,
        )
        assert server.stdout is not None
        self.assertEqual(server.stdout.readline().strip(), f"Listening on /tmp/{address}.sock")
        done = subprocess.run([PEER, "client", address, "20"], capture_output=True, text=True, timeout=120)
        self.assertEqual(done.stdout.split()[:2], ["ok", "20"])
        server.send_signal(signal.SIGTERM)
        self.assertEqual(server.wait(60), 0)
        server.stdout.close()
        self.assertFalse(os.path.exists(f"/tmp/{address}.sock"))  # it cleaned up


if __name__ == "__main__":
    unittest.main()
