#!/usr/bin/env python3
"""The Python package's cost, as a ratio: its asyncio client against the
C++ library's bench server (ipc_bench's peer: encrypted, and plain) next
to a bare asyncio unix-socket echo of fixed 64-byte messages, in one run.

    PYTHONPATH=python bench/python_bench.py build/bench/ipc_bench [--quick] [--json FILE]

Rows: round trip of 64 bytes (median and p99, µs) and one-way 64-byte
messages per second (the server counts them, then says how many came).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import struct
import subprocess
import sys
import time
from typing import Dict, List, Tuple

from libipc import aio

SIZE = 64


# --- the bare baseline: asyncio streams, fixed 64-byte records, no protocol
async def bare_server(path: str) -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sunk = 0
        try:
            while True:
                record = await reader.readexactly(SIZE)
                kind = record[:1]
                if kind == b"e":
                    writer.write(record)
                elif kind == b"s":
                    sunk += 1
                elif kind == b"f":
                    writer.write(struct.pack(">Q", sunk).ljust(SIZE, b"\0"))
                    sunk = 0
        except asyncio.IncompleteReadError:
            writer.close()

    server = await asyncio.start_unix_server(serve, path)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


class Bare:
    async def open(self, path: str) -> None:
        self.reader, self.writer = await asyncio.open_unix_connection(path)

    async def round_trip(self, record: bytes) -> None:
        self.writer.write(record)
        await self.reader.readexactly(SIZE)

    async def one_way(self, record: bytes) -> None:
        self.writer.write(record)
        await self.writer.drain()

    async def finish(self) -> int:
        self.writer.write(b"f".ljust(SIZE, b"\0"))
        return int(struct.unpack_from(">Q", await self.reader.readexactly(SIZE))[0])

    async def close(self) -> None:
        self.writer.close()


class Libipc:
    def __init__(self, encrypted: bool) -> None:
        self.encrypted = encrypted

    async def open(self, address: str) -> None:
        self.client = await aio.Client.connect(address, encryption_required=self.encrypted)

    async def round_trip(self, record: bytes) -> None:
        await self.client.write(1, record)
        await self.client.receive()

    async def one_way(self, record: bytes) -> None:
        await self.client.write(1, record)

    async def finish(self) -> int:
        await self.client.write(1, b"f")
        return int(struct.unpack(">Q", (await self.client.receive()).data)[0])

    async def close(self) -> None:
        await self.client.close()


async def measure(peer: object, address: str, round_trips: int, messages: int) -> Dict[str, float]:
    await peer.open(address)  # type: ignore[attr-defined]
    echo = b"e".ljust(SIZE, b"x")
    for _ in range(min(200, round_trips)):  # warm-up
        await peer.round_trip(echo)  # type: ignore[attr-defined]
    samples: List[float] = []
    for _ in range(round_trips):
        start = time.perf_counter()
        await peer.round_trip(echo)  # type: ignore[attr-defined]
        samples.append(time.perf_counter() - start)
    samples.sort()
    sink = b"s".ljust(SIZE, b"x")
    start = time.perf_counter()
    for _ in range(messages):
        await peer.one_way(sink)  # type: ignore[attr-defined]
    counted = await peer.finish()  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - start
    await peer.close()  # type: ignore[attr-defined]
    if counted != messages:
        raise SystemExit(f"one-way: {counted} of {messages} arrived")
    return {
        "rtt_median_us": statistics.median(samples) * 1e6,
        "rtt_p99_us": samples[int(len(samples) * 0.99) - 1] * 1e6,
        "oneway64_msgs_per_s": messages / elapsed,
    }


def start(command: List[str]) -> Tuple[subprocess.Popen, str]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().split()
    if not line or line[0] != "ready":
        process.kill()
        raise SystemExit(f"{command[0]} did not start")
    return process, line[1] if len(line) > 1 else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ipc_bench", help="the ipc_bench executable (its --peer server is the C++ side)")
    parser.add_argument("--quick", action="store_true", help="a few hundred samples: a smoke run")
    parser.add_argument("--json", help="write the figures to this file too")
    parser.add_argument("--serve-bare", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_bare:
        asyncio.run(bare_server(options.serve_bare))
        return 0
    round_trips, messages = (300, 2000) if options.quick else (5000, 50000)
    rows: Dict[str, Dict[str, float]] = {}
    tag = f"{os.getpid()}"
    bare_path = f"/tmp/pybench_bare_{tag}.sock"
    bare, _ = start([sys.executable, __file__, options.ipc_bench, "--serve-bare", bare_path])
    try:
        rows["asyncio-unix-bare"] = asyncio.run(measure(Bare(), bare_path, round_trips, messages))
    finally:
        bare.kill()
        bare.wait()
        os.unlink(bare_path)
    for name, encrypted in (("libipc-local-plain", False), ("libipc-local-encrypted", True)):
        server_name = f"pybench_{name}_{tag}"
        server, address = start([options.ipc_bench, "--peer", name, "server", server_name])
        try:
            rows[f"python-{name}"] = asyncio.run(measure(Libipc(encrypted), address, round_trips, messages))
        finally:
            server.kill()
            server.wait()
            for leftover in (f"/tmp/{server_name}.sock", f"/tmp/{server_name}.sock.lock"):
                if os.path.exists(leftover):
                    os.unlink(leftover)
    bare_rtt = rows["asyncio-unix-bare"]["rtt_median_us"]
    bare_rate = rows["asyncio-unix-bare"]["oneway64_msgs_per_s"]
    print(f"{'row':32} {'rtt median µs':>14} {'p99 µs':>9} {'× bare':>7} {'one-way 64 B/s':>15} {'× bare':>7}")
    for name, row in rows.items():
        row["rtt_ratio_to_bare"] = row["rtt_median_us"] / bare_rtt
        row["oneway64_ratio_to_bare"] = row["oneway64_msgs_per_s"] / bare_rate
        print(
            f"{name:32} {row['rtt_median_us']:14.1f} {row['rtt_p99_us']:9.1f} {row['rtt_ratio_to_bare']:7.2f}"
            f" {row['oneway64_msgs_per_s']:15,.0f} {row['oneway64_ratio_to_bare']:7.2f}"
        )
    if options.json:
        with open(options.json, "w") as out:
            json.dump({"python": sys.version.split()[0], "rows": rows}, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
