#!/usr/bin/env python3
"""Talks to examples/echo's echo_server from Python, encrypted as every
libipc connection is by default:

    build/examples/echo/echo_server &
    PYTHONPATH=python examples/python/echo_client.py [name] [text]
"""

import sys

import libipc


def main() -> int:
    name = sys.argv[1] if len(sys.argv) > 1 else "echo_server"
    text = sys.argv[2] if len(sys.argv) > 2 else "Hello, Server!"
    try:
        with libipc.connect(name) as client:
            client.write(1, text.encode())
            reply = client.receive(timeout=15)
            print(f"Client received: {reply.data.decode()} (over {client.encryption})")
    except libipc.IpcError as error:
        print(f"echo failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
