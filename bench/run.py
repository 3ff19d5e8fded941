"""Run every papershelf benchmark and write a Markdown report.

    python bench/run.py                                  # 1k, 10k, 100k + pubs, fzf, TUI
    python bench/run.py --sizes 1000,10000,100000 --out BENCHMARKS.md
    python bench/run.py --smoke                          # 200 papers, one run each, seconds

Everything it needs is generated deterministically into the work directory (default
``bench/out/``, git-ignored): page dumps of N papers made from the words of
``sample_data/`` (``bench/generate.py``), a 5,000-entry ``.bib``, the libraries they
import into, the titles+abstracts text for fzf, and a pubs repository (pubs is
installed into its own venv there on first use).

Whole-process timings are wall-clock times from spawning the command to its exit,
with the peak memory (max RSS) of that process (GNU time); each is the median of
``--runs`` runs after one untimed warm-up run. Commands that change the library act
on a different paper in each run, so every run really writes. In-process latencies
come from ``bench/inprocess.py`` in a child process of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402

#: ``list QUERY`` in the per-size table: two words, a typical selective query.
LIST_QUERY = "diffusion segmentation"
#: In-process search latency at the largest size: words, prefixes, typos, phrases, filters.
SEARCH_QUERIES = [
    "surgery",
    "diffusion segmentation",
    "contrastive pretraining",
    "medical image",
    "zero-shot retrieval",
    "vision language model",
    "language model",
    "transfomer",
    "distilation",
    "robo",
    "languagebind",
    '"image encoder"',
    "is:unread audio",
    "tag:bench -tag:done",
    "",
]
#: Plain-word queries compared with ``fzf --filter`` on the same text.
FZF_QUERIES = ["surgery", "diffusion segmentation", "medical image", "zero-shot retrieval",
               "vision language model", "transfomer"]
#: Words searched in the 5k ``.bib`` comparison (``pubs list abstract:WORD``).
PUBS_WORDS = ["surgery", "distillation"]
BIB_SIZE = 5000
#: Papers in the small page dumps imported into each library (a day's listing).
SMALL_IMPORT = 50
TAG = "bench"
EXPORT_TAG = "bench-export"
BULK_TAG = "bench-bulk"
MB = 1024 * 1024

# --------------------------------------------------------------------------- timing


@dataclass
class Sample:
    """One finished process: wall time, peak memory, exit status."""

    seconds: float
    max_rss_mb: float
    status: int


@dataclass
class Timing:
    """Several runs of one command (or a note on why it did not run)."""

    label: str
    command: str
    samples: list[Sample] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether every run succeeded."""
        return self.error is None and bool(self.samples)

    @property
    def median(self) -> float:
        """Median wall time in seconds (NaN when it did not run)."""
        return statistics.median(s.seconds for s in self.samples) if self.ok else float("nan")

    @property
    def spread(self) -> tuple[float, float]:
        """Fastest and slowest run."""
        times = [s.seconds for s in self.samples] or [float("nan")]
        return min(times), max(times)

    @property
    def max_rss_mb(self) -> float:
        """Highest peak memory over the runs."""
        return max((s.max_rss_mb for s in self.samples), default=float("nan"))

    def to_json(self) -> dict[str, Any]:
        """For ``results.json``."""
        return {"label": self.label, "command": self.command, "error": self.error,
                "median_s": self.median if self.ok else None,
                "samples": [asdict(s) for s in self.samples]}


def _gnu_time() -> str | None:
    """GNU time, to read a command's peak RSS from a tiny parent process."""
    path = shutil.which("time") or "/usr/bin/time"
    if not os.access(path, os.X_OK):
        return None
    probe = subprocess.run([path, "-f", "%M", "true"], capture_output=True, text=True, check=False)
    return path if probe.returncode == 0 and probe.stderr.strip().isdigit() else None


GNU_TIME = _gnu_time()


def run_once(argv: Sequence[str], *, stdin: Path | None = None, env: dict[str, str] | None = None,
             cwd: Path | None = None, stdout: Path | None = None) -> tuple[Sample, str]:
    """Run ``argv`` to completion (stdout discarded unless ``stdout`` names a file); its
    time, peak RSS and stderr.

    The peak RSS comes from GNU time when it is installed: Linux counts the memory of
    the process that spawned a child in the child's ``ru_maxrss``, so ``wait4`` here
    would report at least this runner's own size.
    """
    with contextlib.ExitStack() as stack:
        err = stack.enter_context(tempfile.TemporaryFile())
        rss_file = stack.enter_context(tempfile.NamedTemporaryFile("r", suffix=".rss"))
        source = stack.enter_context(open(stdin, "rb")) if stdin else subprocess.DEVNULL
        sink = stack.enter_context(open(stdout, "wb")) if stdout else subprocess.DEVNULL
        if GNU_TIME:
            argv = [GNU_TIME, "-f", "%M", "-o", rss_file.name, *argv]
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=source, stdout=sink, stderr=err, env=env, cwd=cwd)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        message = err.read().decode(errors="replace")
        rss_kb = float(usage.ru_maxrss)
        if GNU_TIME:
            lines = rss_file.read().split()
            rss_kb = float(lines[-1]) if lines and lines[-1].isdigit() else float("nan")
    return Sample(seconds, rss_kb / 1024, proc.returncode), message


