"""In-process benchmarks, run by ``bench/run.py`` in a child process of their own.

``python bench/inprocess.py search LIB --runs R QUERY...`` opens the library, loads
the search indexes and times ``papershelf.search.search(catalog, query)`` for every
query (one untimed first call each, then ``R`` timed calls with the catalog's memo of
word scores off, then ``R`` with it on).

``python bench/inprocess.py toggle LIB --runs R`` times ``lib.tag([key], T)`` and
``lib.untag([key], T)`` ``R`` times each on keys spread over the library; each call
returns only once the change is fsynced, so this is the durable write latency.

Both print one JSON object on stdout (times in milliseconds) and leave the library
as they found it. The cyclic garbage collector stays on, as in a long-running TUI.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

TOGGLE_TAG = "bench-toggle"


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile of ``values`` (nearest rank on the sorted values)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil without importing math
    return ordered[int(rank) - 1]


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_search(library_dir: Path, queries: list[str], runs: int) -> dict[str, object]:
    """Open, load indexes, then time every query ``runs`` times."""
    import papershelf.catalog as catalog_module
    from papershelf.library import Library
    from papershelf.search import search

    remembered = catalog_module.WORD_MEMO

    start = time.perf_counter()
    library = Library(library_dir)
    catalog = library.catalog()
    opened = time.perf_counter()
    catalog.load_indexes()
    loaded = time.perf_counter()
    rows = []
    every: list[float] = []
    catalog_module.WORD_MEMO = 0
    for query in queries:
        catalog._word_memo.clear()  # what the query before left remembered
        t0 = time.perf_counter()
        hits = len(search(catalog, query))
        first = (time.perf_counter() - t0) * 1000
        # Timed with the catalog's memo of word scores off, so every call scores every
        # word; then with it on, as when the query's words were searched just before.
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            search(catalog, query)
            times.append((time.perf_counter() - t0) * 1000)
        catalog_module.WORD_MEMO = remembered
        search(catalog, query)
        again = []
        for _ in range(runs):
            t0 = time.perf_counter()
            search(catalog, query)
            again.append((time.perf_counter() - t0) * 1000)
        catalog_module.WORD_MEMO = 0
        every += times
        rows.append({"query": query, "hits": hits, "first_ms": first,
                     "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95),
                     "remembered_p50_ms": percentile(again, 50)})
    return {
        "papers": len(catalog),
        "open_ms": (opened - start) * 1000,
        "load_indexes_ms": (loaded - opened) * 1000,
        "queries": rows,
        "p50_ms": percentile(every, 50),
        "p95_ms": percentile(every, 95),
        "max_ms": max(every, default=float("nan")),
        "max_rss_mb": _max_rss_mb(),
    }


def bench_toggle(library_dir: Path, runs: int) -> dict[str, object]:
    """Tag then untag ``runs`` papers spread over the library, one at a time."""
    from papershelf.library import Library

    library = Library(library_dir)
    keys = sorted(library.keys())
    picked = [keys[(i * 7919) % len(keys)] for i in range(runs)]
    tag_ms: list[float] = []
    untag_ms: list[float] = []
    for key in picked:
        t0 = time.perf_counter()
        change = library.tag([key], TOGGLE_TAG)
        t1 = time.perf_counter()
        library.untag([key], TOGGLE_TAG)
        t2 = time.perf_counter()
        if change.empty:
            raise SystemExit(f"{key} already carried {TOGGLE_TAG}: the library is not clean")
        tag_ms.append((t1 - t0) * 1000)
        untag_ms.append((t2 - t1) * 1000)
    both = tag_ms + untag_ms
    return {
        "papers": len(keys),
        "runs": runs,
        "tag_p50_ms": percentile(tag_ms, 50), "tag_p95_ms": percentile(tag_ms, 95),
        "untag_p50_ms": percentile(untag_ms, 50), "untag_p95_ms": percentile(untag_ms, 95),
        "p50_ms": percentile(both, 50), "p95_ms": percentile(both, 95),
        "max_ms": max(both, default=float("nan")),
        "max_rss_mb": _max_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("what", choices=["search", "toggle"])
    parser.add_argument("library", type=Path)
    parser.add_argument("queries", nargs="*")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_intermixed_args()
    if args.what == "search":
        result = bench_search(args.library, args.queries, args.runs)
    else:
        result = bench_toggle(args.library, args.runs)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
