"""Remote objects: a Python replica of the C++ thermostat daemon
(examples/remote_objects), and a Python object that Qt replicas use: the
thermostat panel (a typed ThermostatReplica) and ipcctl (a DynamicReplica).
Paths in IPC_THERMOSTAT_DAEMON, IPC_THERMOSTAT_PANEL and IPCCTL (CTest
sets them); the Python-only tests need none."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import unittest
from typing import Any, AsyncIterator, List, Tuple

import libipc
from libipc import aio
from libipc.objects import Interface, Property, Signal
from libipc.source import SET_PROPERTY

from .test_interop import remove_socket_files, unique_address

DAEMON = os.environ.get("IPC_THERMOSTAT_DAEMON", "")
PANEL = os.environ.get("IPC_THERMOSTAT_PANEL", "")
IPCCTL = os.environ.get("IPCCTL", "")

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python"))
from thermostat import Thermostat  # noqa: E402  (the example's Python thermostat)


class Counter:
    stepped = Signal(int, names=["by"])
    count = Property(int, 0, readonly=True)
    label = Property(str, "")

    def step(self, by: int) -> int:
        self.count += by
        self.stepped.emit(by)
        return self.count

    async def shout(self, text: str) -> str:
        await asyncio.sleep(0)
        return text.upper()

    def fail(self) -> None:
        raise ValueError("it went wrong")


async def serve(peer: aio.Peer) -> None:
    async for _ in peer:
        pass


def local(name: str) -> str:
    return f"/tmp/{name}.sock"


@contextlib.asynccontextmanager
async def exposing(instance: Any) -> AsyncIterator[Tuple[aio.Server, Any, aio.Client]]:
    """A server exposing ``instance`` as "counter", and a client of it."""
    server = aio.Server(local(unique_address()), serve)
    server.expose("counter", instance)
    async with server, await aio.Client.connect(server.address) as client:
        yield server, instance, client


class PythonOnBothSides(unittest.TestCase):
    """The Python source and replica, each checked against the protocol's rules."""

    def test_interface_from_a_class(self) -> None:
        interface = Interface.of(Counter()).to_cbor()
        self.assertEqual(interface["class"], "Counter")
        self.assertEqual(
            [s["name"] for s in interface["signals"]], ["stepped", "countChanged", "labelChanged"]
        )
        self.assertEqual(
            interface["methods"][0],
            {"name": "step", "parameters": [{"type": "int", "name": "by"}], "returns": "int"},
        )
        self.assertEqual(interface["methods"][2]["returns"], "void")
        self.assertEqual(
            interface["properties"],
            [
                {"name": "count", "type": "int", "writable": False, "notify": 1},
                {"name": "label", "type": "QString", "writable": True, "notify": 2},
            ],
        )
        # A class that cannot be described is refused when exposed, naming why.
        class Bad:
            def take(self, *many: int) -> None:
                pass

        with self.assertRaises(libipc.InvalidConfiguration) as refused:
            Interface.of(Bad())
        self.assertIn("Bad.take has a parameter many", str(refused.exception))

    def test_calls_properties_signals_and_errors(self) -> None:
        async def run() -> None:
            async with exposing(Counter()) as (server, counter, client):
                self.assertEqual(list(await client.objects()), ["counter"])
                replica = await client.acquire("counter")
                self.assertEqual(replica.values, {"count": 0, "label": ""})
                heard: List[Tuple[str, List[Any]]] = []
                replica.on("countChanged", lambda value: heard.append(("countChanged", [value])))
                emissions = replica.signals()
                self.assertEqual(await replica.call("step", 2), 2)
                # The property's new value is in before its change signal fires.
                first = await emissions.__anext__()
                self.assertEqual((first.signal, first.arguments, replica.value("count")), ("countChanged", [2], 2))
                second = await emissions.__anext__()
                self.assertEqual((second.signature, second.arguments), ("stepped(int)", [2]))
                self.assertEqual(heard, [("countChanged", [2])])
                self.assertEqual(await replica.call("shout", "hi"), "HI")  # an async method
                await replica.set_value("label", "kitchen")
                self.assertEqual((counter.label, replica.value("label")), ("kitchen", "kitchen"))

                refusals = {
                    "RemoteError": (replica.call("fail"), "counter.fail() raised ValueError: it went wrong"),
                    "InvalidArgument": (replica.call("step", "x"), "argument by takes int; got str"),
                    "ObjectNotFound": (replica.call("nope"), "Counter has no method nope (it has step(int)"),
                    "InvalidArgument ": (replica.set_value("count", 3), "counter.count is read-only"),
                    # The source refuses it too, when a replica skips the check.
                    "InvalidArgument  ": (
                        client._object_call(SET_PROPERTY, [replica.handle, 0, 3], 5), "counter.count is read-only"
                    ),
                    "ObjectNotFound ": (client.acquire("none"), "no object is exposed as none (exposed: counter)"),
                }
                for name, (call, says) in refusals.items():
                    with self.subTest(name):
                        with self.assertRaises(libipc.IpcError) as refused:
                            await call
                        self.assertEqual(type(refused.exception).__name__, name.strip())
                        self.assertIn(says, str(refused.exception))
                self.assertEqual(counter.count, 2)  # nothing refused changed it

                # Withdrawn: the replica is gone and says why.
                server.unexpose("counter")
                with self.assertRaises(libipc.ObjectNotFound) as gone:
                    while True:
                        await emissions.__anext__()
                self.assertIn("counter was withdrawn", str(gone.exception))
                self.assertEqual(replica.state, "gone")
                with self.assertRaises(libipc.NotConnected):
                    await replica.call("step", 1)

        asyncio.run(run())

    def test_released_replica_hears_nothing_more(self) -> None:
        async def run() -> None:
            async with exposing(Counter()) as (server, counter, client):
                kept = await client.acquire("counter")
                dropped = await client.acquire("counter")
                heard: List[int] = []
                dropped.on("stepped", heard.append)
                await dropped.release()
                self.assertEqual(dropped.state, "released")
                async with kept.signals("stepped") as stepped:
                    counter.step(5)
                    self.assertEqual((await stepped.__anext__()).arguments, [5])
                self.assertEqual(heard, [])
                await kept.release()
                await client.objects()  # a round trip: the releases before it were read
                # The source sends a peer with no replica left nothing of the object.
                self.assertEqual(server._host._by_name["counter"].acquirers, {})

        asyncio.run(run())

    def test_a_subscription_not_read_ends_with_a_reason(self) -> None:
        async def run() -> None:
            async with exposing(Counter()) as (server, counter, client):
                replica = await client.acquire("counter")
                stepped = replica.signals("stepped")
                stepped.LIMIT = 3
                for by in range(1, 5):
                    await replica.call("step", by)
                taken = [(await stepped.__anext__()).arguments for _ in range(3)]
                self.assertEqual(taken, [[1], [2], [3]])
                with self.assertRaises(libipc.WriteQueueFull) as ended:
                    await stepped.__anext__()
                self.assertIn("3 emissions were not taken", str(ended.exception))
                self.assertEqual(replica.state, "valid")  # the replica itself goes on
                self.assertEqual(await replica.call("step", 1), 11)

        asyncio.run(run())

    def test_an_answer_over_the_callers_maximum_is_refused_for_that_call(self) -> None:
        class Blob:
            text = Property(str, "x" * 5000)

            def small(self) -> str:
                return "ok"

        async def run() -> None:
            address = local(unique_address())
            server = aio.Server(address, serve)
            server.expose("blob", Blob())
            async with server:
                async with await aio.Client.connect(address, max_message_size=1024) as small:
                    with self.assertRaises(libipc.InvalidArgument) as refused:
                        await small.acquire("blob")
                    self.assertIn("over the caller's maximum of 1024", str(refused.exception))
                async with await aio.Client.connect(address) as roomy:  # the server went on
                    self.assertEqual(await (await roomy.acquire("blob")).call("small"), "ok")

        asyncio.run(run())


