"""Rendering shards that miss the export cache on several cores: the same text as on one."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable

import pytest

from papershelf.exporters import bibtex_cache, render_pool
from papershelf.exporters.bibtex import to_bibtex
from papershelf.exporters.bibtex_cache import bibtex_pieces
from papershelf.library import Library

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")


@pytest.fixture(autouse=True)
def two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers even on a machine with one core."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})


def _export(lib: Library, keys: list[str] | None = None) -> bytes:
    return b"".join(bibtex_pieces(Library(lib.root), keys))


def _cache_files(lib: Library) -> list[str]:
    return sorted(p.name for p in (lib.cache_dir / "bibtex").glob("*.bib"))


def test_workers_are_used_only_where_forking_is_safe_and_pays() -> None:
    assert render_pool.workers_for(1) == 1
    assert render_pool.workers_for(4) == 2
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert render_pool.workers_for(4) == 1  # the TUI: workers run in threads
    finally:
        stop.set()
        thread.join()


def test_workers_render_and_cache_what_one_core_would(sharded: Library,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    rendered_here: list[int] = []
    real = bibtex_cache.rendered_entries

    def spy(library: Library, shard: object, code: str | None) -> object:
        if os.getpid() == parent:
            rendered_here.append(getattr(shard, "number", -1))
        return real(library, shard, code)  # type: ignore[arg-type]

    monkeypatch.setattr(bibtex_cache, "rendered_entries", spy)
    monkeypatch.setattr(render_pool, "rendered_entries", spy)
    fresh = to_bibtex(sharded.papers()).encode()
    assert _export(sharded) == fresh
    assert rendered_here == []  # every shard came from a worker
    assert _cache_files(sharded) == ["0001.bib", "0002.bib", "0003.bib", "0004.bib"]
    assert _export(sharded) == fresh  # now from the cache
    keys = [p.key for p in sharded.papers()][::-5]
    for path in (sharded.cache_dir / "bibtex").glob("*.bib"):
        path.unlink()
    assert _export(sharded, keys) == to_bibtex(sharded.papers(keys)).encode()
    assert rendered_here == []
    assert not multiprocessing.active_children()


def test_only_the_shards_that_miss_are_rendered(sharded: Library) -> None:
    assert _export(sharded) == to_bibtex(sharded.papers()).encode()
    papers = sharded.papers()
    sharded.tag([papers[0].key], "first")
    sharded.set_note(papers[-1].key, "last {one}")
    before = {p.name: p.stat().st_mtime_ns for p in (sharded.cache_dir / "bibtex").glob("*.bib")}
    fresh = Library(sharded.root)
    assert _export(sharded) == to_bibtex(fresh.papers()).encode()
    after = {p.name: p.stat().st_mtime_ns for p in (sharded.cache_dir / "bibtex").glob("*.bib")}
    changed = sorted(name for name in after if after[name] != before[name])
    assert changed == [f"{fresh.shard_of(papers[0].key).number:04d}.bib",
                       f"{fresh.shard_of(papers[-1].key).number:04d}.bib"]


def _raise() -> None:
    raise RuntimeError("worker trouble")


@pytest.mark.parametrize("fail", [_raise, lambda: os._exit(9)], ids=["error", "killed"])
def test_a_failing_worker_leaves_the_shard_to_the_exporting_process(
        sharded: Library, monkeypatch: pytest.MonkeyPatch, fail: Callable[[], None]) -> None:
    parent = os.getpid()
    real = bibtex_cache.rendered_entries

    def failing_in_workers(library: Library, shard: object, code: str | None) -> object:
        if os.getpid() != parent:
            fail()
        return real(library, shard, code)  # type: ignore[arg-type]

    monkeypatch.setattr(render_pool, "rendered_entries", failing_in_workers)
    assert _export(sharded) == to_bibtex(sharded.papers()).encode()
    assert not multiprocessing.active_children()


def test_an_export_stopped_early_stops_its_workers(sharded: Library) -> None:
    pieces = bibtex_pieces(Library(sharded.root))
    first = next(iter(pieces))
    assert bytes(first).startswith(b"@")
    pieces.close()  # type: ignore[attr-defined]
    assert not multiprocessing.active_children()


_CLI_WITH_A_SPY = """
import os, sys
import papershelf.library
from papershelf.exporters import bibtex_cache, render_pool

papershelf.library.SHARD_CAPACITY = 100
os.sched_getaffinity = lambda pid: {0, 1}
seen = []
real = render_pool.render_in_parallel

def spy(library, shards, code, workers):
    seen.append(workers)
    yield from real(library, shards, code, workers)

render_pool.render_in_parallel = spy
from papershelf.cli import main
status = main(sys.argv[1:])
sys.stderr.write(f"workers {seen}")
sys.exit(status)
"""


def test_the_cli_export_renders_on_two_cores(sharded: Library) -> None:
    """A whole ``papershelf export`` (the CLI runs no threads) in a fresh process."""
    import subprocess

    out = subprocess.run([sys.executable, "-c", _CLI_WITH_A_SPY, "--library", str(sharded.root),
                          "export"], capture_output=True, check=True)
    assert out.stdout == to_bibtex(sharded.papers()).encode()
    assert out.stderr.decode().endswith("workers [2]")
