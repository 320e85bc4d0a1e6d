"""examples/python's scripts do what their docstrings say, with the C++
library on the other side (ipc_test_peer, path in IPC_TEST_PEER)."""

import os
import signal
import subprocess
import sys
import tempfile
import unittest

from .test_interop import PEER, EchoServer, remove_socket_files, unique_address
from .test_objects import DAEMON, PANEL, start_daemon, stop

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


@unittest.skipUnless(DAEMON and PANEL, "IPC_THERMOSTAT_DAEMON and IPC_THERMOSTAT_PANEL (CTest sets them)")
class ThermostatExamples(unittest.TestCase):
    def test_thermostat_watch_drives_the_cpp_daemon(self) -> None:
        address = unique_address()
        daemon = start_daemon(address, "18")
        self.addCleanup(remove_socket_files, address)
        self.addCleanup(stop, daemon)
        done = subprocess.run(
            [sys.executable, os.path.join(EXAMPLES, "thermostat_watch.py"), address, "19", "40"],
            capture_output=True, text=True, timeout=120, env=ENVIRONMENT,
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.splitlines()
        self.assertTrue(lines[0].startswith("Thermostat: {'temperature': 18.0, 'target': 21.0"), lines[0])
        # The daemon's first tick may print a signal before the answer.
        self.assertTrue(any("target 21.0 °C" in line for line in lines[1:3]), done.stdout)
        self.assertIn("targetChanged(19.0,)", lines[2:])
        self.assertRegex(lines[-1], r"^temperatureChanged\((18\.8|18\.9|19\.0|19\.1|19\.2)\d*,\)$")

    def test_python_thermostat_under_the_qt_panel(self) -> None:
        address = unique_address()
        source = subprocess.Popen(
            [sys.executable, os.path.join(EXAMPLES, "thermostat.py"), address],
            stdout=subprocess.PIPE, text=True, env=ENVIRONMENT,
        )
        assert source.stdout is not None
        self.assertEqual(source.stdout.readline().strip(), f"thermostat exposed at /tmp/{address}.sock")
        with tempfile.TemporaryDirectory() as directory:
            picture = os.path.join(directory, "panel.png")
            panel = subprocess.run(
                [PANEL, "--address", address, "--screenshot", picture], capture_output=True, text=True,
                timeout=120, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
            )
            self.assertEqual(panel.returncode, 0, panel.stderr)  # its typed replica accepted the interface
            self.assertTrue(os.path.getsize(picture) > 1000)
        source.send_signal(signal.SIGTERM)
        self.assertEqual(source.wait(60), 0)
        source.stdout.close()
        self.assertFalse(os.path.exists(f"/tmp/{address}.sock"))


if __name__ == "__main__":
    unittest.main()
