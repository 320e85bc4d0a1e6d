#!/usr/bin/env python3
"""The Python package's cost, as a ratio: its asyncio client against the
C++ library's bench server (ipc_bench's peer: encrypted, and plain) next
to a bare asyncio unix-socket echo of fixed 64-byte messages, in one run.

    PYTHONPATH=python bench/python_bench.py build/bench/ipc_bench [--quick] [--json FILE]

Rows: round trip of 64 bytes (median and p99, µs) and one-way 64-byte
messages per second (the server counts them, then says how many came).
The rows take turns over 7 rounds; each figure is the median of the rounds.
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
from typing import Any, Dict, List, Tuple

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


async def round_trips(peer: Any, count: int) -> List[float]:
    echo = b"e".ljust(SIZE, b"x")
    samples: List[float] = []
    for _ in range(count):
        start = time.perf_counter()
        await peer.round_trip(echo)
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


async def one_way(peer: Any, messages: int) -> float:
    sink = b"s".ljust(SIZE, b"x")
    start = time.perf_counter()
    for _ in range(messages):
        await peer.one_way(sink)
    counted = await peer.finish()
    elapsed = time.perf_counter() - start
    if counted != messages:
        raise SystemExit(f"one-way: {counted} of {messages} arrived")
    return messages / elapsed


async def measure(peers: Dict[str, Any], addresses: Dict[str, str], rounds: int, count: int, messages: int) -> Dict[str, Dict[str, float]]:
    """The rows take turns, round after round, so that what the shared
    machine does meanwhile falls on all of them; each figure is the median
    of the rounds."""
    for name, peer in peers.items():
        await peer.open(addresses[name])
        await round_trips(peer, 200)  # warm-up
    medians: Dict[str, List[float]] = {name: [] for name in peers}
    every: Dict[str, List[float]] = {name: [] for name in peers}
    rates: Dict[str, List[float]] = {name: [] for name in peers}
    for _ in range(rounds):
        for name, peer in peers.items():
            samples = await round_trips(peer, count)
            medians[name].append(statistics.median(samples))
            every[name] += samples
            rates[name].append(await one_way(peer, messages))
    for peer in peers.values():
        await peer.close()
    rows = {}
    for name in peers:
        every[name].sort()
        rows[name] = {
            "rtt_median_us": statistics.median(medians[name]),
            "rtt_p99_us": every[name][int(len(every[name]) * 0.99) - 1],
            "oneway64_msgs_per_s": statistics.median(rates[name]),
        }
    return rows


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
    rounds, count, messages = (1, 300, 2000) if options.quick else (7, 1000, 10000)
    tag = f"{os.getpid()}"
    bare_path = f"/tmp/pybench_bare_{tag}.sock"
    children: List[subprocess.Popen] = []
    peers: Dict[str, Any] = {}
    addresses: Dict[str, str] = {}
    try:
        bare, _ = start([sys.executable, __file__, options.ipc_bench, "--serve-bare", bare_path])
        children.append(bare)
        peers["asyncio-unix-bare"], addresses["asyncio-unix-bare"] = Bare(), bare_path
        for name, encrypted in (("libipc-local-plain", False), ("libipc-local-encrypted", True)):
            server, address = start([options.ipc_bench, "--peer", name, "server", f"pybench_{name}_{tag}"])
            children.append(server)
            peers[f"python-{name}"], addresses[f"python-{name}"] = Libipc(encrypted), address
        rows = asyncio.run(measure(peers, addresses, rounds, count, messages))
    finally:
        for child in children:
            child.kill()
            child.wait()
            if child.stdout:
                child.stdout.close()
        for leftover in [bare_path] + [
            f"/tmp/pybench_{name}_{tag}{suffix}"
            for name in ("libipc-local-plain", "libipc-local-encrypted")
            for suffix in (".sock", ".sock.lock")
        ]:
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
