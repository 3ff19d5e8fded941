"""Work on shards in forked workers (export rendering, index building): the same result
as in one process, and no worker outlives the command however it ends."""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from papershelf import exporters, forked
from papershelf.exporters import bibtex_cache, library_markdown, write_pieces
from papershelf.exporters.bibtex import to_bibtex
from papershelf.exporters.bibtex_cache import bibtex_pieces
from papershelf.exporters.markdown import to_markdown
from papershelf.library import Library

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")


@pytest.fixture(autouse=True)
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers even on a machine with one core, or in a container limited to one."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(forked, "cpu_quota", lambda: None)


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The shard numbers handed to each pool of workers."""
    seen: list[list[int]] = []
    real = forked.forked_map

    def spy(work: Callable[[Any], Any], items: Sequence[Any], workers: int) -> Any:
        seen.append([item.number for item in items])
        return real(work, items, workers)

    monkeypatch.setattr(forked, "forked_map", spy)
    return seen


def _export(lib: Library, keys: list[str] | None = None) -> bytes:
    _threads_gone()
    return b"".join(bibtex_pieces(Library(lib.root), keys))


def _cache_files(lib: Library) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (lib.cache_dir / "bibtex").glob("*.bib")}


def _threads_gone() -> None:
    """Wait until the threads of the last pool have exited: the kernel counts a thread
    for a moment after Python joined it, and no workers are forked while it does."""
    deadline = time.monotonic() + 10
    while forked._threads_running() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_workers_are_used_only_where_forking_is_safe_and_pays() -> None:
    assert forked.workers_for(1) == 1
    assert forked.workers_for(4) == 2
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert forked.workers_for(4) == 1  # the TUI: its work runs in threads
    finally:
        stop.set()
        thread.join()


@pytest.mark.parametrize(("v2", "v1", "quota", "workers"), [
    (None, None, None, 4),  # no cgroup files: the cores decide
    ("max 100000\n", None, None, 4),
    ("150000 100000\n", None, 1.5, 2),  # docker --cpus 1.5: two workers
    ("50000 100000\n", None, 0.5, 1),  # half a CPU: in this process
    (None, ("-1", "100000"), None, 4),  # cgroup v1, no limit
    (None, ("100000", "100000"), 1.0, 1),
    ("garbage", None, None, 4),
    ("100000 0\n", None, None, 4),  # nonsense: no limit rather than an error
    ("0 100000\n", None, None, 4),
    pytest.param(f"{10**400} 100000\n", None, 8.0, 4, id="huge"),  # MAX_WORKERS, no overflow
    (None, ("100000", "0"), None, 4),
])
def test_a_container_cpu_limit_caps_the_workers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, v2: str | None,
        v1: tuple[str, str] | None, quota: float | None, workers: int) -> None:
    """Limits at the root of the cgroup file systems, as a container sees them (and
    where the kernel does not say where this process sits)."""
    monkeypatch.undo()  # the real cpu_quota, with its files moved here
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    _threads_gone()  # (a thread an earlier test left finishing: workers_for would give 1)
    monkeypatch.setattr(forked, "CGROUP_ROOT", str(tmp_path))
    monkeypatch.setattr(forked, "PROC_CGROUP", str(tmp_path / "no such file"))
    if v2 is not None:
        (tmp_path / "cpu.max").write_text(v2)
    if v1 is not None:
        (tmp_path / "cpu").mkdir()
        (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text(v1[0])
        (tmp_path / "cpu" / "cpu.cfs_period_us").write_text(v1[1])
    assert forked.cpu_quota() == quota
    assert forked.workers_for(8) == workers


def test_the_tightest_limit_on_the_process_cgroup_or_above_it_counts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A systemd ``CPUQuota=`` or a container seen from the host: the limit sits on the
    process's own cgroup or one above it, not at the root."""
    monkeypatch.undo()
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    _threads_gone()  # (a thread an earlier test left finishing: workers_for would give 1)
    monkeypatch.setattr(forked, "CGROUP_ROOT", str(tmp_path))
    proc = tmp_path / "proc-self-cgroup"
    monkeypatch.setattr(forked, "PROC_CGROUP", str(proc))
    own = tmp_path / "system.slice" / "run-u7.service"
    own.mkdir(parents=True)
    proc.write_text("0::/system.slice/run-u7.service\n")
    assert forked.cpu_quota() is None
    (own / "cpu.max").write_text("max 100000\n")
    (tmp_path / "system.slice" / "cpu.max").write_text("300000 100000\n")
    assert forked.cpu_quota() == 3.0  # the slice above limits it
    (own / "cpu.max").write_text("150000 100000\n")
    assert forked.cpu_quota() == 1.5 and forked.workers_for(8) == 2
    v1 = tmp_path / "cpu" / "docker" / "abc"
    v1.mkdir(parents=True)
    (v1 / "cpu.cfs_quota_us").write_text("100000\n")
    (v1 / "cpu.cfs_period_us").write_text("100000\n")
    proc.write_text("4:cpu,cpuacct:/docker/abc\n0::/system.slice/run-u7.service\n")
    assert forked.cpu_quota() == 1.0 and forked.workers_for(8) == 1
    proc.write_text("garbage\n0::/../system.slice\n")  # skipped; ".." cannot leave the root
    assert forked.cpu_quota() == 3.0


