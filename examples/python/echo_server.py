#!/usr/bin/env python3
"""An echo server in Python that examples/echo's echo_client (C++) talks to:

    PYTHONPATH=python examples/python/echo_server.py &
    build/examples/echo/echo_client

Each client gets its own handler; requests get a reply, messages an echo.
"""

import asyncio
import signal
import sys

from libipc import aio


async def echo(peer: aio.Peer) -> None:
    print(f"Client connected (pid {peer.pid}, {peer.encryption})", flush=True)
    async for message in peer:
        print(f"Server received: {message.data.decode(errors='replace')}", flush=True)
        if message.is_request:
            await peer.reply(message, message.type, message.data)
        else:
            await peer.write(message.type, message.data)


async def main(name: str) -> None:
    stop = asyncio.Event()
    for ending in (signal.SIGINT, signal.SIGTERM):  # leave no socket file behind
        asyncio.get_running_loop().add_signal_handler(ending, stop.set)
    async with aio.Server(name, echo) as server:
        print(f"Listening on {server.address}", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "echo_server"))
