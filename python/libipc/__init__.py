"""libipc for Python: the native protocol of the libipc Qt library.

``libipc.connect(address)`` gives a blocking client; ``libipc.aio.Client``
the asyncio one. Errors are :class:`libipc.IpcError` subclasses named as
the C++ library's ``ipc::Error`` values.
"""

from . import aio
from .address import Address, parse_address
from .blocking import Client, connect
from .connection import Message, cbor_payload
from .errors import *  # noqa: F401,F403 (the exceptions, by their libipc names)
from .errors import Error, IpcError

__all__ = ["aio", "Address", "parse_address", "Client", "connect", "Message", "cbor_payload", "Error", "IpcError"]
__version__ = "0.1.0"
