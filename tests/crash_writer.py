"""A library writer for the crash test: changes the library until it is killed.

Run as ``python crash_writer.py LIBRARY START``; after each change returns it prints
one JSON line saying what was acknowledged, so the test knows what must survive.
"""

from __future__ import annotations

import json
import random
import sys

from papershelf import library as library_module
from papershelf.library import Library
from papershelf.model import Entry, Source

ABSTRACT = "An abstract written by the crash test writer, long enough. " * 8


def main() -> None:
    root, start = sys.argv[1], int(sys.argv[2])
    library_module.SHARD_CAPACITY = 64  # many shards: imports commit several files at once
    lib = Library(root)
    rng = random.Random(start)
    samples = sorted(k for k in lib.keys() if not k.startswith("crash-"))
    mine: list[str] = []
    for i in range(start, start + 10_000):
        op = rng.choice(["tag", "tag", "import", "note", "rm"])
        if op == "tag":
            key = rng.choice(samples)
            lib.tag([key], f"t{i}")
            ack = {"op": "tag", "key": key, "tag": f"t{i}"}
        elif op == "import":
            entries = [Entry(title=f"Crash paper {i} {j}", abstract=ABSTRACT,
                             source=Source("crash.txt")) for j in range(rng.randint(1, 80))]
            report = lib.add(entries)
            mine += report.new
            ack = {"op": "import", "keys": report.new}
        elif op == "note":
            key = rng.choice(samples)
            lib.set_note(key, f"note {i}\nsecond line")
            ack = {"op": "note", "key": key, "note": f"note {i}\nsecond line"}
        else:
            if not mine:
                continue
            key = mine.pop(rng.randrange(len(mine)))
            print(json.dumps({"op": "rm-begin", "key": key}), flush=True)
            lib.remove([key])
            ack = {"op": "rm", "key": key}
        print(json.dumps(ack), flush=True)


if __name__ == "__main__":
    main()
