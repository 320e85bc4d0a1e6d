#!/usr/bin/env python3
"""A thermostat written in Python, exposed as a remote object with the
interface of examples/remote_objects/thermostat.rep, so the Qt panel
(a typed ThermostatReplica) and `ipcctl` use it as they use the C++ daemon:

    PYTHONPATH=python examples/python/thermostat.py [address] &
    build/examples/remote_objects/thermostat_panel --address thermostat_py
    build/ipcctl/ipcctl call thermostat_py thermostat.describe
"""

import asyncio
import signal
import sys

from libipc import aio
from libipc.objects import Property, Signal


class Thermostat:
    """The members and Qt types of thermostat.rep: a typed Qt replica
    checks each signature against them."""

    temperature = Property(float, 18.0, readonly=True)  # temperatureChanged(double)
    target = Property(float, 21.0)  # replicas may set it
    heating = Property(bool, False, readonly=True)
    alarm = Signal(str, names=["text"])

    def __init__(self) -> None:
        self._boost_ticks = 0
        self._warned = False

    def describe(self) -> str:
        state = "heating" if self.heating else "idle"
        boosted = ", boosted" if self._boost_ticks > 0 else ""
        return f"{self.temperature:.1f} °C, target {self.target:.1f} °C, {state}{boosted} (in Python)"

    def boost(self, minutes: int) -> None:
        self._boost_ticks = max(0, min(minutes, 60)) * 120

    def _step(self) -> None:
        """Every half second: heat towards the target, cool towards 15 °C."""
        boosted = self._boost_ticks > 0
        self.heating = self.temperature < self.target - 0.2 or (boosted and self.temperature < self.target + 2)
        change = (0.4 if boosted else 0.2) if self.heating else -0.05
        self.temperature = round(self.temperature + change, 2)
        self._boost_ticks = max(0, self._boost_ticks - 1)
        if self.temperature > 28 and not self._warned:
            self._warned = True
            self.alarm.emit(f"too warm: {self.temperature:.1f} °C")
        elif self.temperature < 27:
            self._warned = False


async def serve_peer(peer: aio.Peer) -> None:
    async for _ in peer:  # object traffic is answered by the server; messages are not expected
        pass


async def main(address: str) -> None:
    thermostat = Thermostat()
    server = aio.Server(address, serve_peer)
    server.expose("thermostat", thermostat)
    stop = asyncio.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(number, stop.set)
    async with server:
        print(f"thermostat exposed at {server.address}", flush=True)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except asyncio.TimeoutError:
                thermostat._step()  # (a name with _ stays local: replicas cannot call it)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "thermostat_py"))