class Runner:
    """Times commands, prints progress, keeps every result for the report."""

    def __init__(self, runs: int, warmup: int, env: dict[str, str], verbose: bool = True) -> None:
        self.runs = runs
        self.warmup = warmup
        self.env = env
        self.verbose = verbose
        self.timings: list[Timing] = []

    def log(self, text: str) -> None:
        """Progress on stderr."""
        if self.verbose:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

    def time(self, label: str, argv: Callable[[int], Sequence[str]], *, runs: int | None = None,
             warmup: int | None = None, prepare: Callable[[int], None] | None = None,
             stdin: Path | None = None, env: dict[str, str] | None = None,
             ok_status: tuple[int, ...] = (0,)) -> Timing:
        """Time ``argv(i)`` for runs i = 0..runs-1 after ``warmup`` untimed runs
        (which get negative i). ``prepare(i)`` runs untimed before each run."""
        runs = self.runs if runs is None else runs
        warmup = self.warmup if warmup is None else warmup
        timing = Timing(label, _show(argv(0)))
        for i in range(-warmup, runs):
            if prepare is not None:
                prepare(i)
            sample, message = run_once(argv(i), stdin=stdin, env=env or self.env)
            if sample.status not in ok_status:
                line = (message.strip().splitlines() or [f"exit status {sample.status}"])[-1]
                timing.error = line[:300]
                break
            if i >= 0:
                timing.samples.append(sample)
        if timing.ok:
            low, high = timing.spread
            self.log(f"  {label:<46} {_fmt_s(timing.median):>9}  ({_fmt_s(low)}–{_fmt_s(high)}, "
                     f"{len(timing.samples)} runs, {timing.max_rss_mb:.0f} MB)")
        else:
            self.log(f"  {label:<46} FAILED: {timing.error}")
        self.timings.append(timing)
        return timing


def _show(argv: Sequence[str]) -> str:
    shown = []
    for arg in argv:
        with contextlib.suppress(ValueError):
            arg = str(Path(arg).relative_to(Path.cwd())) if arg.startswith("/") else arg
        shown.append(arg)
    return shlex.join(shown)


