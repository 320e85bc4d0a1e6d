"""The objects a Server or Client exposes, served to the replicas its
peers acquire (docs/PROTOCOL.md, section 7c): acquire, invoke, set
property, release and list in; emissions, missed and withdrawn out.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Set, Tuple

from .errors import Error, InvalidArgument, InvalidConfiguration, IpcError, ObjectNotFound
from .objects import Interface, check_value

if TYPE_CHECKING:
    from .aio import Channel

_log = logging.getLogger("libipc")

# Operations: the message types of object traffic.
ACQUIRE, RELEASE, EMISSION, INVOKE, SET_PROPERTY, WITHDRAWN, LIST, MISSED = range(1, 9)


class _Exposed:
    def __init__(self, name: str, instance: Any, handle: int) -> None:
        self.name = name
        self.instance = instance
        self.handle = handle
        self.interface = Interface.of(instance)
        self.acquirers: Dict["Channel", int] = {}  # how many replicas each peer holds
        self.missed: Dict["Channel", int] = {}  # emissions a full window refused, per peer
        self.relays: List[Tuple[Any, Callable[..., None]]] = []

    def values(self) -> List[Any]:
        return [getattr(self.instance, p.name) for p in self.interface.properties]


class ObjectHost:
    """Exposed objects by name and by handle."""

    def __init__(self) -> None:
        self._by_name: Dict[str, _Exposed] = {}
        self._by_handle: Dict[int, _Exposed] = {}
        # From a random start, so a call meant for an earlier process matches nothing.
        self._next_handle = secrets.randbits(40) + 1
        self._tasks: Set["asyncio.Task[None]"] = set()

    def expose(self, name: str, instance: Any) -> None:
        if not name:
            raise InvalidConfiguration("an object is exposed under a name")
        if name in self._by_name:
            raise InvalidConfiguration(f"an object is already exposed as {name}")
        exposed = _Exposed(name, instance, self._next_handle)
        self._next_handle += 1
        for index, signal in enumerate(exposed.interface.signals):
            relay = self._relay(exposed, index)
            bound = getattr(instance, signal.name)
            bound.connect(relay)
            exposed.relays.append((bound, relay))
        self._by_name[name] = exposed
        self._by_handle[exposed.handle] = exposed

    def unexpose(self, name: str, reason: str = "the object was unexposed") -> None:
        exposed = self._by_name.pop(name, None)
        if exposed is None:
            raise ObjectNotFound(f"no object is exposed as {name}")
        del self._by_handle[exposed.handle]
        for bound, relay in exposed.relays:
            bound.disconnect(relay)
        for channel in exposed.acquirers:
            channel._object_send(WITHDRAWN, [exposed.handle, reason])

    @property
    def names(self) -> List[str]:
        return sorted(self._by_name)

    def _relay(self, exposed: _Exposed, index: int) -> Callable[..., None]:
        notified = [i for i, p in enumerate(exposed.interface.properties) if p.notify == index]

        def relay(*arguments: Any) -> None:
            properties = {i: getattr(exposed.instance, exposed.interface.properties[i].name) for i in notified}
            for channel in list(exposed.acquirers):
                if channel._window_full or exposed.missed.get(channel):
                    # Not queued without bound: counted, and told once there is room.
                    exposed.missed[channel] = exposed.missed.get(channel, 0) + 1
                else:
                    channel._object_send(EMISSION, [exposed.handle, index, list(arguments), properties])

        return relay

    # --- what peers ask
    def window_opened(self, channel: "Channel") -> None:
        for exposed in self._by_handle.values():
            count = exposed.missed.pop(channel, 0)
            if count:
                channel._object_send(MISSED, [exposed.handle, count, exposed.values()])

    def forget(self, channel: "Channel") -> None:
        """The peer is gone: nothing more goes to it."""
        for exposed in self._by_handle.values():
            exposed.acquirers.pop(channel, None)
            exposed.missed.pop(channel, None)

    def on_message(self, channel: "Channel", call_id: int, operation: int, value: Any) -> None:
        try:
            if operation == RELEASE:
                self._release(channel, value)
                return
            if operation == ACQUIRE:
                answer = self._acquire(channel, value)
            elif operation == LIST:
                answer = [{"name": e.name, "interface": e.interface.to_cbor()} for e in self._by_name.values()]
            elif operation == SET_PROPERTY:
                answer = self._set_property(value)
            elif operation == INVOKE:
                self._invoke(channel, call_id, value)
                return
            else:
                raise ObjectNotFound(f"object operation {operation} is not one a source answers")
        except IpcError as error:
            if call_id:
                channel._object_fail(call_id, operation, error.error, str(error))
            else:
                _log.warning("a peer's object message (operation %d) was ignored: %s", operation, error)
            return
        if call_id:
            channel._object_answer(call_id, operation, answer)

    def _find(self, handle: Any) -> _Exposed:
        exposed = self._by_handle.get(handle) if isinstance(handle, int) else None
        if exposed is None:
            raise ObjectNotFound(f"no object has the handle {handle!r} (it was withdrawn, or is from an earlier process)")
        return exposed

    def _acquire(self, channel: "Channel", value: Any) -> Dict[str, Any]:
        name = value.get("name") if isinstance(value, dict) else None
        if not isinstance(name, str):
            raise InvalidArgument('an acquire names its object: {"name": text}')
        exposed = self._by_name.get(name)
        if exposed is None:
            known = ", ".join(self.names) or "none"
            raise ObjectNotFound(f"no object is exposed as {name} (exposed: {known})")
        exposed.acquirers[channel] = exposed.acquirers.get(channel, 0) + 1
        return {"handle": exposed.handle, "interface": exposed.interface.to_cbor(), "properties": exposed.values()}

    def _release(self, channel: "Channel", value: Any) -> None:
        exposed = self._find(value.get("handle") if isinstance(value, dict) else None)
        count = exposed.acquirers.get(channel, 0) - 1
        if count > 0:
            exposed.acquirers[channel] = count
        else:
            exposed.acquirers.pop(channel, None)
            exposed.missed.pop(channel, None)

    @staticmethod
    def _triple(value: Any, what: str) -> Tuple[int, int, Any]:
        if not isinstance(value, list) or len(value) != 3 or not all(isinstance(v, int) for v in value[:2]):
            raise InvalidArgument(f"a malformed {what}: [handle, index, ...] expected")
        return value[0], value[1], value[2]

    @staticmethod
    def _member(exposed: _Exposed, members: List[Any], index: int, kind: str) -> Any:
        if not 0 <= index < len(members):
            raise ObjectNotFound(f"{exposed.name} has no {kind} {index}")
        return members[index]

    def _set_property(self, value: Any) -> None:
        handle, index, new = self._triple(value, "property write")
        exposed = self._find(handle)
        prop = self._member(exposed, exposed.interface.properties, index, "property")
        if not prop.writable:
            raise InvalidArgument(f"{exposed.name}.{prop.name} is read-only")
        setattr(exposed.instance, prop.name, check_value(new, prop.type, f"{exposed.name}.{prop.name}"))
        return None

    def _invoke(self, channel: "Channel", call_id: int, value: Any) -> None:
        handle, index, arguments = self._triple(value, "call")
        exposed = self._find(handle)
        method = self._member(exposed, exposed.interface.methods, index, "method")
        where = f"{exposed.name}.{method.signature()}"
        if not isinstance(arguments, list):
            raise InvalidArgument(f"{where}: a call's arguments are a list")
        if len(arguments) != len(method.types):
            raise InvalidArgument(f"{where} takes {len(method.types)} arguments; {len(arguments)} were given")
        checked = [
            check_value(argument, type_, f"{where}'s argument {name or i + 1}")
            for i, (argument, type_, name) in enumerate(zip(arguments, method.types, method.names))
        ]
        assert method.function is not None
        try:
            result = method.function(exposed.instance, *checked)
        except Exception as error:
            self._failed(channel, call_id, where, error)
            return
        if inspect.isawaitable(result):
            channel._calls_in_flight += 1  # bounded: the channel holds further calls at its limit
            task = asyncio.get_running_loop().create_task(self._finish(channel, call_id, where, result))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif call_id:
            channel._object_answer(call_id, INVOKE, result)

    async def _finish(self, channel: "Channel", call_id: int, where: str, pending: Any) -> None:
        try:
            result = await pending
        except Exception as error:
            self._failed(channel, call_id, where, error)
        else:
            if call_id:
                channel._object_answer(call_id, INVOKE, result)
        finally:
            channel._calls_in_flight -= 1
            channel._take_object_backlog()

    async def close(self) -> None:
        """Ends the methods still running for peers."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    @staticmethod
    def _failed(channel: "Channel", call_id: int, where: str, error: Exception) -> None:
        code = error.error if isinstance(error, IpcError) else Error.RemoteError
        text = f"{where} raised {type(error).__name__}: {error}"
        if call_id:
            channel._object_fail(call_id, INVOKE, code, text)
        else:
            _log.warning("%s", text)
