"""A replica: an object another process exposes, acquired by name.

::

    thermostat = await client.acquire("thermostat")
    print(thermostat.value("temperature"), thermostat.interface.class_name)
    print(await thermostat.call("describe"))
    await thermostat.set_value("target", 22.5)
    async for emission in thermostat.signals("temperatureChanged", "alarm"):
        print(emission.signal, emission.arguments)
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Dict, List, Optional, Set, Tuple

from .errors import InvalidArgument, IpcError, NotConnected, ObjectNotFound, Timeout, WriteQueueFull
from .objects import Interface, Member
from .source import ACQUIRE, INVOKE, RELEASE, SET_PROPERTY

if TYPE_CHECKING:
    from .aio import Channel

_log = logging.getLogger("libipc")

# Not signals of the source: what happens to the replica itself.
RESYNCHRONIZED = "resynchronized"  # arguments: [how many emissions were missed]
STATE_CHANGED = "stateChanged"  # arguments: [the new state]


@dataclass
class Emission:
    """A signal the source emitted (or resynchronized / stateChanged)."""

    signal: str
    signature: str
    arguments: List[Any]


class Replica:
    """A remote object: its interface, the last known values of its
    properties, its methods to call and its signals to watch.

    ``state`` is ``valid``; ``suspect`` while the connection is being
    resumed (the values are the last known); ``gone`` once the source
    withdrew it or the connection ended; ``released`` after release().
    Each emission arrives once, in order, with the properties it notifies
    already updated. When the source restarts the replica acquires again,
    emits the change signals of the properties that differ, then
    ``resynchronized(0)``; when the source had to skip emissions because
    this side was slow, ``resynchronized(missed)`` follows the new values.
    """

    def __init__(self, channel: "Channel", name: str, answer: Any) -> None:
        self._channel = channel
        self.name = name
        self.state = "valid"
        self._callbacks: Dict[str, List[Callable[..., Any]]] = {}
        self._subscriptions: Set["Subscription"] = set()
        self._handle, self._interface, self._values = self._read_answer(answer)

    def _read_answer(self, answer: Any) -> Tuple[int, Interface, Dict[str, Any]]:
        if not isinstance(answer, dict) or not isinstance(answer.get("handle"), int):
            raise InvalidArgument(f"the answer to acquiring {self.name} is malformed")
        interface = Interface.from_cbor(answer.get("interface"))
        values = answer.get("properties")
        if not isinstance(values, list) or len(values) != len(interface.properties):
            raise InvalidArgument(f"the answer to acquiring {self.name} has no value for each property")
        return answer["handle"], interface, {p.name: v for p, v in zip(interface.properties, values)}

    # --- what it is
    @property
    def interface(self) -> Interface:
        return self._interface

    @property
    def values(self) -> Dict[str, Any]:
        """Every property's last known value, by name."""
        return dict(self._values)

    def value(self, name: str) -> Any:
        """A property's last known value."""
        if name not in self._values:
            try:
                self._interface.find_property(name)
            except KeyError as error:
                raise ObjectNotFound(f"{self.name}: {error.args[0]}") from None
        return self._values[name]

    def _find(self, members: List[Member], name: str, kind: str) -> Tuple[int, Member]:
        try:
            index = self._interface.find(members, name, kind)
        except KeyError as error:
            raise ObjectNotFound(f"{self.name}: {error.args[0]}") from None
        return index, members[index]

    # --- asking the source
    def _check_usable(self) -> None:
        if self.state in ("gone", "released"):
            raise NotConnected(f"the replica of {self.name} is {self.state}")

    async def call(self, method: str, *arguments: Any, timeout: Optional[float] = 30.0) -> Any:
        """Calls a method (by name or signature) and returns its result.
        Raises ObjectNotFound, InvalidArgument (naming the argument),
        RemoteError (the method failed there), Timeout or ConnectionLost."""
        self._check_usable()
        index, member = self._find(self._interface.methods, method, "method")
        if len(arguments) != len(member.types):
            raise InvalidArgument(
                f"{self.name}.{member.signature()} takes {len(member.types)} arguments; {len(arguments)} were given"
            )
        return await self._channel._object_call(INVOKE, [self._handle, index, list(arguments)], timeout)

    async def set_value(self, name: str, value: Any, timeout: Optional[float] = 30.0) -> None:
        """Asks the source to set a writable property; its change signal follows."""
        self._check_usable()
        try:
            index = self._interface.find_property(name)
        except KeyError as error:
            raise ObjectNotFound(f"{self.name}: {error.args[0]}") from None
        if not self._interface.properties[index].writable:
            raise InvalidArgument(f"{self.name}.{name} is read-only")
        await self._channel._object_call(SET_PROPERTY, [self._handle, index, value], timeout)

    async def release(self) -> None:
        """Tells the source this replica wants nothing more."""
        if self.state in ("valid", "suspect"):
            self._channel._forget_replica(self._handle, self)
            self._channel._object_send(RELEASE, {"handle": self._handle})
            self._set_state("released")

    # --- watching it
    def on(self, signal: str, callback: Callable[..., Any]) -> Callable[[], None]:
        """Calls ``callback(*arguments)`` on each emission of ``signal`` (a
        name, a signature, ``resynchronized`` or ``stateChanged``); returns
        a function that stops it."""
        key = self._key(signal)
        self._callbacks.setdefault(key, []).append(callback)

        def stop() -> None:
            callbacks = self._callbacks.get(key, [])
            if callback in callbacks:
                callbacks.remove(callback)

        return stop

    def signals(self, *names: str) -> "Subscription":
        """An async iterator of the emissions of ``names`` (all when none),
        from now on; it ends when the replica is released and raises
        ObjectNotFound or ConnectionLost when the source or connection goes."""
        subscription = Subscription(self, {self._key(name) for name in names})
        self._subscriptions.add(subscription)
        return subscription

    async def wait_for(self, signal: str, timeout: Optional[float] = None) -> List[Any]:
        """The arguments of the next emission of ``signal``."""
        async with self.signals(signal) as emissions:
            try:
                emission = await asyncio.wait_for(emissions.__anext__(), timeout)
            except asyncio.TimeoutError:
                raise Timeout(f"{self.name}.{signal} was not emitted within {timeout:g} s") from None
            return emission.arguments

    def _key(self, name: str) -> str:
        if name in (RESYNCHRONIZED, STATE_CHANGED):
            return name
        return self._find(self._interface.signals, name, "signal")[1].name

    def _emit(self, name: str, signature: str, arguments: List[Any]) -> None:
        emission = Emission(name, signature, arguments)
        for callback in list(self._callbacks.get(name, [])):
            try:
                callback(*arguments)
            except Exception:  # the application's error must not end the connection
                _log.exception("a callback of %s.%s raised", self.name, name)
        for subscription in list(self._subscriptions):
            subscription._offer(emission)

    def _set_state(self, state: str, error: Optional[IpcError] = None) -> None:
        if state == self.state:
            return
        self.state = state
        self._emit(STATE_CHANGED, f"{STATE_CHANGED}(QString)", [state])
        if state in ("gone", "released"):
            for subscription in list(self._subscriptions):
                subscription._end(error)

    # --- what the source sends (through the channel)
    def _on_emission(self, index: Any, arguments: Any, properties: Any) -> None:
        signals = self._interface.signals
        if not isinstance(index, int) or not 0 <= index < len(signals) or not isinstance(arguments, list):
            _log.warning("%s: an emission of signal %r was malformed: ignored", self.name, index)
            return
        if isinstance(properties, dict):
            for key, value in properties.items():
                if isinstance(key, int) and 0 <= key < len(self._interface.properties):
                    self._values[self._interface.properties[key].name] = value
        signal = signals[index]
        self._emit(signal.name, signal.signature(), arguments)

    def _on_missed(self, count: Any, values: Any) -> None:
        if isinstance(values, list) and len(values) == len(self._interface.properties):
            self._update_all(values)
        self._emit(RESYNCHRONIZED, f"{RESYNCHRONIZED}(int)", [count if isinstance(count, int) else 0])

    def _update_all(self, values: List[Any]) -> None:
        # The change signal of each property whose value differs, as a Qt replica does.
        for prop, value in zip(self._interface.properties, values):
            old = self._values.get(prop.name)
            self._values[prop.name] = value
            if (value != old or type(value) is not type(old)) and prop.notify is not None:
                signal = self._interface.signals[prop.notify]
                if len(signal.types) <= 1:
                    self._emit(signal.name, signal.signature(), [value][: len(signal.types)])

    def _reacquired(self, answer: Any) -> None:
        handle, interface, values = self._read_answer(answer)
        self._handle, self._interface = handle, interface
        self._update_all([values[p.name] for p in interface.properties])
        self._set_state("valid")
        self._emit(RESYNCHRONIZED, f"{RESYNCHRONIZED}(int)", [0])

    @property
    def handle(self) -> int:
        return self._handle


