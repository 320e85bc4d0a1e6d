"""Addresses, parsed by the same rules as the C++ library's.

``name`` is the local socket ``/tmp/name.sock``; ``/abs/path.sock`` (or
``local:/abs/path.sock``) a path as given; ``tcp://host:port``,
``tcp://[::1]:port``: TCP (port 6969 when left out, ``localhost`` or no
host: loopback).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Optional

from .errors import InvalidAddress

DEFAULT_TCP_PORT = 6969  # MinIPC's
_MAX_SOCKET_PATH = 107  # sockaddr_un holds 108 bytes with the terminating zero
_LABEL = re.compile(r"^[A-Za-z0-9_-]{1,63}$")


@dataclass(frozen=True)
class Address:
    """Where to connect or listen: a local socket path, or a TCP host and port."""

    path: Optional[str] = None
    host: Optional[str] = None
    port: int = 0

    @property
    def is_local(self) -> bool:
        return self.path is not None

    def __str__(self) -> str:
        if self.path is not None:
            return self.path
        if self.host is not None and ":" in self.host:
            return f"tcp://[{self.host}]:{self.port}"
        return f"tcp://{self.host}:{self.port}"


def _is_host_name(name: str) -> bool:
    if len(name) > 253:
        return False
    labels = name.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels = labels[:-1]  # a trailing dot is fine
    if not all(_LABEL.match(label) and not label.startswith("-") and not label.endswith("-") for label in labels):
        return False
    return not labels[-1].isdigit()  # an all-digit last label is a mistyped IP address


def _parse_tcp(rest: str, original: str) -> Address:
    host, port_text = rest, ""
    if host.startswith("["):
        close = host.find("]")
        if close < 0:
            raise InvalidAddress(f'invalid address "{original}": missing \']\' after an IPv6 host')
        port_text, host = host[close + 1 :], host[1:close]
        if port_text and not port_text.startswith(":"):
            raise InvalidAddress(f"invalid address \"{original}\": expected ':' after ']'")
        port_text = port_text[1:]
    elif ":" in host:
        host, port_text = host.rsplit(":", 1)
    if not host or host.lower() == "localhost":
        host = "127.0.0.1"
    else:
        try:
            host = str(ipaddress.ip_address(host))
        except ValueError:
            if not _is_host_name(host):
                raise InvalidAddress(
                    f'invalid address "{original}": "{host}" is neither an IP address nor a host name'
                ) from None
    if not port_text:
        port = DEFAULT_TCP_PORT
    elif port_text.isdigit() and int(port_text) <= 65535:
        port = int(port_text)
    else:
        raise InvalidAddress(f'invalid address "{original}": port must be 0-65535')
    return Address(host=host, port=port)


def _parse_local(name: str, original: str) -> Address:
    if not name:
        raise InvalidAddress(f'invalid address "{original}": the name is empty')
    if "\0" in name:
        raise InvalidAddress("invalid address: the name contains a NUL character")
    if name.startswith("/"):
        path = name
    elif "/" in name:
        raise InvalidAddress(f"invalid address \"{original}\": a name must not contain '/' (use an absolute path)")
    else:
        path = f"/tmp/{name}.sock"
    if len(path.encode()) > _MAX_SOCKET_PATH:
        raise InvalidAddress(f'invalid address "{original}": socket path longer than {_MAX_SOCKET_PATH} bytes')
    return Address(path=path)


def parse_address(text: str) -> Address:
    """Parses ``text``; raises :class:`InvalidAddress` naming what is wrong."""
    trimmed = text.strip()
    if not trimmed:
        raise InvalidAddress("invalid address: the address is empty")
    if trimmed.lower().startswith("tcp://"):
        return _parse_tcp(trimmed[6:], text)
    if trimmed.lower().startswith("local:"):
        return _parse_local(trimmed[6:], text)
    if "://" in trimmed:
        raise InvalidAddress(f'invalid address "{text}": unknown scheme (use a name, a path or tcp://)')
    return _parse_local(trimmed, text)
