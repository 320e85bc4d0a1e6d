"""Remote objects, the Python side of what a QObject is to libipc: an
object's signals (:class:`Signal`), properties (:class:`Property`) and
methods, the interface a replica is told about (docs/PROTOCOL.md, section
7c), and the checks a value passes before it reaches a method.

::

    class Counter:
        stepped = Signal(int, names=["by"])
        count = Property(int, 0, readonly=True)     # and its countChanged(int)

        def step(self, by: int) -> int:
            self.count += by                          # countChanged(count) goes to replicas
            self.stepped.emit(by)
            return self.count
"""

from __future__ import annotations

import datetime
import inspect
import typing
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from .errors import InvalidArgument, InvalidConfiguration

TypeSpec = Union[type, str, None]

# Python types and the Qt type names a C++ peer knows them by.
_QT_NAMES: Dict[Any, str] = {
    bool: "bool",
    int: "int",
    float: "double",
    str: "QString",
    bytes: "QByteArray",
    list: "QVariantList",
    dict: "QVariantMap",
    datetime.datetime: "QDateTime",
    uuid.UUID: "QUuid",
    None: "QVariant",
    Any: "QVariant",
}
_INTEGERS = {"int", "uint", "short", "ushort", "char", "uchar", "qlonglong", "qulonglong", "long", "ulong",
             "qint64", "quint64", "qint32", "quint32", "qint16", "quint16", "qint8", "quint8"}


def qt_type(spec: TypeSpec) -> str:
    """The Qt type name for a Python type (``float`` -> ``double``), or the
    name itself when given as text (``"qlonglong"``, ``"QStringList"``)."""
    if isinstance(spec, str):
        if not spec:
            raise InvalidConfiguration("a type name is empty")
        return spec
    origin = typing.get_origin(spec)
    if origin is Union:  # Optional[int] and the like: any value
        return "QVariant"
    if origin in (list, tuple, typing.List, Sequence):
        return "QVariantList"
    if origin in (dict, typing.Dict):
        return "QVariantMap"
    if spec in _QT_NAMES:
        return _QT_NAMES[spec]
    raise InvalidConfiguration(f"the type {spec!r} has no Qt name: give one as text, such as \"QVariant\"")


def check_value(value: Any, type_name: str, what: str) -> Any:
    """``value`` as a parameter of ``type_name`` takes it (an integer takes
    a float without a fraction, as in C++), or InvalidArgument naming ``what``."""
    def refuse() -> InvalidArgument:
        return InvalidArgument(f"{what} takes {type_name}; got {type(value).__name__} {value!r:.60}")

    if type_name == "bool":
        if not isinstance(value, bool):
            raise refuse()
    elif type_name in _INTEGERS:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse()
    elif type_name in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise refuse()
        value = float(value)
    elif type_name == "QString":
        if not isinstance(value, str):
            raise refuse()
    elif type_name == "QByteArray":
        if not isinstance(value, (bytes, bytearray)):
            raise refuse()
        value = bytes(value)
    elif type_name in ("QVariantList", "QStringList") or type_name.startswith("QList<"):
        if not isinstance(value, list):
            raise refuse()
    elif type_name in ("QVariantMap", "QVariantHash"):
        if not isinstance(value, dict):
            raise refuse()
    return value


class Signal:
    """A signal of an exposed object, declared in its class:
    ``alarm = Signal(str, int, names=["text", "level"])``. ``obj.alarm.emit(...)``
    sends it to every replica (in order); ``obj.alarm.connect(callback)``
    also calls ``callback(*arguments)`` here. Emit (and set properties) on
    the thread of the event loop that runs the Server or Client."""

    def __init__(self, *types: TypeSpec, names: Optional[Sequence[str]] = None) -> None:
        self.types = [qt_type(spec) for spec in types]
        self.names = list(names) if names is not None else [""] * len(types)
        if len(self.names) != len(self.types):
            raise InvalidConfiguration("a signal has as many parameter names as types")
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: Optional[type] = None) -> Any:
        if instance is None:
            return self
        return BoundSignal(self, instance)


class BoundSignal:
    """A :class:`Signal` of one object."""

    def __init__(self, signal: Signal, instance: Any) -> None:
        self._signal = signal
        self._listeners: List[Callable[..., None]] = _listeners(instance).setdefault(signal.name, [])

    def connect(self, callback: Callable[..., None]) -> None:
        self._listeners.append(callback)

    def disconnect(self, callback: Callable[..., None]) -> None:
        self._listeners.remove(callback)

    def emit(self, *arguments: Any) -> None:
        if len(arguments) != len(self._signal.types):
            raise InvalidArgument(
                f"the signal {self._signal.name} has {len(self._signal.types)} parameters; "
                f"{len(arguments)} arguments were given"
            )
        for listener in list(self._listeners):
            listener(*arguments)


def _listeners(instance: Any) -> Dict[str, List[Callable[..., None]]]:
    # Kept on the instance, so an object needs no base class.
    listeners = instance.__dict__.get("_libipc_listeners")
    if listeners is None:
        listeners = instance.__dict__["_libipc_listeners"] = {}
    return listeners  # type: ignore[no-any-return]