def test_workers_render_and_cache_what_one_core_would(sharded: Library, pools: list[list[int]],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    rendered_here: list[int] = []
    real = bibtex_cache.rendered_entries

    def spy(library: Library, shard: Any, code: str | None) -> Any:
        if os.getpid() == parent:
            rendered_here.append(shard.number)
        return real(library, shard, code)

    monkeypatch.setattr(bibtex_cache, "rendered_entries", spy)
    fresh = to_bibtex(sharded.papers()).encode()
    assert _export(sharded) == fresh
    assert pools == [[1, 2, 3, 4]] and rendered_here == []  # every shard came from a worker
    assert sorted(_cache_files(sharded)) == ["0001.bib", "0002.bib", "0003.bib", "0004.bib"]
    assert _export(sharded) == fresh and len(pools) == 1  # now from the cache
    keys = [p.key for p in sharded.papers()][::-5]
    for path in (sharded.cache_dir / "bibtex").glob("*.bib"):
        path.unlink()
    assert _export(sharded, keys) == to_bibtex(sharded.papers(keys)).encode()
    assert pools[1] == [4, 3, 2, 1] and rendered_here == []  # in the order the keys need them
    assert not multiprocessing.active_children()


def test_workers_render_the_whole_markdown_export_as_one_core_would(
        sharded: Library, pools: list[list[int]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Each shard's sections come from a worker; joined, the export of the papers in one
    process, byte for byte (a note, tags and a read paper included), and an empty shard
    adds nothing."""
    keys = sharded.keys()
    sharded.tag(keys[::3], "to-read")
    sharded.set_read(keys[1::4])
    sharded.set_note(keys[0], "1. first *line*\n- second")
    sharded.remove([k for k in keys if sharded.shard_of(k).number == 2])
    expected = to_markdown(sharded.papers()).encode()
    _threads_gone()
    library = Library(sharded.root)
    parent = os.getpid()
    here: list[int] = []
    real = exporters._shard_markdown

    def spy(shard: Any) -> bytes:
        if os.getpid() == parent:
            here.append(shard.number)
        return real(shard)

    monkeypatch.setattr(exporters, "_shard_markdown", spy)
    assert _joined(library_markdown(library)) == expected
    assert pools == [[1, 2, 3, 4]] and here == []
    monkeypatch.setattr(forked, "workers_for", lambda tasks: 1)  # one core: all here
    assert _joined(library_markdown(Library(sharded.root))) == expected
    assert here == [1, 2, 3, 4]
    assert _joined(library_markdown(Library(sharded.root.parent / "empty"))) \
        == to_markdown([]).encode()


def _joined(pieces: Iterable[str | bytes]) -> bytes:
    out = io.BytesIO()
    write_pieces(out, pieces)
    return out.getvalue()


def test_workers_hand_entries_over_through_the_cache_or_else_the_pipe(
        sharded: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[Any] = []
    real = forked.forked_map

    def spy(work: Callable[[Any], Any], items: Sequence[Any], workers: int) -> Any:
        outcomes = real(work, items, workers)
        try:
            for outcome in outcomes:
                sent.append(outcome)
                yield outcome
        finally:
            outcomes.close()

    monkeypatch.setattr(forked, "forked_map", spy)
    fresh = to_bibtex(sharded.papers()).encode()
    assert _export(sharded) == fresh
    assert sent == [None] * 4  # cached by the workers: read back from the files, not sent
    for path in (sharded.cache_dir / "bibtex").glob("*.bib"):
        path.unlink()
    sent.clear()
    monkeypatch.setattr(bibtex_cache, "write_cache", lambda path, data: False)  # cannot cache
    assert _export(sharded) == fresh
    assert [type(entries) for entries in sent] == [bibtex_cache.ShardEntries] * 4
    assert not _cache_files(sharded)


def test_a_torn_cache_file_a_worker_left_is_rendered_again_here(
        sharded: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker trusts the cache file it wrote (another process may have torn it
    since); the exporting process reads it whole, finds it torn, and renders the shard
    itself."""
    from papershelf import shard as shard_module

    parent = os.getpid()
    rendered_here: list[int] = []
    real_render, real_write = bibtex_cache.rendered_entries, shard_module.write_cache

    def torn(path: Path, data: bytes) -> bool:  # cut short, and left there
        return real_write(path, data[: len(data) - 100])

    def spy(library: Library, shard: Any, code: str | None) -> Any:
        if os.getpid() == parent:
            rendered_here.append(shard.number)
        return real_render(library, shard, code)

    monkeypatch.setattr(bibtex_cache, "write_cache", torn)
    monkeypatch.setattr(bibtex_cache, "rendered_entries", spy)
    assert _export(sharded) == to_bibtex(sharded.papers()).encode()
    assert rendered_here == [1, 2, 3, 4]


def test_workers_render_only_runs_of_shards_that_miss(sharded: Library,
                                                     pools: list[list[int]]) -> None:
    """One changed shard, or a few apart, render here; a run of misses (a first export,
    an upgrade) goes to workers, but only the shards that miss."""
    assert _export(sharded) == to_bibtex(sharded.papers()).encode()
    papers = sharded.papers()
    first, second, last = papers[0].key, papers[150].key, papers[-1].key
    sharded.tag([first], "first")
    before = _cache_files(sharded)
    assert _export(sharded) == to_bibtex(Library(sharded.root).papers()).encode()
    after = _cache_files(sharded)
    assert [name for name in after if after[name] != before[name]] == ["0001.bib"]
    sharded.tag([first, last], "apart")
    assert _export(sharded) == to_bibtex(Library(sharded.root).papers()).encode()
    assert len(pools) == 1  # no workers since the first export
    sharded.tag([first, second, last], "run")  # shards 1, 2 and 4
    assert _export(sharded) == to_bibtex(Library(sharded.root).papers()).encode()
    assert pools[1:] == [[1, 2, 4]]
    keys = [last, papers[50].key, second, first]
    exporting = Library(sharded.root)  # chose its keys before another process deleted one
    fresh = Library(sharded.root)
    fresh.untag(keys, "run")
    fresh.remove([papers[50].key])
    before = _cache_files(sharded)
    assert b"".join(bibtex_pieces(exporting, keys)) == \
        to_bibtex(Library(sharded.root).papers([last, second, first])).encode()
    # a few papers of each shard that misses: only they are rendered, here, not cached
    assert pools[2:] == []
    assert _cache_files(sharded) == before
    many = [p.key for p in [*papers[-20:], *papers[:20], *papers[150:170]] if p.key != papers[50].key]
    fresh.tag(many, "many")
    assert b"".join(bibtex_pieces(Library(sharded.root), many)) == \
        to_bibtex(Library(sharded.root).papers(many)).encode()
    assert pools[2:] == [[4, 1, 2]]  # in the order the keys need them


def _raise() -> None:
    raise RuntimeError("worker trouble")


@pytest.mark.parametrize("fail", [_raise, lambda: os._exit(9)], ids=["error", "killed"])
def test_a_failing_worker_leaves_the_shard_to_the_exporting_process(
        sharded: Library, monkeypatch: pytest.MonkeyPatch, fail: Callable[[], None]) -> None:
    parent = os.getpid()
    real = bibtex_cache._rendered_and_cached

    def failing_in_workers(library: Library, shard: Any, code: str | None) -> Any:
        if os.getpid() != parent:
            fail()
        return real(library, shard, code)

    monkeypatch.setattr(bibtex_cache, "_rendered_and_cached", failing_in_workers)
    assert _export(sharded) == to_bibtex(sharded.papers()).encode()
    assert not multiprocessing.active_children()


def test_an_export_stopped_early_stops_its_workers(sharded: Library, pools: list[list[int]]) -> None:
    pieces = bibtex_pieces(Library(sharded.root))
    assert bytes(next(pieces)).startswith(b"@")
    assert pools and multiprocessing.active_children()
    pieces.close()  # type: ignore[attr-defined]
    assert not multiprocessing.active_children()


_CLI = """
import os, sys, time
import papershelf.library
from papershelf import exporters, forked
from papershelf.exporters import bibtex_cache, library_markdown, write_pieces

papershelf.library.SHARD_CAPACITY = 100
os.sched_getaffinity = lambda pid: {0, 1}
forked.cpu_quota = lambda: None
parent, how, real_render, real_map = os.getpid(), sys.argv.pop(1), \\
    bibtex_cache._rendered_and_cached, forked.forked_map

def render(library, shard, code):
    if os.getpid() != parent and how != "fast":
        os.write(2, f"{os.getpid()}\\n".encode())  # one write: workers share the pipe
        time.sleep(60 if how == "slow" else 1)
    return real_render(library, shard, code)

def spy(work, items, workers):
    sys.stderr.write(f"workers {workers}\\n")
    return real_map(work, items, workers)

bibtex_cache._rendered_and_cached, forked.forked_map = render, spy
from papershelf.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _cli(library: Library, how: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", _CLI, how, "--library", str(library.root),
                             "export"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_the_cli_export_renders_on_two_cores(sharded: Library) -> None:
    out, err = _cli(sharded, "fast").communicate(timeout=60)
    assert out == to_bibtex(sharded.papers()).encode()
    assert err.decode() == "workers 2\n"


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped, does not). The
    state follows the last ``)``: the command's name, before it, may hold one."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except (OSError, IndexError):
        return False


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
def test_workers_die_with_the_export(sharded: Library, how: signal.Signals) -> None:
    """Killed mid-export, it takes its workers along, and whatever reads its output
    (``papershelf export | cat``) sees the end at once."""
    proc = _cli(sharded, "slow")
    assert proc.stderr is not None
    assert proc.stderr.readline() == b"workers 2\n"
    workers = [int(proc.stderr.readline()), int(proc.stderr.readline())]
    try:
        proc.send_signal(how)
        proc.communicate(timeout=10)  # stdout ends: no worker holds it
        deadline = time.monotonic() + 10
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(_alive, workers))
    finally:  # whatever happened, leave no sleeping worker behind
        for pid in filter(_alive, workers):
            os.kill(pid, signal.SIGKILL)


def test_an_import_builds_its_indexes_in_workers(sharded: Library, pools: list[list[int]],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from papershelf.search import search

    index_dir = sharded.cache_dir / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    Library(sharded.root).update_indexes(sharded.keys())
    assert pools == [[1, 2, 3, 4]]
    by_workers = {p.name: p.read_bytes() for p in index_dir.glob("*.idx")}
    shutil.rmtree(index_dir)
    monkeypatch.setattr(forked, "MAX_WORKERS", 1)
    Library(sharded.root).update_indexes(sharded.keys())
    assert len(pools) == 1
    assert {p.name: p.read_bytes() for p in index_dir.glob("*.idx")} == by_workers
    assert len(by_workers) == 4
    assert search(Library(sharded.root).catalog(), "clip").keys()


def test_a_word_search_builds_the_missing_indexes_in_workers(sharded: Library,
                                                              pools: list[list[int]]) -> None:
    # A library copied from elsewhere has no valid index: a search built them one by
    # one (4.8 s at 100,000 papers).
    import shutil

    from papershelf.textindex import TextIndex

    shutil.rmtree(sharded.cache_dir / "index", ignore_errors=True)
    first = Library(sharded.root)
    first.catalog().views[0].text_index()  # cached: not built again
    _threads_gone()
    library = Library(sharded.root)
    library.index_for_search()
    assert pools == [[2, 3, 4]]
    views = library.catalog().views
    assert all(view.has_index() for view in views)
    again = Library(sharded.root)
    again.index_for_search()  # all cached: no workers
    assert pools == [[2, 3, 4]]
    assert [v.text_index().vocab for v in again.catalog().views] == \
        [TextIndex.build(v.keys, [r["title"] for r in v.records],
                         [v.texts()[k]["abstract"] for k in v.keys], "").vocab for v in views]


def test_a_read_only_library_builds_its_indexes_once_in_this_process(
        sharded: Library, pools: list[list[int]], monkeypatch: pytest.MonkeyPatch) -> None:
    # Workers could not cache what they built: the search would build it all again.
    import shutil

    from papershelf.search import search

    shutil.rmtree(sharded.cache_dir / "index", ignore_errors=True)
    library = Library(sharded.root)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    library.index_for_search()
    assert pools == []
    assert search(library.catalog(), "clip").keys()


def test_list_builds_missing_indexes_in_workers_for_words_only(
        sharded: Library, pools: list[list[int]], capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    from papershelf import cli

    shutil.rmtree(sharded.cache_dir / "index", ignore_errors=True)
    _threads_gone()
    assert cli.main(["--library", str(sharded.root), "list", "--keys", "is:unread"]) == 0
    assert pools == []  # no word to look up
    assert cli.main(["--library", str(sharded.root), "list", "--keys", "clip"]) == 0
    assert pools == [[1, 2, 3, 4]]
    assert "clip" in capsys.readouterr().out


def test_a_second_interrupt_while_workers_stop_still_ends_the_export(sharded: Library) -> None:
    proc = _cli(sharded, "slowish")  # each worker takes a second a shard
    assert proc.stderr is not None
    assert proc.stderr.readline() == b"workers 2\n"
    workers = [int(proc.stderr.readline()), int(proc.stderr.readline())]
    proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)  # while it waits for the workers' shards
    try:
        _out, err = proc.communicate(timeout=20)
        assert proc.returncode == 130
        assert err.decode().strip().endswith("papershelf: error: interrupted (nothing was changed)")
        assert not any(map(_alive, workers))
    finally:
        proc.kill()


def test_an_interrupt_while_workers_start_stops_them(sharded: Library,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    real = forked._submitted

    def interrupted(pool: Any, number: int) -> Any:
        if number == 0:
            os.kill(os.getpid(), signal.SIGINT)  # held back until the workers have started
        return real(pool, number)

    monkeypatch.setattr(forked, "_submitted", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _export(sharded)
    assert not multiprocessing.active_children() and forked._JOB is None
    assert signal.pthread_sigmask(signal.SIG_BLOCK, set()) == set()  # nothing left blocked


@pytest.mark.parametrize("where", ["fork", "pool"])
def test_no_workers_to_be_had_means_rendering_here(sharded: Library, where: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    if where == "fork":  # the second worker cannot be forked (EAGAIN: too many processes)
        forks = iter([os.fork])

        def fork() -> int:
            real = next(forks, None)
            if real is None:
                raise BlockingIOError(11, "Resource temporarily unavailable")
            return real()

        monkeypatch.setattr(os, "fork", fork)
    else:  # no usable semaphores (some containers)
        def no_pool(*args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError("sem_open")

        import concurrent.futures

        monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_pool)
    assert _export(sharded) == to_bibtex(sharded.papers()).encode()
    assert not multiprocessing.active_children()


_IMPORT_CUT_SHORT = """
import sys
from papershelf.library import Library

def interrupted(self, keys):
    raise KeyboardInterrupt

Library.update_indexes = interrupted
from papershelf.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_an_import_interrupted_while_indexing_says_the_papers_are_in(tmp_path: Path) -> None:
    from tests.conftest import SAMPLES

    library = tmp_path / "lib"
    sample = SAMPLES[0]
    out = subprocess.run([sys.executable, "-c", _IMPORT_CUT_SHORT, "--library", str(library),
                          "import", str(sample)], capture_output=True, text=True)
    assert out.returncode == 130
    assert out.stdout.endswith(" new, 0 already in library, 0 failed\n")
    assert out.stderr == ("papershelf: error: interrupted while indexing for search; the papers "
                          "are imported, and the first search indexes the rest\n")
    assert len(Library(library)) > 0


def test_wait_until_alone_waits_for_the_system_to_drop_a_joined_thread() -> None:
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not forked.wait_until_alone(0.05)  # still running
    finally:
        stop.set()
        thread.join()
    if threading.active_count() == 1:  # (a pytest plugin may run threads of its own)
        assert forked.wait_until_alone(1.0)
        assert not forked._threads_running()


class _Node:
    """An object that can be weakly referred to, and made part of a cycle."""

    me: _Node


#: What the tasks of a worker made (each worker its own copy).
_MADE: list[weakref.ref[_Node]] = []


#: The generations the collections in a worker went through.
_COLLECTED: list[int] = []


def _leave_a_cycle(_item: int) -> tuple[bool, list[int]]:
    """A task that leaves cyclic garbage behind; whether none that this worker's
    earlier tasks left is still there, and the generations collected so far."""
    if not _MADE:
        gc.callbacks.append(lambda phase, info: _COLLECTED.append(info["generation"]))
    gone = all(ref() is None for ref in _MADE)
    node = _Node()
    node.me = node
    _MADE.append(weakref.ref(node))
    return gone, list(_COLLECTED)


def test_workers_collect_each_tasks_cyclic_garbage_with_the_collector_off() -> None:
    # (bibtexparser leaves ~4 bytes of it per byte parsed: a worker parsing piece after
    # piece of a 160 MB .bib grew past 1 GB)
    _threads_gone()
    assert forked.workers_for(8) == 2
    was = gc.isenabled()
    gc.disable()  # as the command line runs
    try:
        outcomes = list(forked.on_every_core(_leave_a_cycle, range(8)))
        assert all(gone for gone, _generations in outcomes)
        # only the youngest: a full collection would go through all that earlier tasks
        # keep, again and again (a first export of 100,000 papers took 0.7 s longer)
        assert {generation for _gone, generations in outcomes for generation in generations} == {0}
    finally:
        (gc.enable if was else gc.disable)()


@pytest.fixture
def helper_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each build by a helper process returned."""
    from papershelf.index_process import Helpers

    seen: list[bool] = []
    real = Helpers.build

    def spy(self: Helpers, root: Path) -> bool:
        seen.append(real(self, root))
        return seen[-1]

    monkeypatch.setattr(Helpers, "build", spy)
    return seen


def _index_with_a_thread_running(library: Library) -> None:
    """Build the indexes no cache holds in a process running another thread, with
    helpers, as the TUI does."""
    from papershelf.index_process import Helpers
    from papershelf.library import build_indexes

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert forked.workers_for(4) == 1  # (forking is not safe now)
        build_indexes(library.root, library.catalog().views_without_index(), Helpers())
    finally:
        stop.set()
        thread.join()


def test_a_process_running_threads_has_a_helper_build_the_missing_indexes(
        sharded: Library, pools: list[list[int]], helper_calls: list[bool]) -> None:
    """The TUI, which runs threads and must not fork, built them one after another in
    one thread (6-9 s at 100,000 papers, against 3 s on two cores)."""
    import shutil

    from papershelf.search import search

    index_dir = sharded.cache_dir / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    library = Library(sharded.root)
    _index_with_a_thread_running(library)
    assert helper_calls == [True] and pools == []  # built by the helper, none here
    assert len(list(index_dir.glob("*.idx"))) == 4
    assert all(view.has_index() for view in library.catalog().views)  # loaded from the cache
    assert search(library.catalog(), "clip").keys()
    _index_with_a_thread_running(Library(sharded.root))
    assert helper_calls == [True]  # all cached: no helper
    library.index_for_search()  # the command line: no thread, no helper
    assert helper_calls == [True]


def test_without_a_helper_the_indexes_are_built_here(
        sharded: Library, helper_calls: list[bool], monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from papershelf.search import search

    index_dir = sharded.cache_dir / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    monkeypatch.setattr(sys, "executable", str(sharded.root / "no-python"))
    library = Library(sharded.root)
    _index_with_a_thread_running(library)
    assert helper_calls == [False]
    assert len(list(index_dir.glob("*.idx"))) == 4
    assert search(library.catalog(), "clip").keys()


def test_the_helper_builds_only_for_the_process_that_started_it(sharded: Library) -> None:
    import shutil

    shutil.rmtree(sharded.cache_dir / "index", ignore_errors=True)
    helper = [sys.executable, "-m", "papershelf.index_process"]
    assert subprocess.run([*helper, str(sharded.root)], capture_output=True).returncode == 2
    # another process's number: as if the one that started it had died already
    other = subprocess.run([*helper, str(sharded.root), "1"], capture_output=True)
    assert other.returncode == 1
    assert not list((sharded.cache_dir / "index").glob("*.idx"))


def test_the_helper_uses_this_papershelf_not_one_in_the_working_directory(
        sharded: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``python -m`` puts the working directory first: the helper imported the
    papershelf of a checkout there, failed, and the caller built them one by one."""
    import shutil

    from papershelf.index_process import Helpers

    shutil.rmtree(sharded.cache_dir / "index", ignore_errors=True)
    other = tmp_path / "checkout" / "papershelf"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("raise SystemExit(3)\n")
    (other / "index_process.py").write_text("raise SystemExit(3)\n")
    monkeypatch.chdir(other.parent)
    assert Helpers().build(sharded.root)
    assert len(list((sharded.cache_dir / "index").glob("*.idx"))) == 4


def test_the_helper_does_not_wait_for_a_busy_library(sharded: Library) -> None:
    """Building indexes needs no lock, but the helper opens the library, which takes
    it: behind a long import in another process, it waited 30 s before failing."""
    import shutil

    from papershelf.index_process import LOCK_WAIT, Helpers

    shutil.rmtree(sharded.cache_dir / "index", ignore_errors=True)
    script = ("import sys, time\nfrom papershelf.library import Library\n"
              "with Library(sys.argv[1])._lock.held():\n"
              "    print('held', flush=True)\n    time.sleep(30)\n")
    holder = subprocess.Popen([sys.executable, "-c", script, str(sharded.root)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        start = time.monotonic()
        assert not Helpers().build(sharded.root)  # the caller builds them, at once
        assert time.monotonic() - start < LOCK_WAIT + 4
    finally:
        holder.kill()
        holder.wait()


def _building(helpers: Any, root: Path) -> tuple[threading.Thread, list[object]]:
    """``helpers.build(root)`` in a thread; what it returned or raised."""
    from papershelf.index_process import HelperStopped

    outcome: list[object] = []

    def build() -> None:
        try:
            outcome.append(helpers.build(root))
        except HelperStopped as exc:
            outcome.append(exc)

    thread = threading.Thread(target=build)
    thread.start()
    return thread, outcome


def _helper_started(helpers: Any) -> Any:
    deadline = time.monotonic() + 10
    while not helpers._running and time.monotonic() < deadline:
        time.sleep(0.001)
    return next(iter(helpers._running))


def test_stopped_helpers_stop_their_callers_from_building(sharded: Library) -> None:
    """The TUI stops its helpers as it ends (it would wait for the thread waiting for
    one, 3.5 s at 100,000 papers); that thread must then not build them itself, nor a
    helper start after the stop (a q pressed at once)."""
    import shutil

    from papershelf.index_process import Helpers, HelperStopped

    shutil.rmtree(sharded.cache_dir / "index", ignore_errors=True)
    helpers = Helpers()
    thread, outcome = _building(helpers, sharded.root)
    _helper_started(helpers)
    helpers.stop()
    thread.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], HelperStopped)
    assert not helpers._running
    with pytest.raises(HelperStopped):
        helpers.build(sharded.root)
    assert not list((sharded.cache_dir / "index").glob("*.idx"))


def test_a_helper_runs_in_a_session_of_its_own(sharded: Library) -> None:
    """A closed terminal's SIGHUP went to the helper too, which died: the TUI, quitting,
    then built every index itself before it could end."""
    import shutil

    from papershelf.index_process import Helpers

    shutil.rmtree(sharded.cache_dir / "index", ignore_errors=True)
    helpers = Helpers()
    thread, _outcome = _building(helpers, sharded.root)
    try:
        helper = _helper_started(helpers)
        assert os.getsid(helper.pid) == helper.pid != os.getsid(0)
    finally:
        helpers.stop()
        thread.join(10)


def test_a_process_told_to_die_with_its_parent_does() -> None:
    child = ("import os, signal, time\n"
             "from papershelf.forked import die_with_parent\n"
             "assert die_with_parent(os.getppid(), signal.SIGTERM)\n"
             "print('ready', flush=True)\n"
             "time.sleep(30)\n")
    parent = ("import subprocess, sys, time\n"
              f"child = subprocess.Popen([sys.executable, '-c', {child!r}])\n"
              "print(child.pid, flush=True)\n"
              "time.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        pid = int(proc.stdout.readline())
        assert proc.stdout.readline() == "ready\n"
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.02)
        assert not _alive(pid)
    finally:
        proc.kill()

