"""A Python server keeps a client's place across that client's
reconnects: the connection breaks (a proxy between them cuts it, no
goodbye), the client comes back, and both streams go on exactly once, in
order, under the same handler. The client is the C++ library's, and the
Python one."""

import asyncio
import itertools
import unittest
from typing import List

import libipc
from libipc import aio
from libipc.objects import Property

from .test_interop import PEER, CuttingProxy, unique_address


class EchoThroughProxy:
    """A Python echo server behind a proxy that cuts after the given
    numbers of bytes went upstream."""

    def __init__(self, cut_after: List[int]) -> None:
        self.name = unique_address()
        self.handlers = 0
        self.proxy = CuttingProxy(self.name, cut_after)
        self.server = aio.Server(f"/tmp/{self.name}.sock", self.echo)

    async def echo(self, peer: aio.Peer) -> None:
        self.handlers += 1
        async for message in peer:
            await peer.write(message.type, message.data)

    async def __aenter__(self) -> "EchoThroughProxy":
        await self.server.start()
        await self.proxy.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.proxy.stop()
        await self.server.close()


class PythonServerResumes(unittest.TestCase):
    def test_python_client_exactly_once_across_three_cuts(self) -> None:
        async def run() -> None:
            async with EchoThroughProxy([2_000, 10_000, 25_000]) as echo:
                async with await aio.Client.connect(echo.proxy.address) as client:
                    count, in_flight = 3000, 200  # the server cannot run far ahead of the cuts
                    for i in range(in_flight):
                        await client.write(1, b"%d" % i)
                    echoes: List[bytes] = []
                    while len(echoes) < count:
                        echoes.append((await client.receive()).data)
                        if len(echoes) + in_flight <= count:
                            await client.write(1, b"%d" % (len(echoes) + in_flight - 1))
                    self.assertEqual(echoes, [b"%d" % i for i in range(count)])
                self.assertEqual((echo.server.resumptions, echo.handlers), (3, 1))

        asyncio.run(asyncio.wait_for(run(), 120))

    @unittest.skipUnless(PEER, "IPC_TEST_PEER names ipc_test_peer (CTest sets it)")
    def test_cpp_client_exactly_once_across_three_cuts(self) -> None:
        async def run() -> None:
            async with EchoThroughProxy([50_000, 200_000, 350_000]) as echo:
                # It writes 3000 messages, then checks that the echoes are
                # exactly those, in order (a duplicate or a gap fails it).
                client = await asyncio.create_subprocess_exec(
                    PEER, "client", echo.proxy.address, "3000", "--payload", "100", "--timeout", "30000",
                    stdout=asyncio.subprocess.PIPE,
                )
                out, _ = await client.communicate()
                self.assertEqual(out.decode().split()[:2], ["ok", "3000"], out.decode())
                self.assertEqual((echo.server.resumptions, echo.handlers), (3, 1))

        asyncio.run(asyncio.wait_for(run(), 120))

    def test_a_handler_writing_through_cuts_loses_nothing(self) -> None:
        # The handler writes all the time, also while the client is away and
        # while its new connection's handshake ends.
        async def run() -> None:
            address = f"/tmp/{unique_address()}.sock"

            async def stream(peer: aio.Peer) -> None:
                for i in itertools.count():
                    await peer.write(1, b"%d" % i)
                    await asyncio.sleep(0)

            async with aio.Server(address, stream, encryption=False) as server:
                async with await aio.Client.connect(address, encryption_required=False) as client:
                    got: List[int] = []
                    for _ in range(5):
                        got += [int((await client.receive()).data) for _ in range(300)]
                        client._writer.transport.abort()  # the connection breaks, no goodbye
                    got += [int((await client.receive()).data) for _ in range(300)]
                    self.assertEqual(got, list(range(1800)))
                    self.assertEqual(server.resumptions, 5)

        asyncio.run(asyncio.wait_for(run(), 120))

    def test_a_server_that_forgot_the_client_counts_as_restarted(self) -> None:
        # Without resume_timeout the server keeps nothing: the client that
        # comes back acquires its replicas again, and a request the server had
        # received fails instead of waiting for an answer that cannot come.
        class Lamp:
            level = Property(int, 0)

        async def run() -> None:
            address = f"/tmp/{unique_address()}.sock"
            lamp = Lamp()
            received = asyncio.Event()

            async def slow(peer: aio.Peer) -> None:
                async for message in peer:
                    received.set()  # and never answered by this handler

            async with aio.Server(address, slow, encryption=False, resume_timeout=None) as server:
                server.expose("lamp", lamp)
                async with await aio.Client.connect(address, encryption_required=False) as client:
                    replica = await client.acquire("lamp")
                    pending = asyncio.get_running_loop().create_task(client.request(1, b"slow", timeout=60))
                    await received.wait()
                    while client.unconfirmed():  # the server confirmed the request
                        await asyncio.sleep(0.01)
                    async with replica.signals("resynchronized") as resynchronized:
                        client._writer.transport.abort()
                        self.assertEqual((await resynchronized.__anext__()).arguments, [0])
                    self.assertEqual(client.reconnections, 1)
                    with self.assertRaises(libipc.ConnectionLost) as lost:
                        await pending
                    self.assertIn("restarted before answering", str(lost.exception))
                    async with replica.signals("levelChanged") as changes:
                        lamp.level = 5
                        self.assertEqual((await changes.__anext__()).arguments, [5])

        asyncio.run(asyncio.wait_for(run(), 120))

    def test_what_a_server_that_forgot_the_client_takes_is_confirmed(self) -> None:
        # The new peer's stream starts where the client's first unconfirmed
        # message is: its acks count from there, so the client's window empties.
        async def run() -> None:
            address = f"/tmp/{unique_address()}.sock"
            peers: List[aio.Peer] = []
            done = asyncio.Event()

            async def keep(peer: aio.Peer) -> None:
                peers.append(peer)
                await done.wait()

            async with aio.Server(address, keep, encryption=False, resume_timeout=None):
                async with await aio.Client.connect(address, encryption_required=False) as client:
                    for i in range(1, 11):
                        await client.write(1, b"m%d" % i)
                    while not peers:
                        await asyncio.sleep(0.01)
                    for _ in range(4):
                        await peers[0].receive()
                    while len(client.unconfirmed()) != 6:
                        await asyncio.sleep(0.01)
                    client._writer.transport.abort()
                    while len(peers) < 2:
                        await asyncio.sleep(0.01)
                    got = [(await peers[1].receive()).data for _ in range(6)]
                    self.assertEqual(got, [b"m%d" % i for i in range(5, 11)])
                    while client.unconfirmed():  # the new server confirms all six
                        await asyncio.sleep(0.01)
                    done.set()

        asyncio.run(asyncio.wait_for(run(), 120))


if __name__ == "__main__":
    unittest.main()
