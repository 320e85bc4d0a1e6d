"""Heartbeats: a peer silent for one interval is pinged, and one silent for
two is taken as dead. The silent peer is a real C++ process stopped with
SIGSTOP (its socket stays open; nothing answers)."""

import asyncio
import os
import signal
import subprocess
import unittest
from typing import List

import libipc
from libipc import aio

from .test_interop import PEER, EchoServer, unique_address


@unittest.skipUnless(PEER, "IPC_TEST_PEER names ipc_test_peer (CTest sets it)")
class Heartbeats(unittest.TestCase):
    def stopped(self, process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGSTOP)
        self.addCleanup(process.send_signal, signal.SIGCONT)  # cleanups run last-first: before the kill

    def test_a_quiet_live_server_stays(self) -> None:
        server = EchoServer()
        self.addCleanup(server.stop)

        async def run() -> None:
            async with await aio.Client.connect(server.address, heartbeat_interval=0.05) as client:
                # Nothing is written: only the pings keep the link alive.
                while client._connection.pongs < 5:
                    await asyncio.sleep(0.05)
                self.assertTrue(client.is_connected)
                await client.write(1, b"still here")
                self.assertEqual((await client.receive()).data, b"still here")

        asyncio.run(asyncio.wait_for(run(), 120))

    def test_a_stopped_server_is_found_dead(self) -> None:
        server = EchoServer()
        self.addCleanup(server.stop)

        async def run() -> None:
            client = await aio.Client.connect(server.address, heartbeat_interval=0.2, reconnect_timeout=0)
            self.stopped(server.process)
            with self.assertRaises(libipc.ConnectionLost) as lost:
                await client.receive()
            self.assertIn("no sign of life", str(lost.exception))
            self.assertFalse(client.is_connected)
            await client.close()

        asyncio.run(asyncio.wait_for(run(), 120))

    def test_python_server_drops_a_stopped_client(self) -> None:
        address = f"/tmp/{unique_address()}.sock"
        endings: List[BaseException] = []

        async def run() -> None:
            joined = asyncio.Event()

            async def handler(peer: aio.Peer) -> None:
                joined.set()
                try:
                    await peer.receive()
                except libipc.IpcError as error:
                    endings.append(error)

            # A client found dead may still come back and resume, for resume_timeout.
            async with aio.Server(address, handler, heartbeat_interval=0.2, resume_timeout=0.2) as server:
                client = await asyncio.create_subprocess_exec(
                    PEER, "idle-client", address, stdout=asyncio.subprocess.PIPE
                )
                self.addCleanup(lambda: client.returncode is None and client.kill())
                assert client.stdout is not None
                self.assertEqual(await client.stdout.readline(), b"connected\n")
                await joined.wait()
                os.kill(client.pid, signal.SIGSTOP)
                try:
                    while server.peers:
                        await asyncio.sleep(0.05)
                finally:
                    os.kill(client.pid, signal.SIGCONT)
                    client.kill()
                    await client.wait()

        asyncio.run(asyncio.wait_for(run(), 120))
        self.assertEqual(len(endings), 1)
        self.assertIsInstance(endings[0], libipc.ConnectionLost)
        self.assertIn("no sign of life", str(endings[0]))
        self.assertIn("did not come back within 0.2 s", str(endings[0]))
        self.assertFalse(os.path.exists(address))  # the Python server removed its socket file


if __name__ == "__main__":
    unittest.main()
