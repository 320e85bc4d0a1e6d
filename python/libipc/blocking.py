"""The blocking client, for scripts: the asyncio client run on an event
loop in a thread of its own.

::

    with libipc.connect("echo") as client:
        client.write(1, b"hi")
        print(client.receive(timeout=5))
        print(client.call(2, b"2+3"))
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Callable, Coroutine, Dict, List, Optional, TypeVar

from . import aio, wire
from .connection import Message
from .errors import Timeout
from .objects import Interface
from .replica import Emission
from .replica import Replica as AsyncReplica
from .replica import Subscription as AsyncSubscription

T = TypeVar("T")


class Client:
    """A blocking client; see :func:`connect`."""

    def __init__(self, loop: asyncio.AbstractEventLoop, thread: threading.Thread, client: aio.Client) -> None:
        self._loop = loop
        self._thread = thread
        self._client = client

    def _run(self, coroutine: "Coroutine[Any, Any, T]", timeout: Optional[float] = None) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise Timeout(f"nothing came within {timeout:g} s") from None

    @property
    def encryption(self) -> str:
        return self._client.encryption

    @property
    def handshake_hash(self) -> bytes:
        return self._client.handshake_hash

    def write(self, type_: int, data: bytes) -> None:
        """Sends a message; blocks while the window of unconfirmed messages is full."""
        self._run(self._client.write(type_, data))

    def call(self, type_: int, data: bytes, timeout: Optional[float] = 30.0) -> Message:
        """Sends a request and returns the reply (RemoteError, Timeout, ConnectionLost)."""
        return self._run(self._client.request(type_, data, timeout))

    def receive(self, timeout: Optional[float] = None) -> Message:
        """The next message; Timeout when none arrives within ``timeout`` seconds."""
        return self._run(self._client.receive(), timeout)

    def reply(self, request: Message, type_: int, data: bytes) -> None:
        self._run(self._client.reply(request, type_, data))

    def reply_error(self, request: Message, code: int, text: str) -> None:
        self._run(self._client.reply_error(request, code, text))

    def unconfirmed(self) -> List[Message]:
        return self._client.unconfirmed()

    def acquire(self, name: str, timeout: Optional[float] = 30.0) -> "Replica":
        """A replica of the server's object ``name`` (see :class:`Replica`)."""
        return Replica(self, self._run(self._client.acquire(name, timeout)))

    def objects(self, timeout: Optional[float] = 30.0) -> Dict[str, Interface]:
        """The objects the server exposes, with their interfaces."""
        return self._run(self._client.objects(timeout))

    def close(self) -> None:
        """Says goodbye, closes, and ends the client's thread."""
        if self._thread.is_alive():
            self._run(self._client.close())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    address: str,
    *,
    psk: Optional[bytes] = None,
    encryption_required: bool = True,
    max_message_size: int = wire.DEFAULT_MAX_MESSAGE_SIZE,
    timeout: float = 10.0,
    reconnect_timeout: Optional[float] = 30.0,
    heartbeat_interval: Optional[float] = None,
) -> Client:
    """Connects to the libipc server at ``address`` (encrypted by default)
    and returns a blocking :class:`Client`; raises the IpcError that says
    why it could not. A broken connection is resumed as in
    :meth:`libipc.aio.Client.connect`."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="libipc", daemon=True)
    thread.start()
    coroutine = aio.Client.connect(
        address,
        psk=psk,
        encryption_required=encryption_required,
        max_message_size=max_message_size,
        timeout=timeout,
        reconnect_timeout=reconnect_timeout,
        heartbeat_interval=heartbeat_interval,
    )
    try:
        client = asyncio.run_coroutine_threadsafe(coroutine, loop).result()
    except BaseException:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
        raise
    return Client(loop, thread, client)


class Replica:
    """A remote object for scripts: :class:`libipc.replica.Replica`, blocking.
    Callbacks given to on() run on the client's thread."""

    def __init__(self, client: Client, replica: AsyncReplica) -> None:
        self._client = client
        self._replica = replica

    @property
    def name(self) -> str:
        return self._replica.name

    @property
    def state(self) -> str:
        return self._replica.state

    @property
    def interface(self) -> Interface:
        return self._replica.interface

    @property
    def values(self) -> Dict[str, Any]:
        return self._replica.values

    def value(self, name: str) -> Any:
        return self._replica.value(name)

    def call(self, method: str, *arguments: Any, timeout: Optional[float] = 30.0) -> Any:
        return self._client._run(self._replica.call(method, *arguments, timeout=timeout))

    def set_value(self, name: str, value: Any, timeout: Optional[float] = 30.0) -> None:
        self._client._run(self._replica.set_value(name, value, timeout))

    def on(self, signal: str, callback: Callable[..., Any]) -> Callable[[], None]:
        return self._replica.on(signal, callback)

    def signals(self, *names: str) -> "Subscription":
        """The emissions of ``names`` (all when none) from now on, to take
        one at a time with next(); ``with`` ends it::

            with thermostat.signals("targetChanged") as changes:
                thermostat.set_value("target", 22.5)
                print(changes.next(timeout=10).arguments)
        """
        return Subscription(self._client, self._client._run(self._subscribe(names)))

    async def _subscribe(self, names: "tuple[str, ...]") -> AsyncSubscription:
        return self._replica.signals(*names)  # made on the loop's thread: it holds an asyncio.Queue

    def wait_for(self, signal: str, timeout: Optional[float] = None) -> List[Any]:
        """The arguments of the next emission of ``signal`` from now on."""
        with self.signals(signal) as emissions:
            return emissions.next(timeout).arguments  # type: ignore[no-any-return]

    def release(self) -> None:
        self._client._run(self._replica.release())


class Subscription:
    """Emissions of a blocking replica; see :meth:`Replica.signals`."""

    def __init__(self, client: Client, subscription: AsyncSubscription) -> None:
        self._client = client
        self._subscription = subscription

    def next(self, timeout: Optional[float] = None) -> Emission:
        """The next emission; Timeout when none comes within ``timeout`` seconds."""
        return self._client._run(self._subscription.__anext__(), timeout)

    def close(self) -> None:
        self._subscription.close()

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