def start_daemon(address: str, start: str = "18") -> subprocess.Popen:
    daemon = subprocess.Popen(
        [DAEMON, "--address", address, "--start", start], stderr=subprocess.PIPE, text=True
    )
    assert daemon.stderr is not None
    line = daemon.stderr.readline()
    if "exposed at" not in line:
        daemon.kill()
        raise AssertionError(f"the thermostat daemon did not start: {line}")
    return daemon


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


@unittest.skipUnless(DAEMON, "IPC_THERMOSTAT_DAEMON names examples/remote_objects' daemon (CTest sets it)")
class ReplicaOfTheCppThermostat(unittest.TestCase):
    def daemon(self, start: str = "18") -> str:
        address = unique_address()
        daemon = start_daemon(address, start)
        self.addCleanup(remove_socket_files, address)
        self.addCleanup(stop, daemon)
        return address

    def test_blocking_replica(self) -> None:
        address = self.daemon()
        with libipc.connect(address) as client:
            self.assertIn("thermostat", client.objects())
            thermostat = client.acquire("thermostat")
            self.assertEqual(thermostat.interface.class_name, "Thermostat")
            self.assertEqual(set(thermostat.values), {"temperature", "target", "heating"})
            self.assertEqual(thermostat.value("target"), 21.0)
            self.assertIn("target 21.0 °C", thermostat.call("describe"))
            with thermostat.signals("targetChanged") as changes:
                thermostat.set_value("target", 25)  # an int where the property is a double
                self.assertEqual(changes.next(timeout=30).arguments, [25.0])
            self.assertEqual(thermostat.value("target"), 25.0)
            # It heats: the temperature climbs, announced by its signal.
            (temperature,) = thermostat.wait_for("temperatureChanged", timeout=30)
            self.assertGreaterEqual(thermostat.value("temperature"), temperature)
            with self.assertRaises(libipc.Timeout):
                thermostat.wait_for("alarm", timeout=0.2)  # never emitted here
            self.assertIsNone(thermostat.call("boost", 1))
            with self.assertRaises(libipc.InvalidArgument) as refused:
                thermostat.call("boost", "ten")
            self.assertIn("boost", str(refused.exception))
            with self.assertRaises(libipc.InvalidArgument):
                thermostat.set_value("temperature", 3.0)  # read-only

    def test_source_restart_reacquires(self) -> None:
        address = unique_address()
        self.addCleanup(remove_socket_files, address)
        daemon = start_daemon(address, "18")
        self.addCleanup(lambda: stop(daemon))

        async def run() -> None:
            nonlocal daemon
            async with await aio.Client.connect(address, reconnect_timeout=60) as client:
                thermostat = await client.acquire("thermostat")
                old_handle = thermostat.handle
                async with thermostat.signals("resynchronized", "stateChanged") as changes:
                    stop(daemon)
                    remove_socket_files(address)
                    self.assertEqual((await changes.__anext__()).arguments, ["suspect"])
                    daemon = start_daemon(address, "10")
                    states = [(await changes.__anext__()).arguments for _ in range(2)]
                self.assertEqual(states, [["valid"], [0]])  # valid again, then resynchronized(0)
                self.assertNotEqual(thermostat.handle, old_handle)
                self.assertLess(thermostat.value("temperature"), 12)  # the new process's values
                self.assertIn("target 21.0", await thermostat.call("describe"))

        asyncio.run(run())


