"""The Python server against the real C++ library: ipc_test_peer's client
modes (path in IPC_TEST_PEER; skipped without it) connect to an
asyncio Server running in a thread of this process."""

import asyncio
import itertools
import os
import socket
import subprocess
import threading
import unittest
from typing import List, Optional

import libipc
from libipc import aio

PEER = os.environ.get("IPC_TEST_PEER", "")
KEY = bytes(range(32))
_names = itertools.count()


async def echo(peer: aio.Peer) -> None:
    """Answers as ipc_test_peer's own server does."""
    async for message in peer:
        if not message.is_request:
            await peer.write(message.type, message.data)
        elif message.type == 99:
            await peer.reply_error(message, 42, "refused: " + message.data.decode())
        elif message.type != 98:
            await peer.reply(message, message.type, message.data)


class ThreadedServer:
    """An aio.Server on an event loop of its own thread."""

    def __init__(self, **options: object) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.address = f"pyipcsrv_{os.getpid()}_{next(_names)}"
        self.server = aio.Server(self.address, echo, **options)  # type: ignore[arg-type]
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(30)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


def peer(*arguments: str) -> List[str]:
    """Runs ipc_test_peer to its end; its last output line, split."""
    done = subprocess.run([PEER, *arguments], capture_output=True, text=True, timeout=120)
    lines = done.stdout.strip().splitlines()
    return (lines[-1] if lines else f"nothing printed (exit {done.returncode})").split()


@unittest.skipUnless(PEER, "IPC_TEST_PEER names ipc_test_peer (CTest sets it)")
class CppClientsAgainstPythonServer(unittest.TestCase):
    def server(self, **options: object) -> ThreadedServer:
        server = ThreadedServer(**options)
        self.addCleanup(server.stop)
        return server

    def test_ten_thousand_echoes_encrypted(self) -> None:
        server = self.server()
        self.assertEqual(peer("client", server.address, "10000"), ["ok", "10000", "Noise_NN_25519_AESGCM_SHA256"])

    def test_pre_shared_key(self) -> None:
        server = self.server(psk=KEY)
        self.assertEqual(
            peer("client", server.address, "100", "--psk", KEY.hex()), ["ok", "100", "Noise_NNpsk0_25519_AESGCM_SHA256"]
        )
        refused = peer("client", server.address, "1", "--psk", bytes(32).hex(), "--timeout", "1500")
        self.assertEqual(refused[0], "error")
        self.assertEqual(peer("client", server.address, "1", "--psk", KEY.hex())[0], "ok")  # it goes on

    def test_plain(self) -> None:
        server = self.server(encryption=False)
        self.assertEqual(peer("client", server.address, "100", "--plain"), ["ok", "100", "none"])

    def test_a_megabyte_and_the_limit(self) -> None:
        server = self.server(max_message_size=2 * 1024 * 1024)
        self.assertEqual(peer("client", server.address, "3", "--payload", str(1024 * 1024))[0], "ok")
        self.assertEqual(peer("limits", server.address, str(2 * 1024 * 1024)), ["ok", "limits"])

    def test_requests(self) -> None:
        server = self.server()
        self.assertEqual(peer("requests", server.address), ["ok", "requests"])

    def test_peer_credentials(self) -> None:
        seen: List[Optional[int]] = []

        async def record(client: aio.Peer) -> None:
            seen.extend([client.pid, client.uid])
            await echo(client)

        server = ThreadedServer()
        server.server._handler = record
        self.addCleanup(server.stop)
        self.assertEqual(peer("client", server.address, "1")[0], "ok")
        self.assertEqual(seen[1], os.getuid())
        self.assertIsNotNone(seen[0])

    def test_hostile_bytes_drop_only_their_connection(self) -> None:
        server = self.server(handshake_timeout=1.0)  # the one that says nothing more
        path = f"/tmp/{server.address}.sock"
        hostile = []
        with self.assertLogs("libipc", "WARNING") as logged:
            for garbage in (b"\x00", b"\x07", b"\x00" + b"\xff" * 64, b"\x00\xff\xff\xff\xff"):
                attacker = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                attacker.connect(path)
                attacker.recv(2)  # the preamble
                attacker.sendall(garbage)
                hostile.append(attacker)
            self.assertEqual(peer("client", server.address, "500"), ["ok", "500", "Noise_NN_25519_AESGCM_SHA256"])
            for attacker in hostile:
                attacker.settimeout(30)
                while attacker.recv(4096):  # the server ends each hostile connection
                    pass
                attacker.close()
        reasons = "\n".join(logged.output)
        self.assertIn("refused the preamble (reply 7)", reasons)
        self.assertIn("a frame of 4294967295 bytes; the limit is 1024", reasons)
        self.assertIn("no handshake within 1 s", reasons)

    def test_address_in_use(self) -> None:
        server = self.server()
        loop = asyncio.new_event_loop()
        try:
            with self.assertRaises(libipc.AddressInUse) as refused:
                loop.run_until_complete(aio.Server(server.address, echo).start())
        finally:
            loop.close()
        self.assertIn("in use by another server", str(refused.exception))
        # The first server goes on (and has seen the second one's probe by now).
        self.assertEqual(peer("client", server.address, "1")[0], "ok")


if __name__ == "__main__":
    unittest.main()
