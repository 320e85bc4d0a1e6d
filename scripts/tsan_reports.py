#!/usr/bin/env python3
"""Counts ThreadSanitizer reports and tells libipc's from Qt's.

Qt is not built with ThreadSanitizer, so its own synchronisation (the event
queue's mutex, atomics) is invisible and shows up as races between Qt
functions. A report is libipc's when the code that made either of the two
conflicting accesses (the first frame that is not the sanitizer's runtime,
the C library or the C++ standard library) is libipc's own.
Usage: tsan_reports.py LOG... ; prints libipc's reports, exits 1 if any."""
import re
import sys

RUNTIME = re.compile(r"libtsan|sanitizer_common|/libc\.so|libstdc\+\+|/usr/include/c\+\+")
OURS = re.compile(r"/libipc/src/|\bipc::")


def access_owner(lines):
    for line in lines:
        if re.match(r"\s+#\d+ ", line) and not RUNTIME.search(line):
            return line
    return ""


def reports(text):
    for block in text.split("WARNING: ThreadSanitizer")[1:]:
        sections = re.split(r"\n  (?=(?:Previous )?(?:atomic )?(?:[Ww]rite|[Rr]ead) of size)", block)
        accesses = [s.splitlines() for s in sections[1:3]]
        yield block, [access_owner(a) for a in accesses]


def main():
    ours = 0
    total = 0
    for path in sys.argv[1:]:
        with open(path, errors="replace") as log:
            for block, owners in reports(log.read()):
                total += 1
                if any(OURS.search(owner) for owner in owners):
                    ours += 1
                    print("WARNING: ThreadSanitizer" + block)
    print("ThreadSanitizer: %d report(s) in libipc's code, %d in Qt's alone" % (ours, total - ours))
    return 1 if ours else 0


if __name__ == "__main__":
    sys.exit(main())