def _fmt_s(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "n/a"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def _fmt_ms(ms: float) -> str:
    if ms != ms:
        return "n/a"
    return f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"


def _ratio(slow: float, fast: float) -> str:
    if slow != slow or fast != fast or fast <= 0:
        return "n/a"
    return f"{slow / fast:.1f}x"


# --------------------------------------------------------------------------- data


class Workdir:
    """The generated inputs, cached until ``bench/generate.py`` or the samples change."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        stamp = _generator_stamp()
        stamp_file = self.data / ".stamp"
        if not stamp_file.exists() or stamp_file.read_text() != stamp:
            for old in self.data.iterdir():
                old.unlink()
            stamp_file.write_text(stamp)

    def _make(self, name: str, write: Callable[[Path], None]) -> Path:
        path = self.data / name
        if not path.exists():
            tmp = path.with_name(f".{name}.tmp")
            write(tmp)
            tmp.replace(path)
        return path

    def pages(self, n: int) -> Path:
        """A page dump of ``n`` papers."""
        return self._make(f"pages-{n}.txt",
                          lambda p: p.write_text(generate.page_dump(n), encoding="utf-8"))

    def bib(self, n: int) -> Path:
        """A ``.bib`` of ``n`` entries."""
        return self._make(f"papers-{n}.bib",
                          lambda p: p.write_text(generate.bibtex(n), encoding="utf-8"))

    def small_pages(self, n: int, seed: int) -> Path:
        """A page dump of ``n`` papers drawn with ``seed`` (other papers than :meth:`pages`)."""
        return self._make(f"small-{n}-{seed}.txt",
                          lambda p: p.write_text(generate.page_dump(n, seed=seed), encoding="utf-8"))

    def bib_as_pages(self, n: int) -> Path:
        """The papers of :meth:`bib` as a page dump (used while .bib import is missing)."""
        return self._make(f"bib-pages-{n}.txt",
                          lambda p: p.write_text(generate.page_dump(n, seed=2), encoding="utf-8"))


def _generator_stamp() -> str:
    import hashlib

    h = hashlib.sha256((BENCH / "generate.py").read_bytes())
    for path in sorted((ROOT / "sample_data").glob("*.txt")):
        h.update(path.read_bytes())
    return h.hexdigest()


# --------------------------------------------------------------------------- papershelf


class Shelf:
    """Runs ``papershelf --library DIR ...`` the way a user does."""

    def __init__(self, python: str) -> None:
        script = Path(python).parent / "papershelf"
        self.argv = [str(script)] if script.exists() else [python, "-m", "papershelf"]
        self.python = python

    def __call__(self, library: Path, *args: str) -> list[str]:
        return [*self.argv, "--library", str(library), *args]

    def keys(self, library: Path, env: dict[str, str]) -> list[str]:
        """Every key of the library, in title order."""
        out = subprocess.run(self(library, "list", "--keys", "--sort", "title"), env=env,
                             capture_output=True, text=True, check=True).stdout
        return out.split()


def _run_quietly(argv: Sequence[str], env: dict[str, str]) -> None:
    """Run an untimed papershelf command (setting up or cleaning up a benchmark)."""
    subprocess.run(argv, env=env, capture_output=True, check=False)


def spread_keys(keys: Sequence[str], count: int) -> list[str]:
    """``count`` different keys spread over ``keys`` (the same ones every run)."""
    count = min(count, len(keys))
    return [keys[(i * len(keys)) // count] for i in range(count)]


def bench_size(runner: Runner, shelf: Shelf, work: Workdir, n: int, import_runs: int,
               results: dict[str, Any]) -> Path | None:
    """Import a page dump of ``n`` papers, then time the everyday commands on it."""
    runner.log(f"\n== {n:,} papers")
    dump = work.pages(n)
    lib_root = work.root / "lib"
    target = lib_root / f"{n}"
    building = lib_root / f"{n}.importing"

    def fresh(_i: int) -> None:
        shutil.rmtree(building, ignore_errors=True)

    imported = runner.time(f"import page dump ({n:,} papers)",
                           lambda i: shelf(building, "import", str(dump)),
                           runs=import_runs, warmup=0, prepare=fresh)
    row: dict[str, Any] = {"import": imported}
    results.setdefault("sizes", {})[n] = row
    if not imported.ok:
        return None
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)
    env = runner.env
    keys = shelf.keys(target, env)
    total = runner.warmup + runner.runs
    tag_keys = spread_keys(keys, total)
    note_keys = spread_keys(keys[1:], total)
    read_keys = spread_keys(keys[2:], total)
    w = runner.warmup
    row["list"] = runner.time(f"list {LIST_QUERY!r} ({n:,})", lambda i: shelf(target, "list", LIST_QUERY))
    # The first word search of a library whose index cache is gone (copied or synced
    # from elsewhere, a new papershelf's index format): every shard's index is built.
    row["list, index cache emptied"] = runner.time(
        f"list {LIST_QUERY!r}, index cache emptied ({n:,})", lambda i: shelf(target, "list", LIST_QUERY),
        prepare=lambda i: shutil.rmtree(target / ".cache" / "index", ignore_errors=True))
    row["list --json (every paper)"] = runner.time(f"list --json, every paper ({n:,})",
                                                   lambda i: shelf(target, "list", "--json"))
    row["show"] = runner.time(f"show KEY ({n:,})", lambda i: shelf(target, "show", tag_keys[i + w]))
    row["tag add"] = runner.time(f"tag add ({n:,})",
                                 lambda i: shelf(target, "tag", "add", TAG, tag_keys[i + w]))
    row["note"] = runner.time(f"note KEY TEXT ({n:,})",
                              lambda i: shelf(target, "note", note_keys[i + w], f"benchmark note {i}"))
    row["read"] = runner.time(f"read KEY ({n:,})", lambda i: shelf(target, "read", read_keys[i + w]))
    # A bulk change: every paper tagged by a query (the tag taken off again, untimed,
    # before each run).
    row["tag add --query (every paper)"] = runner.time(
        f"tag add --query, every paper ({n:,})",
        lambda i: shelf(target, "tag", "add", BULK_TAG, "--query", f"-tag:{BULK_TAG}"),
        prepare=lambda i: _run_quietly(shelf(target, "tag", "rm", BULK_TAG, "--query", f"tag:{BULK_TAG}"),
                                       env))
    row["stats"] = runner.time(f"stats ({n:,})", lambda i: shelf(target, "stats"))
    # BibTeX export three ways: nothing changed since the last export (the warm-up run
    # fills the export cache), one paper tagged since, and the cache emptied (the first
    # export of a freshly imported library).
    row["export"] = runner.time(f"export (BibTeX) ({n:,})", lambda i: shelf(target, "export"))
    row["export after a tag change"] = runner.time(
        f"export (BibTeX), a paper tagged since ({n:,})", lambda i: shelf(target, "export"),
        prepare=lambda i: _run_quietly(shelf(target, "tag", "add", EXPORT_TAG, note_keys[i + w]), env))
    row["export, cache emptied"] = runner.time(
        f"export (BibTeX), export cache emptied ({n:,})", lambda i: shelf(target, "export"),
        prepare=lambda i: shutil.rmtree(target / ".cache" / "bibtex", ignore_errors=True))
    row["export --format json"] = runner.time(f"export --format json ({n:,})",
                                              lambda i: shelf(target, "export", "--format", "json"))
    row["export --format markdown"] = runner.time(
        f"export --format markdown ({n:,})", lambda i: shelf(target, "export", "--format", "markdown"))
    # The daily case: a small listing page imported into the library (new papers each run).
    small = [work.small_pages(SMALL_IMPORT, seed) for seed in range(100, 100 + total)]
    row[f"import {SMALL_IMPORT} new papers"] = runner.time(
        f"import a {SMALL_IMPORT}-paper page dump ({n:,})",
        lambda i: shelf(target, "import", str(small[i + w])))
    # Put the library back as imported (untimed), so in-process benchmarks see it clean.
    added = sorted(set(shelf.keys(target, env)) - set(keys))
    if added:
        _run_quietly(shelf(target, "rm", *added), env)
    for args in (["tag", "rm", TAG, "--query", f"tag:{TAG}"],
                 ["tag", "rm", EXPORT_TAG, "--query", f"tag:{EXPORT_TAG}"],
                 ["tag", "rm", BULK_TAG, "--query", f"tag:{BULK_TAG}"],
                 ["unread", "--query", "is:read"]):
        _run_quietly(shelf(target, *args), env)
    for key in note_keys:
        _run_quietly(shelf(target, "note", key, ""), env)
    return target


def bench_in_process(runner: Runner, python: str, library: Path, search_runs: int, toggle_runs: int,
                     results: dict[str, Any]) -> None:
    """Search latency and durable tag toggles, each in a fresh child process."""
    runner.log(f"\n== in process ({library.name} papers)")
    for what, runs, extra in (("search", search_runs, SEARCH_QUERIES), ("toggle", toggle_runs, [])):
        argv = [python, str(BENCH / "inprocess.py"), what, str(library), "--runs", str(runs), *extra]
        proc = subprocess.run(argv, capture_output=True, text=True, env=runner.env, check=False)
        if proc.returncode != 0:
            results[what] = {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
            runner.log(f"  {what}: FAILED {results[what]['error']}")
            continue
        results[what] = json.loads(proc.stdout)
        runner.log(f"  {what}: p50 {_fmt_ms(results[what]['p50_ms'])}, "
                   f"p95 {_fmt_ms(results[what]['p95_ms'])}")


# --------------------------------------------------------------------------- TUI


def bench_tui(runner: Runner, python: str, library: Path, count: int, results: dict[str, Any]) -> None:
    """``bench/bench_tui.py`` (the TUI engineer's Pilot benchmark) on the largest library:
    time to first rows with a cold and a warm cache, per-keystroke filter latency."""
    script = BENCH / "bench_tui.py"
    runner.log("\n== TUI")
    if not script.exists():
        results["tui"] = {"error": "bench/bench_tui.py is not on this branch yet (it comes with the TUI)"}
        runner.log(f"  skipped: {results['tui']['error']}")
        return
    # It empties the library's .cache first, to time a cold start too.
    argv = [python, str(script), "--dir", str(library), "--count", str(count)]
    with tempfile.NamedTemporaryFile("w+", suffix=".json") as out:
        sample, message = run_once(argv, env=runner.env, stdout=Path(out.name))
        out.seek(0)
        try:
            report = json.loads(out.read())
        except json.JSONDecodeError:
            line = (message.strip().splitlines() or [f"exit status {sample.status}"])[-1]
            results["tui"] = {"error": f"bench_tui.py failed: {line[:300]}"}
            runner.log(f"  FAILED: {results['tui']['error']}")
            return
    typing = report.get("typing", {})
    results["tui"] = {
        "command": _show(argv),
        "first_rows_cold_s": report["cold"]["first_rows_s"],
        "first_rows_warm_s": report["warm"]["first_rows_s"],
        "indexes_ready_cold_s": report["cold"]["indexes_ready_s"],
        "indexes_ready_warm_s": report["warm"]["indexes_ready_s"],
        "keystrokes": typing.get("keystrokes"),
        "keystroke_p50_ms": typing.get("keystroke_p50_ms"),
        "keystroke_p95_ms": typing.get("keystroke_p95_ms"),
        "keystroke_max_ms": typing.get("keystroke_max_ms"),
        "search_only_p95_ms": typing.get("search_only_p95_ms"),
        "move_p50_ms": typing.get("move_p50_ms"),
        "move_max_ms": typing.get("move_max_ms"),
        "max_rss_mb": sample.max_rss_mb,
        "elapsed_s": sample.seconds,
    }
    tui = results["tui"]
    runner.log(f"  first rows {_fmt_s(tui['first_rows_cold_s'])} cold, "
               f"{_fmt_s(tui['first_rows_warm_s'])} warm; keystroke p50 "
               f"{_fmt_ms(tui['keystroke_p50_ms'])}, p95 {_fmt_ms(tui['keystroke_p95_ms'])}; "
               f"{tui['max_rss_mb']:.0f} MB")


# --------------------------------------------------------------------------- pubs and fzf


def pubs_command(work: Path) -> list[str] | None:
    """``pubs`` from its own venv in the work directory (installed on first use)."""
    venv = work / "pubs-venv"
    pubs = venv / "bin" / "pubs"
    if not pubs.exists():
        sys.stderr.write("installing pubs into its own venv (bibtexparser<2)...\n")
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "bibtexparser<2", "pubs"],
                           check=True)
        except subprocess.CalledProcessError:
            return None
    return [str(pubs)]


def bench_pubs(runner: Runner, shelf: Shelf, work: Workdir, import_runs: int,
               results: dict[str, Any]) -> None:
    """pubs and papershelf on the same 5k ``.bib``: import, word search, tag, export."""
    runner.log(f"\n== pubs vs papershelf on a {BIB_SIZE:,}-entry .bib")
    bib = work.bib(BIB_SIZE)
    out: dict[str, Any] = {"bib": bib.name}
    results["pubs"] = out
    pubs = pubs_command(work.root)
    home = work.root / "pubs-home"
    home.mkdir(exist_ok=True)
    config = home / "pubsrc"
    repo = home / "repo"
    env = {**runner.env, "HOME": str(home)}
    total = runner.warmup + runner.runs
    w = runner.warmup

    # papershelf first: its import of .bib files may not exist on this branch yet.
    lib = work.root / "lib" / f"bib-{BIB_SIZE}"
    building = lib.with_name(lib.name + ".importing")

    def fresh_lib(_i: int) -> None:
        shutil.rmtree(building, ignore_errors=True)

    imported = runner.time(f"papershelf import .bib ({BIB_SIZE:,})",
                           lambda i: shelf(building, "import", str(bib)), runs=import_runs, warmup=0,
                           prepare=fresh_lib)
    out["papershelf import"] = imported
    source = bib
    if not imported.ok:
        # Until the .bib importer lands: the same papers as a page dump, clearly labelled.
        out["fallback"] = imported.error
        source = work.bib_as_pages(BIB_SIZE)
        imported = runner.time(f"papershelf import same papers as page dump ({BIB_SIZE:,})",
                               lambda i: shelf(building, "import", str(source)), runs=import_runs,
                               warmup=0, prepare=fresh_lib)
        out["papershelf import (page dump)"] = imported
    if imported.ok:
        shutil.rmtree(lib, ignore_errors=True)
        building.rename(lib)
        shelf_keys = shelf.keys(lib, runner.env)
        keys = spread_keys(shelf_keys, total)
        for word in PUBS_WORDS:
            out[f"papershelf list {word}"] = runner.time(f"papershelf list {word}",
                                                         lambda i, q=word: shelf(lib, "list", q))
        out["papershelf tag"] = runner.time(
            "papershelf tag add TAG KEY", lambda i: shelf(lib, "tag", "add", TAG, keys[i + w]))
        out["papershelf export"] = runner.time("papershelf export", lambda i: shelf(lib, "export"))
        out["papershelf export, first"] = runner.time(
            "papershelf export, export cache emptied", lambda i: shelf(lib, "export"),
            prepare=lambda i: shutil.rmtree(lib / ".cache" / "bibtex", ignore_errors=True))

    if pubs is None:
        out["error"] = "pubs could not be installed"
        return
    version = subprocess.run([*pubs, "--version"], capture_output=True, text=True, check=False)
    out["version"] = version.stdout.strip() or version.stderr.strip()
    pubs_c = [*pubs, "-c", str(config)]

    def fresh_repo(_i: int) -> None:
        shutil.rmtree(repo, ignore_errors=True)
        config.unlink(missing_ok=True)
        subprocess.run([*pubs_c, "init", "-p", str(repo)], env=env, check=True, capture_output=True)

    out["pubs import"] = runner.time(f"pubs import ({BIB_SIZE:,})", lambda i: [*pubs_c, "import", str(bib)],
                                     runs=import_runs, warmup=0, prepare=fresh_repo, env=env)
    if not out["pubs import"].ok:
        return
    pubs_keys = spread_keys(sorted(p.name[:-4] for p in (repo / "bib").glob("*.bib")), total)
    for word in PUBS_WORDS:
        out[f"pubs list {word}"] = runner.time(f"pubs list abstract:{word}",
                                               lambda i, q=word: [*pubs_c, "list", f"abstract:{q}"], env=env)
    out["pubs tag"] = runner.time("pubs tag KEY TAG", lambda i: [*pubs_c, "tag", pubs_keys[i + w], TAG],
                                  env=env)
    out["pubs export"] = runner.time("pubs export", lambda i: [*pubs_c, "export"], env=env)


def write_fzf_text(library: Path, path: Path) -> None:
    """Every paper's title and abstract, one paper per line (what fzf searches)."""
    sys.path.insert(0, str(ROOT / "src"))
    from papershelf.library import Library

    lib = Library(library)
    with open(path, "w", encoding="utf-8") as handle:
        for shard in lib.shards:
            texts = shard.text_records()
            for key, record in shard.records().items():
                abstract = texts.get(key, {}).get("abstract", "")
                handle.write(" ".join(f"{record['title']} {abstract}".split()) + "\n")


def bench_fzf(runner: Runner, shelf: Shelf, work: Workdir, library: Path, fzf_runs: int,
              results: dict[str, Any]) -> None:
    """``fzf --filter`` (and ``--exact``) against ``papershelf list`` on the same text."""
    fzf = shutil.which("fzf")
    runner.log(f"\n== fzf vs papershelf ({library.name} papers)")
    out: dict[str, Any] = {}
    results["fzf"] = out
    if fzf is None:
        out["error"] = "fzf is not installed"
        return
    text = work.root / f"fzf-{library.name}.txt"
    write_fzf_text(library, text)
    out["version"] = subprocess.run([fzf, "--version"], capture_output=True, text=True).stdout.strip()
    out["text_mb"] = text.stat().st_size / MB
    for query in FZF_QUERIES:
        out[query] = {
            "papershelf": runner.time(f"papershelf list {query!r}",
                                      lambda i, q=query: shelf(library, "list", q)),
            "fzf": runner.time(f"fzf --filter {query!r}", lambda i, q=query: [fzf, "--filter", q],
                               stdin=text, runs=fzf_runs, warmup=0, ok_status=(0, 1)),
            "fzf exact": runner.time(f"fzf --exact --filter {query!r}",
                                     lambda i, q=query: [fzf, "--exact", "--filter", q],
                                     stdin=text, runs=fzf_runs, warmup=0, ok_status=(0, 1)),
        }


# --------------------------------------------------------------------------- report


def machine_info(command: str) -> dict[str, str]:
    """CPU, cores, RAM, OS, Python, package versions, date, commit, command."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    os_name = platform.platform()
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} ({platform.release()})"
    versions = []
    for package in ("papershelf", "numpy", "rapidfuzz", "tinydb", "orjson", "bibtexparser", "textual"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions.append(f"{package} {importlib.metadata.version(package)}")
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                            capture_output=True, text=True, check=False).stdout.strip()
    branch = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--abbrev-ref", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "ram": ram,
        "os": os_name,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": ", ".join(versions),
        "commit": f"{branch} @ {commit}" if commit else "unknown",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "load": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
    }


class Report:
    """The Markdown report."""

    def __init__(self, results: dict[str, Any], info: dict[str, str], args: argparse.Namespace) -> None:
        self.r = results
        self.info = info
        self.args = args
        self.lines: list[str] = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def table(self, head: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.add("| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|")
        for row in rows:
            self.add("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
        self.add("")

    def render(self) -> str:
        info = self.info
        self.add("# papershelf benchmarks", "",
                 f"One run of `{info['command']}` on {info['date']}. Whole-process times are "
                 f"medians of {self.args.runs} runs after {self.args.warmup} untimed warm-up "
                 f"run(s) (imports: {self.args.import_runs} runs; fzf: {self.args.fzf_runs}), wall "
                 "clock from spawn to exit; memory is the peak RSS of the process (GNU `time`). Commands run "
                 "with their bytecode compiled, as after `pip install`. "
                 "The machine is shared, so single runs are noisy: small print after a median "
                 "is the fastest and slowest run; every run is in `results.json` next to the "
                 f"libraries. Load average {self.info['load']} at the start, "
                 f"{self.info.get('load_end', '?')} at the end; the run took "
                 f"{self.info.get('elapsed', '?')}.", "")
        self.add("## Machine", "")
        self.table(["", ""], [
            ["CPU", info["cpu"]], ["RAM", info["ram"]], ["OS", info["os"]], ["Python", info["python"]],
            ["Packages", info["packages"]], ["pubs", self.r.get("pubs", {}).get("version", "not run")],
            ["fzf", self.r.get("fzf", {}).get("version", "not run")],
            ["Code", info["commit"]],
        ])
        self.add("## Reproduce", "", "```sh", "python3 -m venv .venv && .venv/bin/pip install -e '.[test]'",
                 f"{info['command']}", "```", "",
                 "It generates everything into its work directory (`--work`, by default "
                 "`bench/out/`: page dumps from the words of "
                 "`sample_data/`, a 5,000-entry `.bib`, the libraries), installs pubs into "
                 "its own venv there, and needs `fzf` on the PATH.", "")
        self.targets()
        self.sizes()
        self.in_process()
        self.tui()
        self.pubs()
        self.fzf()
        notes = BENCH / "notes.md"
        if notes.exists() and not self.args.smoke:
            self.add("## Notes (written by hand: where the time goes)", "", notes.read_text().strip(), "")
        return "\n".join(self.lines).rstrip() + "\n"

    # ----------------------------------------------------------------- sections

    def _largest(self) -> tuple[int, dict[str, Any]] | None:
        sizes = self.r.get("sizes", {})
        return (max(sizes), sizes[max(sizes)]) if sizes else None

    def targets(self) -> None:
        self.add("## Targets", "")
        rows: list[list[str]] = []
        pubs = self.r.get("pubs", {})
        for step, ours, theirs in self._pubs_pairs(pubs):
            if ours is None or theirs is None:
                continue
            ok = ours.ok and theirs.ok and theirs.median >= 10 * ours.median
            rows.append([f"5k .bib, {step}: ≥10x faster than pubs",
                         f"{_ratio(theirs.median, ours.median)} ({_fmt_s(ours.median)} vs "
                         f"{_fmt_s(theirs.median)})", _met(ok, ours.ok and theirs.ok)])
        largest = self._largest()
        fzf = self.r.get("fzf", {})
        for query in FZF_QUERIES:
            pair = fzf.get(query)
            if pair:
                ours, theirs = pair["papershelf"], pair["fzf"]
                rows.append([f"{_n(largest)}: `list {query}` faster than `fzf --filter`",
                             f"{_ratio(theirs.median, ours.median)} ({_fmt_s(ours.median)} vs "
                             f"{_fmt_s(theirs.median)})",
                             _met(ours.median < theirs.median, ours.ok and theirs.ok)])
        toggle = self.r.get("toggle", {})
        if "p95_ms" in toggle:
            rows.append([f"{_n(largest)}: tag write durable < 100 ms (in process, p95)",
                         f"p50 {_fmt_ms(toggle['p50_ms'])}, p95 {_fmt_ms(toggle['p95_ms'])}",
                         _met(toggle["p95_ms"] < 100, True)])
        if largest:
            for name, timing in largest[1].items():
                what = f"importing all {largest[0]:,} papers at once" if name == "import" else f"`{name}`"
                rows.append([f"{_n(largest)}: {what} < 1.5 s whole process", _fmt_s(timing.median),
                             _met(timing.median < 1.5, timing.ok)])
        tui = self.r.get("tui", {})
        if "first_rows_cold_s" in tui:
            slowest = max(tui["first_rows_cold_s"], tui["first_rows_warm_s"])
            rows.append([f"{_n(largest)}: TUI shows rows < 1 s",
                         f"{_fmt_s(tui['first_rows_cold_s'])} cold cache, "
                         f"{_fmt_s(tui['first_rows_warm_s'])} warm", _met(slowest < 1, True)])
            rows.append([f"{_n(largest)}: TUI keystroke results < 50 ms (p95)",
                         f"p50 {_fmt_ms(tui['keystroke_p50_ms'])}, p95 {_fmt_ms(tui['keystroke_p95_ms'])}, "
                         f"max {_fmt_ms(tui['keystroke_max_ms'])}", _met(tui["keystroke_p95_ms"] < 50, True)])
        if "error" in tui:
            rows.append([f"{_n(largest)}: TUI rows < 1 s, keystrokes < 50 ms", tui["error"], "not measured"])
        peak = self._peak_memory()
        if peak:
            what, mb = peak
            rows.append([f"{_n(largest)}: peak memory < 1 GB", f"{mb:.0f} MB ({what})",
                         _met(mb < 1000, True)])
        self.table(["target", "measured", "met?"], rows)

    def _peak_memory(self) -> tuple[str, float] | None:
        largest = self._largest()
        found: list[tuple[float, str]] = []
        if largest:
            for name, timing in largest[1].items():
                if timing.samples:
                    found.append((timing.max_rss_mb, f"`{name}`"))
        for name in ("search", "toggle", "tui"):
            mb = self.r.get(name, {}).get("max_rss_mb")
            if mb is not None:
                found.append((mb, f"{name} in process" if name != "tui" else "TUI"))
        if not found:
            return None
        mb, what = max(found)
        return what, mb

    def sizes(self) -> None:
        sizes = self.r.get("sizes", {})
        if not sizes:
            return
        ns = sorted(sizes)
        self.add("## Headless commands, whole process", "",
                 f"`papershelf --library DIR COMMAND` on libraries imported from page dumps. "
                 f"`list` runs the query `{LIST_QUERY}` (also with the word-index cache emptied, "
                 "as in a library copied from elsewhere: every shard's index is built), and "
                 "`list --json` prints every paper; `tag add`, `note` and `read` change a "
                 "different paper in each run; `tag add --query` tags every paper of the "
                 "library through a query that matches them all (the tag is taken off again "
                 "before each run); `export` writes every paper to stdout as BibTeX "
                 "(`--format json`, `--format markdown`: as JSON, as Markdown): nothing "
                 "changed since the last export, one paper "
                 "tagged since (only its shard is rendered again), or with the export cache "
                 "emptied (the first export of a freshly imported library). "
                 f"Peak RSS is at {ns[-1]:,} papers.", "")
        head = ["command", *(f"{n:,} papers" for n in ns), f"peak RSS ({ns[-1]:,})"]
        rows = []
        names = list(sizes[ns[-1]])
        for name in names:
            cells = [f"`{name}`"]
            for n in ns:
                timing = sizes[n].get(name)
                cells.append(_cell(timing))
            last = sizes[ns[-1]].get(name)
            cells.append(f"{last.max_rss_mb:.0f} MB" if last and last.samples else "n/a")
            rows.append(cells)
        imports = [sizes[n]["import"] for n in ns]
        rows.append(["import throughput", *(f"{n / t.median:,.0f} papers/s" if t.ok else "n/a"
                                            for n, t in zip(ns, imports, strict=True)), ""])
        self.table(head, rows)

    def in_process(self) -> None:
        search, toggle = self.r.get("search"), self.r.get("toggle")
        if not search and not toggle:
            return
        self.add("## In process", "")
        if search and "queries" in search:
            self.add(f"`papershelf.search.search(catalog, query)` on {search['papers']:,} papers after "
                     f"`catalog.load_indexes()`: {self.args.search_runs} timed calls per query after "
                     f"one untimed first call (shown separately), with the catalog's memo of word "
                     f"scores turned off so that every call scores every word; the last column "
                     f"is the same query again with the memo on (the words were searched just "
                     f"before, as when typing). Opening the library took "
                     f"{_fmt_ms(search['open_ms'])}, loading the indexes "
                     f"{_fmt_ms(search['load_indexes_ms'])}; peak RSS {search['max_rss_mb']:.0f} MB.", "")
            rows = [[f"`{q['query']}`" if q["query"] else "(empty: everything, newest first)",
                     f"{q['hits']:,}", _fmt_ms(q["first_ms"]), _fmt_ms(q["p50_ms"]), _fmt_ms(q["p95_ms"]),
                     _fmt_ms(q["remembered_p50_ms"]) if "remembered_p50_ms" in q else ""]
                    for q in search["queries"]]
            rows.append(["**all queries**", "", "", f"**{_fmt_ms(search['p50_ms'])}**",
                         f"**{_fmt_ms(search['p95_ms'])}**", ""])
            self.table(["query", "hits", "first call", "p50", "p95", "p50, words remembered"], rows)
        elif search:
            self.add(f"Search: failed ({search.get('error')}).", "")
        if toggle and "p50_ms" in toggle:
            self.add(f"Durable tag toggle on {toggle['papers']:,} papers: `lib.tag([key], t)` then "
                     f"`lib.untag([key], t)` on {toggle['runs']} different papers (each call returns "
                     "after the fsynced commit).", "")
            self.table(["operation", "p50", "p95"], [
                ["tag", _fmt_ms(toggle["tag_p50_ms"]), _fmt_ms(toggle["tag_p95_ms"])],
                ["untag", _fmt_ms(toggle["untag_p50_ms"]), _fmt_ms(toggle["untag_p95_ms"])],
                ["both", _fmt_ms(toggle["p50_ms"]), _fmt_ms(toggle["p95_ms"])],
            ])
        elif toggle:
            self.add(f"Tag toggle: failed ({toggle.get('error')}).", "")

    def tui(self) -> None:
        tui = self.r.get("tui")
        if tui is None:
            return
        self.add("## TUI", "")
        if "error" in tui:
            self.add(f"**Not measured:** {tui['error']}.", "")
            return
        self.add(f"`{tui['command']}` (the TUI's own Pilot benchmark, one run): it opens the app "
                 "headless at 140x45, first with the library's `.cache` emptied (cold), then again "
                 "(warm), and types three queries into the filter one key at a time, timing each key "
                 "press to the list painting that query's results.", "")
        self.table(["measure", "value"], [
            ["first rows painted, cold cache", _fmt_s(tui["first_rows_cold_s"])],
            ["first rows painted, warm cache", _fmt_s(tui["first_rows_warm_s"])],
            ["search indexes ready, cold / warm",
             f"{_fmt_s(tui['indexes_ready_cold_s'])} / {_fmt_s(tui['indexes_ready_warm_s'])}"],
            [f"keystroke to results painted ({tui['keystrokes']} keys): p50 / p95 / max",
             f"{_fmt_ms(tui['keystroke_p50_ms'])} / {_fmt_ms(tui['keystroke_p95_ms'])} / "
             f"{_fmt_ms(tui['keystroke_max_ms'])}"],
            ["the search alone, p95", _fmt_ms(tui["search_only_p95_ms"])],
            ["cursor move repaint: p50 / max",
             f"{_fmt_ms(tui['move_p50_ms'])} / {_fmt_ms(tui['move_max_ms'])}"],
            ["peak RSS (largest of its processes)", f"{tui['max_rss_mb']:.0f} MB"],
        ])

    @staticmethod
    def _pubs_pairs(pubs: dict[str, Any]) -> list[tuple[str, Timing | None, Timing | None]]:
        ours_import = pubs.get("papershelf import")
        if ours_import is not None and not ours_import.ok:
            ours_import = pubs.get("papershelf import (page dump)", ours_import)
        pairs = [("import", ours_import, pubs.get("pubs import"))]
        pairs += [(f"search `{w}`", pubs.get(f"papershelf list {w}"), pubs.get(f"pubs list {w}"))
                  for w in PUBS_WORDS]
        pairs += [("tag", pubs.get("papershelf tag"), pubs.get("pubs tag")),
                  ("export", pubs.get("papershelf export"), pubs.get("pubs export")),
                  ("export, papershelf's first (cache emptied)", pubs.get("papershelf export, first"),
                   pubs.get("pubs export"))]
        return pairs

    def pubs(self) -> None:
        pubs = self.r.get("pubs")
        if not pubs:
            return
        self.add(f"## pubs vs papershelf, {BIB_SIZE:,}-entry `.bib`", "")
        if "fallback" in pubs:
            self.add(f"**papershelf could not import the `.bib`** ({pubs['fallback']}); its "
                     "column shows the same papers imported from a page dump instead.", "")
        self.add("Both import the same generated `.bib` into an empty library; pubs runs with its "
                 "own config and repository in the work directory (`pubs -c CONF`). Search is "
                 "`pubs list abstract:WORD` against `papershelf list WORD`; tag is "
                 "`pubs tag KEY TAG` against `papershelf tag add TAG KEY` (a different paper each "
                 "run); export writes all entries as BibTeX to stdout (papershelf: again, and "
                 "the first time, with its export cache emptied). Ratio = pubs / papershelf.",
                 "")
        rows = []
        for step, ours, theirs in self._pubs_pairs(pubs):
            rows.append([step, _cell(theirs), _cell(ours),
                         _ratio(theirs.median, ours.median) if ours and theirs else "n/a"])
        self.table(["step", "pubs", "papershelf", "pubs / papershelf"], rows)

    def fzf(self) -> None:
        fzf = self.r.get("fzf")
        if not fzf:
            return
        largest = self._largest()
        self.add(f"## fzf vs papershelf, {_n(largest)}", "")
        if "error" in fzf:
            self.add(f"Not measured: {fzf['error']}.", "")
            return
        self.add(f"fzf filters a {fzf['text_mb']:.0f} MB text file holding each paper's title and "
                 "abstract on one line (`fzf --filter Q < FILE`, fuzzy, its default; `--exact` "
                 "for substring matching, closer to papershelf's word matching). papershelf is "
                 "`papershelf list Q`, whole process, loading its library from disk. "
                 "Ratio = fzf / papershelf.", "")
        rows = []
        for query in FZF_QUERIES:
            pair = fzf.get(query)
            if not pair:
                continue
            ours, fuzzy, exact = pair["papershelf"], pair["fzf"], pair["fzf exact"]
            rows.append([f"`{query}`", _cell(ours), _cell(fuzzy), _ratio(fuzzy.median, ours.median),
                         _cell(exact), _ratio(exact.median, ours.median)])
        self.table(["query", "papershelf list", "fzf --filter", "ratio", "fzf --exact --filter", "ratio"],
                   rows)


def _n(largest: tuple[int, Any] | None) -> str:
    return f"{largest[0]:,} papers" if largest else "largest size"


def _met(ok: bool, measured: bool) -> str:
    if not measured:
        return "not measured (failed)"
    return "**met**" if ok else "**not met**"


def _cell(timing: Timing | None) -> str:
    if timing is None:
        return "n/a"
    if not timing.ok:
        return f"failed: {timing.error}"
    if len(timing.samples) < 2:
        return _fmt_s(timing.median)
    low, high = timing.spread
    return f"{_fmt_s(timing.median)} <sub>{_fmt_s(low)}–{_fmt_s(high)}</sub>"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Timing):
        return value.to_json()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="library sizes, comma-separated (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (default: %(default)s)")
    parser.add_argument("--import-runs", type=int, default=3, help="runs per import (default: %(default)s)")
    parser.add_argument("--fzf-runs", type=int, default=3, help="runs per fzf query (default: %(default)s)")
    parser.add_argument("--search-runs", type=int, default=20,
                        help="in-process calls per query (default: %(default)s)")
    parser.add_argument("--toggle-runs", type=int, default=50,
                        help="in-process tag/untag pairs (default: %(default)s)")
    parser.add_argument("--work", type=Path, default=BENCH / "out",
                        help="work directory (default: bench/out)")
    parser.add_argument("--out", type=Path, default=None,
                        help="Markdown report (default: WORK/BENCHMARKS.md)")
    parser.add_argument("--no-pubs", action="store_true", help="skip the pubs comparison")
    parser.add_argument("--no-fzf", action="store_true", help="skip the fzf comparison")
    parser.add_argument("--no-tui", action="store_true", help="skip the TUI benchmark")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny and fast (200 papers, one run, no pubs/fzf/TUI): checks the code works")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.runs, args.warmup, args.import_runs = "200", 1, 0, 1
        args.search_runs, args.toggle_runs = 2, 3
        args.no_pubs = args.no_fzf = args.no_tui = True
    return args


def compile_papershelf(python: str, env: dict[str, str]) -> None:
    """Write the bytecode of the papershelf package the commands will import."""
    locate = "import importlib.util as u; print(*u.find_spec('papershelf').submodule_search_locations)"
    found = subprocess.run([python, "-c", locate], env=env, capture_output=True, text=True, check=False)
    if found.returncode == 0 and found.stdout.strip():
        subprocess.run([python, "-m", "compileall", "-q", found.stdout.strip()], env=env,
                       capture_output=True, check=False)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    work_root = args.work.resolve()
    work = Workdir(work_root)
    out = (args.out or work_root / "BENCHMARKS.md").resolve()
    python = sys.executable
    command = "python bench/run.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    info = machine_info(command.strip())
    xdg = work_root / "xdg"
    env = {**os.environ, "XDG_CONFIG_HOME": str(xdg / "config"), "XDG_DATA_HOME": str(xdg / "data"),
           "PAPERSHELF_LIBRARY": str(work_root / "lib" / "default")}
    # An installed papershelf has its bytecode compiled (pip does it); without this, an
    # environment with PYTHONDONTWRITEBYTECODE would time the compiler at every start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    compile_papershelf(python, env)
    runner = Runner(args.runs, args.warmup, env, verbose=not args.quiet)
    shelf = Shelf(python)
    results: dict[str, Any] = {}
    started = time.perf_counter()
    largest: Path | None = None
    for n in sizes:
        largest = bench_size(runner, shelf, work, n, args.import_runs, results) or largest
    if largest is not None:
        bench_in_process(runner, python, largest, args.search_runs, args.toggle_runs, results)
        if not args.no_tui:
            bench_tui(runner, python, largest, int(largest.name), results)
        if not args.no_fzf:
            bench_fzf(runner, shelf, work, largest, args.fzf_runs, results)
    if not args.no_pubs:
        bench_pubs(runner, shelf, work, args.import_runs, results)
    info["load_end"] = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    info["elapsed"] = f"{time.perf_counter() - started:.0f} s"
    (work_root / "results.json").write_text(json.dumps({"machine": info, **_jsonable(results)}, indent=2))
    out.write_text(Report(results, info, args).render(), encoding="utf-8")
    runner.log(f"\nwrote {out} ({info['elapsed']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
