"""The Python client against the real C++ library: an echo server from
tests/helpers/ipc_test_peer (path in IPC_TEST_PEER; these tests are
skipped without it), encrypted, with a pre-shared key, and plain."""

import asyncio
import itertools
import os
import subprocess
import unittest
from typing import List, Optional, Sequence

import libipc
from libipc import aio

PEER = os.environ.get("IPC_TEST_PEER", "")
KEY = bytes(range(32))
_names = itertools.count()


def unique_address() -> str:
    return f"pyipc_{os.getpid()}_{next(_names)}"


def remove_socket_files(address: str) -> None:
    """What a C++ server killed by SIGKILL leaves behind: its socket and lock files."""
    for suffix in (".sock", ".sock.lock"):
        try:
            os.unlink(f"/tmp/{address}{suffix}")
        except FileNotFoundError:
            pass


class EchoServer:
    """ipc_test_peer's echo server in a process of its own (ended by its pid)."""

    def __init__(self, *options: str) -> None:
        self.address = unique_address()
        self.process = subprocess.Popen(
            [PEER, "server", self.address, *options], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # waits for the server, not for a fixed time
        if not line.startswith("listening"):
            self.stop()
            raise RuntimeError(f"the echo server did not start: {line!r}")

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        remove_socket_files(self.address)


@unittest.skipUnless(PEER, "IPC_TEST_PEER names ipc_test_peer (CTest sets it)")
class AgainstCppServer(unittest.TestCase):
    def server(self, *options: str) -> EchoServer:
        server = EchoServer(*options)
        self.addCleanup(server.stop)
        return server

    def test_echo_encrypted_by_default(self) -> None:
        server = self.server()
        with libipc.connect(server.address) as client:
            self.assertEqual(client.encryption, "Noise_NN_25519_AESGCM_SHA256")
            self.assertEqual(len(client.handshake_hash), 32)
            client.write(5, b"hello from python")
            echo = client.receive(timeout=30)
            self.assertEqual((echo.type, echo.data), (5, b"hello from python"))

    def test_pre_shared_key(self) -> None:
        server = self.server("--psk", KEY.hex())
        with libipc.connect(server.address, psk=KEY) as client:
            self.assertEqual(client.encryption, "Noise_NNpsk0_25519_AESGCM_SHA256")
            client.write(1, b"with a key")
            self.assertEqual(client.receive(timeout=30).data, b"with a key")

    def test_wrong_or_missing_key_is_refused(self) -> None:
        server = self.server("--psk", KEY.hex())
        with self.assertRaises(libipc.HandshakeFailed):
            libipc.connect(server.address, psk=bytes(32))
        with self.assertRaises(libipc.PreSharedKeyMismatch) as refused:
            libipc.connect(server.address)
        self.assertIn("pre-shared key", str(refused.exception))
        # The server goes on: the right key still works.
        with libipc.connect(server.address, psk=KEY) as client:
            client.write(1, b"still here")
            self.assertEqual(client.receive(timeout=30).data, b"still here")

    def test_plain_only_when_allowed(self) -> None:
        server = self.server("--plain")
        with self.assertRaises(libipc.EncryptionRequired):
            libipc.connect(server.address)
        with libipc.connect(server.address, encryption_required=False) as client:
            self.assertEqual(client.encryption, "none")
            client.write(2, b"plain")
            self.assertEqual(client.receive(timeout=30).data, b"plain")

    def test_ten_thousand_messages_in_order(self) -> None:
        server = self.server()

        async def run() -> List[bytes]:
            async with await aio.Client.connect(server.address) as client:
                for i in range(10000):
                    await client.write(1 + i % 7, b"message %d" % i)
                return [(await client.receive()).data for _ in range(10000)]

        self.assertEqual(asyncio.run(run()), [b"message %d" % i for i in range(10000)])

    def test_large_message_and_over_the_limit(self) -> None:
        server = self.server("--max-size", str(2 * 1024 * 1024))
        with libipc.connect(server.address) as client:
            big = os.urandom(1024 * 1024)
            client.write(3, big)
            self.assertEqual(client.receive(timeout=30).data, big)
            with self.assertRaises(libipc.MessageTooLarge) as refused:
                client.write(3, bytes(2 * 1024 * 1024 + 1))
            self.assertIn("maximum of 2097152", str(refused.exception))
            client.write(3, b"after the refusal")  # only that write was refused
            self.assertEqual(client.receive(timeout=30).data, b"after the refusal")

    def test_requests_replies_errors_and_timeouts(self) -> None:
        server = self.server()
        with libipc.connect(server.address) as client:
            reply = client.call(7, b"2+3")
            self.assertEqual((reply.type, reply.data), (7, b"2+3"))
            with self.assertRaises(libipc.RemoteError) as refused:
                client.call(99, b"this")
            self.assertEqual(refused.exception.code, 42)
            self.assertEqual(str(refused.exception), "refused: this")
            with self.assertRaises(libipc.Timeout):
                client.call(98, b"never answered", timeout=0.3)
            self.assertEqual(client.call(7, b"after").data, b"after")

    def test_acknowledged_messages_leave_the_window(self) -> None:
        server = self.server()

        async def run() -> int:
            async with await aio.Client.connect(server.address) as client:
                for i in range(100):
                    await client.write(1, b"%d" % i)
                for _ in range(100):
                    await client.receive()
                # The echoes came back, so the server delivered every message;
                # its acks (at most 2 ms after) empty the window.
                for _ in range(3000):
                    if not client.unconfirmed():
                        break
                    await asyncio.sleep(0.01)
                return len(client.unconfirmed())

        self.assertEqual(asyncio.run(run()), 0)

    def test_server_gone(self) -> None:
        server = self.server()

        async def run() -> Optional[BaseException]:
            client = await aio.Client.connect(server.address, reconnect_timeout=0.5)
            await client.write(1, b"x")
            await client.receive()
            server.stop()
            try:
                await client.receive()
            except libipc.IpcError as error:
                return error
            finally:
                await client.close()
            return None

        error = asyncio.run(run())
        self.assertIsInstance(error, libipc.ConnectionLost)
        self.assertIn("was not resumed within 0.5 s", str(error))

    def test_no_server(self) -> None:
        with self.assertRaises(libipc.ServerNotFound):
            libipc.connect(unique_address())

    def test_a_key_of_the_wrong_length_is_refused_before_connecting(self) -> None:
        with self.assertRaises(libipc.InvalidConfiguration) as refused:
            libipc.connect(unique_address(), psk=bytes(16))  # no server either: the key is looked at first
        self.assertIn("32 bytes, not 16", str(refused.exception))


class CuttingProxy:
    """Forwards local-socket connections to ``target`` until cut(): then
    every connection through it breaks at once (no goodbye), as a network
    or a crashed relay would break it. With ``cut_after`` it cuts by itself
    once that many bytes went upstream in all (each number once), so a cut
    falls while data flows."""

    def __init__(self, target: str, cut_after: Sequence[int] = ()) -> None:
        self.address = unique_address()
        self.target = f"/tmp/{target}.sock"
        self.writers: List[asyncio.StreamWriter] = []
        self.server: Optional[asyncio.base_events.Server] = None
        self.cut_after = sorted(cut_after)
        self.upstream_bytes = 0

    async def start(self) -> None:
        self.server = await asyncio.start_unix_server(self._pipe, f"/tmp/{self.address}.sock")

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_unix_connection(self.target)
        self.writers += [writer, upstream_writer]

        async def copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    if sink is upstream_writer:
                        self._count(len(data))
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.close()

        await asyncio.gather(copy(reader, upstream_writer), copy(upstream_reader, writer))

    def _count(self, sent: int) -> None:
        self.upstream_bytes += sent
        if self.cut_after and self.upstream_bytes >= self.cut_after[0]:
            self.cut_after.pop(0)
            self.cut()

    def cut(self) -> None:
        for writer in self.writers:
            transport = writer.transport
            transport.abort()
        self.writers.clear()

    async def stop(self) -> None:
        self.cut()
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()
        os.unlink(f"/tmp/{self.address}.sock")


@unittest.skipUnless(PEER, "IPC_TEST_PEER names ipc_test_peer (CTest sets it)")
class Resumption(unittest.TestCase):
    def test_exactly_once_across_three_cuts(self) -> None:
        server = EchoServer()
        self.addCleanup(server.stop)

        async def run() -> List[bytes]:
            proxy = CuttingProxy(server.address)
            await proxy.start()
            try:
                async with await aio.Client.connect(proxy.address) as client:
                    count = 3000
                    in_flight = 200  # so that each cut breaks a connection with traffic both ways
                    echoes: List[bytes] = []
                    for i in range(in_flight):
                        await client.write(1, b"%d" % i)
                    while len(echoes) < count:
                        echoes.append((await client.receive()).data)
                        if len(echoes) + in_flight <= count:
                            await client.write(1, b"%d" % (len(echoes) + in_flight - 1))
                        if len(echoes) in (500, 1500, 2500):
                            proxy.cut()
                    self.assertEqual(client.reconnections, 3)
                    return echoes
            finally:
                await proxy.stop()

        self.assertEqual(asyncio.run(run()), [b"%d" % i for i in range(3000)])

    def test_at_least_once_across_a_server_restart(self) -> None:
        address = unique_address()

        def sink() -> subprocess.Popen:
            process = subprocess.Popen([PEER, "sink", address], stdout=subprocess.PIPE)
            assert process.stdout is not None
            self.assertTrue(process.stdout.readline().startswith(b"listening"))
            return process

        count = 2000
        first = sink()
        lines: List[bytes] = []
        first_count = 0

        async def run() -> None:
            nonlocal first
            async with await aio.Client.connect(address) as client:
                for i in range(count // 2):
                    await client.write(1, b"%d" % i)
                # The first process delivers some of them, then dies unannounced.
                loop = asyncio.get_running_loop()
                assert first.stdout is not None
                for _ in range(100):
                    lines.append(await loop.run_in_executor(None, first.stdout.readline))
                first.kill()
                first.wait()
                lines.extend(first.stdout.read().splitlines(keepends=True))
                first.stdout.close()
                nonlocal first_count
                first_count = len(lines)
                second = sink()
                try:
                    for i in range(count // 2, count):
                        await client.write(1, b"%d" % i)
                    assert second.stdout is not None
                    seen = {line.strip() for line in lines}
                    while not all(b"%d" % i in seen for i in range(count)):
                        line = await loop.run_in_executor(None, second.stdout.readline)
                        self.assertTrue(line, "the second server ended early")
                        lines.append(line)
                        seen.add(line.strip())
                finally:
                    second.kill()
                    second.wait()
                    if second.stdout:
                        second.stdout.close()

        try:
            asyncio.run(asyncio.wait_for(run(), 120))
        finally:
            remove_socket_files(address)
        received = [int(line) for line in lines]
        self.assertEqual(set(received), set(range(count)))  # none lost
        # A duplicate is one the first process delivered but had not confirmed.
        first_process = {int(line) for line in lines[:first_count]}
        duplicates = {n for n in received if received.count(n) > 1}
        self.assertLessEqual(duplicates, first_process)


if __name__ == "__main__":
    unittest.main()
