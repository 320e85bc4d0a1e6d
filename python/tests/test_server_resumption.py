"""A Python server keeps a client's place across that client's
reconnects: the connection breaks (a proxy between them cuts it, no
goodbye), the client comes back, and both streams go on exactly once, in
order, under the same handler. The client is the C++ library's, and the
Python one."""

import asyncio
import unittest
from typing import List

from libipc import aio

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


if __name__ == "__main__":
    unittest.main()