class Subscription:
    """Emissions of a replica, as an async iterator; ``async with`` ends it.
    It holds up to ``LIMIT`` emissions not yet taken: one more ends it with
    WriteQueueFull, saying so, rather than dropping any or growing without end."""

    LIMIT = 65536

    def __init__(self, replica: Replica, names: Set[str]) -> None:
        self._replica = replica
        self._names = names
        self._queue: "asyncio.Queue[Any]" = asyncio.Queue()

    def _offer(self, emission: Emission) -> None:
        if not self._names or emission.signal in self._names:
            if self._queue.qsize() >= self.LIMIT:
                self.close()
                self._end(WriteQueueFull(
                    f"{self._replica.name}: {self.LIMIT} emissions were not taken from this subscription; it was ended"
                ))
                return
            self._queue.put_nowait(emission)

    def _end(self, error: Optional[IpcError]) -> None:
        self._queue.put_nowait(error or StopAsyncIteration())

    def close(self) -> None:
        self._replica._subscriptions.discard(self)

    def __aiter__(self) -> AsyncIterator[Emission]:
        return self

    async def __anext__(self) -> Emission:
        item = await self._queue.get()
        if isinstance(item, BaseException):
            self._queue.put_nowait(item)  # and for each next call
            self.close()
            raise item
        return item  # type: ignore[no-any-return]

    async def __aenter__(self) -> "Subscription":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
