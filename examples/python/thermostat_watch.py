#!/usr/bin/env python3
"""Drives examples/remote_objects' thermostat daemon from Python: acquires
its "thermostat" object, prints its properties, sets a new target, and
prints each change until the temperature reaches the target (or COUNT
changes went by):

    build/examples/remote_objects/thermostat_daemon &
    PYTHONPATH=python examples/python/thermostat_watch.py [address] [target] [count]
"""

import sys

import libipc


def main() -> int:
    address = sys.argv[1] if len(sys.argv) > 1 else "thermostat"
    target = float(sys.argv[2]) if len(sys.argv) > 2 else 19.0
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    try:
        with libipc.connect(address) as client:
            thermostat = client.acquire("thermostat")
            print(f"{thermostat.interface.class_name}: {thermostat.values}")
            print(thermostat.call("describe"))
            with thermostat.signals() as changes:  # every signal from here on
                thermostat.set_value("target", target)
                for _ in range(count):
                    emission = changes.next(timeout=10)
                    print(f"{emission.signal}{tuple(emission.arguments)}")
                    if emission.signal == "temperatureChanged" and abs(emission.arguments[0] - target) < 0.25:
                        break
    except libipc.IpcError as error:
        print(f"thermostat_watch failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
