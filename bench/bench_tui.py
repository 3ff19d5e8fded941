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
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import entries
from papershelf.library import CACHE_DIR, Library
from papershelf.tui.app import PapershelfApp
from papershelf.tui.screens.main import MainScreen
from papershelf.tui.widgets.paper_list import PaperList

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


def generate(root: Path, count: int) -> tuple[int, float | None]:
    """Create the library once (one ``Library.add`` of every paper); the number of
    papers and the seconds generation took (``None`` if it existed already)."""
    if root.exists():
        return len(Library(root)), None
    start = time.perf_counter()
    library = Library(root)
    library.add(entries(count))
    return len(library), time.perf_counter() - start


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
        "moves_ms": [round(m * 1000, 1) for m in moves],
    }


def run_phase(phase: str, root: Path) -> dict[str, Any]:
    """Run one phase in a fresh interpreter, so phases do not share memory or threads."""
    out = subprocess.run([sys.executable, __file__, "--phase", phase, "--dir", str(root)],
                         check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    """Run the benchmark and print a report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, help="library directory (default: bench/out/lib-COUNT)")
    parser.add_argument("--fresh", action="store_true", help="regenerate the library")
    parser.add_argument("--phase", choices=["open", "typing"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    root = args.dir or Path(__file__).resolve().parent / "out" / f"lib-{args.count}"
    if args.phase == "open":
        print(json.dumps(asyncio.run(open_app(root))))
        return 0
    if args.phase == "typing":
        print(json.dumps(asyncio.run(typing(root))))
        return 0
    if args.fresh and root.exists():
        shutil.rmtree(root)
    report: dict[str, Any] = {"papers": args.count}
    report["library_papers"], report["generation_s"] = generate(root, args.count)
    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
    report["cold"] = run_phase("open", root)
    report["warm"] = run_phase("open", root)
    report["typing"] = run_phase("typing", root)
    print(json.dumps(report, indent=2))
    out = root.parent / f"report-{args.count}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
