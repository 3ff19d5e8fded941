"""The shelf: the TUI's one door to the library, never held for long by a worker."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from papershelf.library import Library
from papershelf.model import Entry
from papershelf.tui.shelf import Shelf


def test_an_import_does_not_hold_the_shelf(library_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a paper (the detail pane, on every cursor move) never waits for an
    import running in a worker, however long it takes."""
    shelf = Shelf(library_dir)
    key = shelf.library.keys()[0]
    started, release = threading.Event(), threading.Event()
    real_store = Library._store_new

    def slow_store(self: Library, *args: Any, **kwargs: Any) -> Any:
        started.set()  # mid-import: the library's lock is held, the commit not done
        release.wait(10)
        return real_store(self, *args, **kwargs)

    monkeypatch.setattr(Library, "_store_new", slow_store)
    reports = []
    worker = threading.Thread(target=lambda: reports.append(shelf.add([Entry("Fresh Paper", "Text.")])))
    worker.start()
    try:
        assert started.wait(10)
        begin = time.monotonic()
        assert shelf.paper(key) is not None
        assert shelf.tags() is not None
        assert time.monotonic() - begin < 1.0
    finally:
        release.set()
        worker.join(10)
    [new] = reports[0].change.keys
    assert new in shelf.library  # caught up as soon as the import finished
    assert shelf.can_undo
    shelf.undo()
    assert new not in shelf.library
    assert new not in Library(library_dir)


def test_reads_of_a_paper_deleted_elsewhere_before_the_watcher_saw_it_skip_it(library_dir: Path) -> None:
    """The shelf still lists the key (the watcher has not looked yet), but the paper's
    file no longer holds it: the title of a tag prompt and a copy skip it, not crash."""
    shelf = Shelf(library_dir)
    gone, kept = shelf.library.keys()[:2]
    Library(library_dir).remove([gone])
    assert gone in shelf.library
    assert list(shelf.records([gone, kept])) == [kept]
    assert [p.key for p in shelf.papers([gone, kept])] == [kept]
    text, left_out = shelf.bibtex([gone, kept])
    assert f"{{{kept}," in text and gone not in text and left_out == [gone]


def test_a_paper_deleted_elsewhere_is_said_to_be_deleted_not_misspelt(library_dir: Path) -> None:
    from papershelf.errors import UnknownKeyError

    shelf = Shelf(library_dir)
    key = shelf.library.keys()[0]
    Library(library_dir).remove([key])
    shelf.refresh()  # the watcher saw it go while the tag prompt was open
    with pytest.raises(UnknownKeyError) as raised:
        shelf.change(lambda library: library.tag([key], "later"))
    assert str(raised.value) == f"no paper with key '{key}' (another papershelf deleted it)"


async def test_the_app_has_a_helper_process_build_the_indexes_no_cache_holds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app runs threads and must not fork: it built them one after another, in one
    thread (9 s at 100,000 papers); a helper process forks workers for them."""
    import os

    from papershelf import forked
    from papershelf import library as library_module
    from papershelf.index_process import Helpers
    from papershelf.tui.app import PapershelfApp

    from .conftest import sample_entries, settle

    monkeypatch.setattr(library_module, "SHARD_CAPACITY", 100)
    root = tmp_path / "sharded"
    Library(root).add(sample_entries())  # four shards, and no index cached yet
    assert not list((root / ".cache" / "index").glob("*.idx"))
    # two cores, even where the tests run on one
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(forked, "cpu_quota", lambda: None)
    built: list[bool] = []
    real = Helpers.build
    monkeypatch.setattr(Helpers, "build",
                        lambda self, root: built.append(real(self, root)) or built[-1])
    app = PapershelfApp(root)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await settle(pilot)
        assert built == [True]
        assert len(list((root / ".cache" / "index").glob("*.idx"))) == 4
        await pilot.press("slash", *"clip", "enter")
        screen = await settle(pilot)
        assert 0 < len(screen.papers) < 356


async def test_the_app_stops_its_helpers_as_it_ends(library_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from papershelf.tui.app import PapershelfApp

    stopped: list[bool] = []
    monkeypatch.setattr(Shelf, "stop_helpers", lambda self: stopped.append(True))
    app = PapershelfApp(library_dir)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("q")
    assert stopped == [True]
