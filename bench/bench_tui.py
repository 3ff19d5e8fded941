"""Benchmark the TUI on a large library (not a test: it prints numbers).

    .venv/bin/python bench/bench_tui.py [--count 100000] [--dir bench/out/lib-100000]

1. generates (deterministically, once) a library of ``--count`` papers made of the
   sample dumps' words, in one ``Library.add`` call, and reports how long that took;
2. opens the app headless (``App.run_test``) and reports the time from creating the
   app (which opens the library) to the first rows painted by the paper list, with a
   cold search-index cache and again with a warm one;
3. types queries into the filter one key at a time and reports, per keystroke, the
   time from the key press to the list painting that query's results (p50 / p95 /
   max), plus the time the search itself took in the worker;
4. moves the cursor and pages through the list and reports the time to repaint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate  # noqa: E402

from papershelf.library import CACHE_DIR  # noqa: E402
from papershelf.tui.app import PapershelfApp  # noqa: E402
from papershelf.tui.screens.main import MainScreen  # noqa: E402
from papershelf.tui.widgets.paper_list import PaperList  # noqa: E402

QUERIES = ("vision language pretraining", "is:unread contrastive", "multimodl benchmrk")
SIZE = (140, 45)


@dataclass
class Paints:
    """When the paper list last drew a row, and for which query."""

    first_row_at: float | None = None
    last: tuple[float, str, int] = (0.0, "", 0)
    times: list[float] = field(default_factory=list)


PAINTS = Paints()
_original_render_line = PaperList.render_line


def _render_line(self: PaperList, y: int) -> Any:
    strip = _original_render_line(self, y)
    if self.results is not None:
        now = time.perf_counter()
        if PAINTS.first_row_at is None and len(self.results):
            PAINTS.first_row_at = now
        PAINTS.last = (now, self.results.query.text, self._generation)
    return strip


PaperList.render_line = _render_line  # type: ignore[method-assign]


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def wait_for(condition: Any, pilot: Any, timeout: float = 60.0) -> None:
    """Poll ``condition`` every millisecond."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"benchmark condition not reached; last paint {PAINTS.last}")
        await pilot.pause(0.001)


async def open_app(root: Path) -> dict[str, float]:
    """Time from creating the app to the first rows painted; then index loading."""
    PAINTS.first_row_at = None
    start = time.perf_counter()
    app = PapershelfApp(root)
    opened = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: PAINTS.first_row_at is not None, pilot)
        first_rows = (PAINTS.first_row_at or 0.0) - start
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await wait_for(lambda: not screen.indexing, pilot, timeout=600)
        indexed = time.perf_counter() - start
        shown = len(screen.papers)
    return {"library_open_s": opened - start, "first_rows_s": first_rows,
            "indexes_ready_s": indexed, "rows": shown}


async def typing(root: Path) -> dict[str, Any]:
    """Per-keystroke latency from key press to the new results painted."""
    app = PapershelfApp(root)
    latencies: list[float] = []
    search_ms: list[float] = []
    per_query: dict[str, list[float]] = {}
    moves: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await wait_for(lambda: PAINTS.first_row_at is not None and not screen.indexing, pilot, 600)
        for query in QUERIES:
            await pilot.press("slash", "ctrl+u")
            await wait_for(lambda: screen.filter_text == "", pilot)
            typed = ""
            for char in query:
                typed += char
                before = PAINTS.last[2]
                start = time.perf_counter()
                await pilot.press("space" if char == " " else char)
                await wait_for(lambda t=typed, b=before: PAINTS.last[1] == t and PAINTS.last[2] != b
                               and screen.papers.results is not None
                               and screen.papers.results.query.text == t, pilot)
                elapsed = PAINTS.last[0] - start
                latencies.append(elapsed)
                per_query.setdefault(query, []).append(elapsed)
                search_ms.append(screen.last_search_ms)
            await pilot.press("escape")
        await pilot.press("slash", "ctrl+u", "escape")
        await wait_for(lambda: screen.papers.results is not None
                       and screen.papers.results.query.text == "", pilot)
        await pilot.press("home")
        await pilot.pause(0.1)
        for key in ["j"] * 20 + ["pagedown"] * 20 + ["end", "home"]:
            before = PAINTS.last[0]
            start = time.perf_counter()
            await pilot.press(key)
            await wait_for(lambda b=before: PAINTS.last[0] != b, pilot)
            moves.append(PAINTS.last[0] - start)
    ms = [x * 1000 for x in latencies]
    return {
        "keystrokes": len(ms),
        "all_ms": [round(x, 1) for x in ms],
        "keystroke_p50_ms": percentile(ms, 0.5),
        "keystroke_p95_ms": percentile(ms, 0.95),
        "keystroke_max_ms": max(ms),
        "search_only_p50_ms": percentile(search_ms, 0.5),
        "search_only_p95_ms": percentile(search_ms, 0.95),
        "per_query_p50_ms": {q: statistics.median(v) * 1000 for q, v in per_query.items()},
        "per_query_max_ms": {q: max(v) * 1000 for q, v in per_query.items()},
        "move_p50_ms": percentile([m * 1000 for m in moves], 0.5),
        "move_max_ms": max(moves) * 1000,
    }


def main() -> int:
    """Run the benchmark and print a report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, help="library directory (default: bench/out/lib-COUNT)")
    parser.add_argument("--fresh", action="store_true", help="regenerate the library")
    args = parser.parse_args()
    root = args.dir or Path(__file__).resolve().parent / "out" / f"lib-{args.count}"
    if args.fresh and root.exists():
        shutil.rmtree(root)
    report: dict[str, Any] = {"papers": args.count}
    existed = root.exists()
    library, seconds = generate(root, args.count)
    report["generation_s"] = None if existed else seconds
    report["library_papers"] = len(library)
    del library
    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
    report["cold"] = asyncio.run(open_app(root))
    report["warm"] = asyncio.run(open_app(root))
    report["typing"] = asyncio.run(typing(root))
    print(json.dumps(report, indent=2))
    out = root.parent / f"report-{args.count}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