async def run_tool(*arguments: str) -> Tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *arguments, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 120)
    except asyncio.TimeoutError:
        process.kill()  # ours, by its pid
        await process.wait()
        raise AssertionError(f"{' '.join(arguments)}: not done within 120 s") from None
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@unittest.skipUnless(PANEL and IPCCTL, "IPC_THERMOSTAT_PANEL and IPCCTL name the Qt replicas (CTest sets them)")
class QtReplicasOfAPythonObject(unittest.TestCase):
    def test_typed_panel_and_dynamic_ipcctl(self) -> None:
        async def run() -> None:
            address = local(unique_address())
            thermostat = Thermostat()
            server = aio.Server(address, serve)
            server.expose("thermostat", thermostat)
            async with server:
                # The panel's generated ThermostatReplica checks every member's
                # signature; it saves its window only once the replica is valid.
                with tempfile.TemporaryDirectory() as directory:
                    picture = os.path.join(directory, "panel.png")
                    code, _, err = await run_tool(PANEL, "--address", address, "--screenshot", picture)
                    self.assertEqual(code, 0, err)
                    self.assertGreater(os.path.getsize(picture), 1000)

                code, out, err = await run_tool(IPCCTL, "call", address, "thermostat.describe")
                self.assertEqual((code, out.strip()), (0, "18.0 °C, target 21.0 °C, idle (in Python)"), err)
                code, out, err = await run_tool(IPCCTL, "set", address, "thermostat.target", "23.5")
                self.assertEqual(code, 0, err)
                self.assertEqual(thermostat.target, 23.5)
                code, out, err = await run_tool(IPCCTL, "get", address, "thermostat.target")
                self.assertEqual((code, out.strip()), (0, "23.5"), err)
                code, out, err = await run_tool(IPCCTL, "call", address, "thermostat.boost", "ten")
                self.assertNotEqual(code, 0)
                self.assertIn("thermostat.boost(int)'s argument minutes takes int; got str 'ten'", err)

                # A Qt replica watching a signal the Python object emits.
                watcher = asyncio.get_running_loop().create_task(
                    run_tool(IPCCTL, "watch", "--count", "1", address, "thermostat.alarm")
                )
                async def acquired() -> None:  # until ipcctl's replica is there
                    while not watcher.done() and not server._host._by_name["thermostat"].acquirers:
                        await asyncio.sleep(0.01)

                await asyncio.wait_for(acquired(), 60)
                thermostat.alarm.emit("too warm: 29.0 °C")
                code, out, err = await watcher
                self.assertEqual(code, 0, err)
                self.assertIn("too warm: 29.0 °C", out)

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
