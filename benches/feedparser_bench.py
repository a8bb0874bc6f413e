#!/usr/bin/env python3
"""Parse a feed file with Python feedparser R times; print items/s as JSON.

The reference a user would otherwise pick: `vigie bench ingest --python PY` runs this
on the very file vigie parses, in the same run. Usage: feedparser_bench.py FEED [ROUNDS]
"""
import json
import sys
import time

import feedparser


def main() -> None:
    path = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    data = open(path, "rb").read()
    items = 0
    start = time.perf_counter()
    for _ in range(rounds):
        d = feedparser.parse(data)
        items += len(d.entries)
    secs = time.perf_counter() - start
    print(json.dumps({"tool": "feedparser", "version": feedparser.__version__, "items": items, "seconds": secs, "items_per_s": items / secs}))


if __name__ == "__main__":
    main()