class Property:
    """A property of an exposed object: ``target = Property(float, 21.0)``.
    Assigning a different value emits its notify signal, ``targetChanged``
    (made for it unless ``notify`` names a signal of the class), which
    carries the new value to replicas. Replicas may set it unless
    ``readonly``."""

    def __init__(
        self, type_: TypeSpec, default: Any = None, *, readonly: bool = False, notify: Optional[str] = None
    ) -> None:
        self.type = qt_type(type_)
        self.default = default
        self.writable = not readonly
        self.notify = notify
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        if self.notify is None:
            self.notify = f"{name}Changed"
            if self.notify not in owner.__dict__:
                signal = Signal(self.type, names=[name])
                signal.__set_name__(owner, self.notify)
                setattr(owner, self.notify, signal)

    def __get__(self, instance: Any, owner: Optional[type] = None) -> Any:
        if instance is None:
            return self
        return instance.__dict__.get(self.name, self.default)

    def __set__(self, instance: Any, value: Any) -> None:
        old = instance.__dict__.get(self.name, self.default)
        instance.__dict__[self.name] = value
        if value != old or type(value) is not type(old):
            getattr(instance, self.notify or "").emit(value)


@dataclass
class Member:
    name: str
    types: List[str]
    names: List[str]
    returns: str = "void"
    function: Optional[Callable[..., Any]] = None

    def signature(self) -> str:
        return f"{self.name}({','.join(self.types)})"

    def to_cbor(self, with_result: bool) -> Dict[str, Any]:
        entry: Dict[str, Any] = {
            "name": self.name,
            "parameters": [{"type": t, "name": n} for t, n in zip(self.types, self.names)],
        }
        if with_result:
            entry["returns"] = self.returns
        return entry


@dataclass
class PropertyInfo:
    name: str
    type: str
    writable: bool
    notify: Optional[int]


@dataclass
class Interface:
    """What an object offers, as a replica is told on acquire."""

    class_name: str
    signals: List[Member] = field(default_factory=list)
    methods: List[Member] = field(default_factory=list)
    properties: List[PropertyInfo] = field(default_factory=list)

    def to_cbor(self) -> Dict[str, Any]:
        properties = []
        for p in self.properties:
            entry: Dict[str, Any] = {"name": p.name, "type": p.type, "writable": p.writable}
            if p.notify is not None:
                entry["notify"] = p.notify
            properties.append(entry)
        return {
            "class": self.class_name,
            "signals": [s.to_cbor(False) for s in self.signals],
            "methods": [m.to_cbor(True) for m in self.methods],
            "properties": properties,
        }

    @classmethod
    def from_cbor(cls, value: Any) -> "Interface":
        """A source's interface; ProtocolError-free: InvalidArgument names what is malformed."""
        try:
            interface = cls(str(value["class"]))
            for kind, out in (("signals", interface.signals), ("methods", interface.methods)):
                for entry in value[kind]:
                    parameters = entry["parameters"]
                    out.append(
                        Member(
                            str(entry["name"]),
                            [str(p["type"]) for p in parameters],
                            [str(p.get("name", "")) for p in parameters],
                            str(entry.get("returns", "void")),
                        )
                    )
            for entry in value["properties"]:
                notify = entry.get("notify")
                interface.properties.append(
                    PropertyInfo(str(entry["name"]), str(entry["type"]), bool(entry.get("writable")),
                                 notify if isinstance(notify, int) else None)
                )
        except (KeyError, TypeError, AttributeError) as error:
            raise InvalidArgument(f"the source's interface is malformed ({error!r})") from None
        return interface

    @classmethod
    def of(cls, instance: Any) -> "Interface":
        """Read from an object's class: its Signals, Properties, and public
        methods (their type hints give the parameter types; none means QVariant)."""
        owner = type(instance)
        interface = cls(owner.__name__)
        seen: Dict[str, Any] = {}
        for klass in reversed(owner.__mro__[:-1]):  # bases first, as Qt orders members
            for name, attribute in vars(klass).items():
                if not name.startswith("_"):
                    seen.pop(name, None)
                    seen[name] = attribute
        signal_index: Dict[str, int] = {}
        for name, attribute in seen.items():
            if isinstance(attribute, Signal):
                signal_index[name] = len(interface.signals)
                interface.signals.append(Member(name, attribute.types, attribute.names))
        for name, attribute in seen.items():
            if isinstance(attribute, Property):
                if attribute.notify not in signal_index:
                    raise InvalidConfiguration(
                        f"the property {name} of {owner.__name__} names the notify signal "
                        f"{attribute.notify}, which the class does not have"
                    )
                interface.properties.append(
                    PropertyInfo(name, attribute.type, attribute.writable, signal_index[attribute.notify or ""])
                )
            elif inspect.isfunction(attribute):
                interface.methods.append(_method(owner, name, attribute))
        return interface

    def find(self, members: List[Member], name: str, kind: str) -> int:
        """A member by name or by signature, or ObjectNotFound's reason."""
        for index, member in enumerate(members):
            if member.name == name or member.signature() == name:
                return index
        names = ", ".join(m.signature() for m in members) or "none"
        raise KeyError(f"{self.class_name} has no {kind} {name} (it has {names})")

    def find_property(self, name: str) -> int:
        for index, p in enumerate(self.properties):
            if p.name == name:
                return index
        names = ", ".join(p.name for p in self.properties) or "none"
        raise KeyError(f"{self.class_name} has no property {name} (it has {names})")


def _method(owner: type, name: str, function: Callable[..., Any]) -> Member:
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # a hint that does not resolve here: the types stay open
        hints = {}
    parameters = list(inspect.signature(function).parameters.values())[1:]  # without self
    for parameter in parameters:
        if parameter.kind not in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            raise InvalidConfiguration(
                f"{owner.__name__}.{name} has a parameter {parameter.name} a replica cannot pass "
                "(only positional parameters can travel)"
            )
    returns = hints.get("return", Any)
    return Member(
        name,
        [qt_type(hints.get(p.name, Any)) for p in parameters],
        [p.name for p in parameters],
        "void" if returns is type(None) else qt_type(returns),
        function,
    )
