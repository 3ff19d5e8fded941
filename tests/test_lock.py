"""The inter-process library lock: exclusive across processes, re-entrant within one."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from papershelf.errors import LibraryBusyError, LibraryError
from papershelf.library import Library
from papershelf.storage import LibraryLock

HOLD = """
import sys, time
from pathlib import Path
from papershelf.storage import LibraryLock
lock = LibraryLock(Path(sys.argv[1]))
with lock.held():
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(root: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(root), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_another_process_holding_the_lock_makes_a_change_wait_then_fail(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib", lock_timeout=0.3)
    proc = _holder(library.root, 30)
    try:
        start = time.monotonic()
        with pytest.raises(LibraryError, match="busy"):
            library.refresh()
        assert time.monotonic() - start >= 0.25
    finally:
        proc.kill()
        proc.wait()
    library.refresh()  # the kernel dropped the dead holder's lock


def test_a_change_waits_for_the_holder_to_finish(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib", lock_timeout=30)
    proc = _holder(library.root, 0.5)
    start = time.monotonic()
    library.refresh()
    assert time.monotonic() - start >= 0.3
    proc.wait()


def test_reentrant_and_shared_by_threads_of_one_process(tmp_path: Path) -> None:
    lock = LibraryLock(tmp_path, timeout=0.3)
    with lock.held(), lock.held():
        done = threading.Event()

        def other_thread() -> None:
            with lock.held():
                done.set()

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join(5)
        assert done.is_set()
    proc = _holder(tmp_path, 0)  # released: another process gets it at once
    proc.wait()


def test_a_short_wait_gives_up_early(tmp_path: Path) -> None:
    lock = LibraryLock(tmp_path, timeout=30)
    proc = _holder(tmp_path, 30)
    try:
        start = time.monotonic()
        with pytest.raises(LibraryError, match="busy"), lock.held(0.1):
            pass
        assert time.monotonic() - start < 5
    finally:
        proc.kill()
        proc.wait()


def test_a_change_can_bound_its_wait_for_a_busy_library(sample_library: Library) -> None:
    key = sample_library.keys()[0]
    proc = _holder(sample_library.root, 3)
    try:
        begin = time.monotonic()
        with pytest.raises(LibraryBusyError), sample_library.waiting_at_most(0.2):
            sample_library.tag([key], "impatient")
        assert time.monotonic() - begin < 1.5
    finally:
        proc.wait(10)
    assert Library(sample_library.root).get(key).tags == ()  # nothing changed
    sample_library.tag([key], "patient")  # the usual wait again, and the lock is free
    assert Library(sample_library.root).get(key).tags == ("patient",)


def test_a_change_whose_lock_file_was_removed_meanwhile_changes_nothing(
        sample_library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    from papershelf import storage

    root, key = sample_library.root, sample_library.keys()[0]
    real_write = storage._write_durably
    monkeypatch.setattr(storage, "_write_durably", real_write)  # put back at the end

    def stale_lock_removed(path: Path, payload: bytes) -> None:
        # "a stale lock file": removed by hand while this change is saved (its writer
        # stopped), so another papershelf took a lock of its own and changed the library
        storage._write_durably = real_write
        (root / ".lock").unlink()
        Library(root).tag([key], "theirs")
        real_write(path, payload)

    storage._write_durably = stale_lock_removed
    with pytest.raises(LibraryError, match=r"lock file .* was removed"):
        sample_library.remove([key])
    fresh = Library(root)
    assert key in fresh and fresh.get(key).tags == ("theirs",)  # theirs kept, ours not half made
    assert not list(root.rglob(".*.tmp"))


def test_a_read_only_copy_without_a_lock_file_is_read_unlocked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``.lock`` is git-ignored: a read-only checkout or a backup mounted read-only has
    none, and could not be read at all ("cannot lock the library: No such file or
    directory"; a black-box review). No papershelf can be writing there, as none could
    lock it: it is read unlocked (a change fails there, as it cannot write its files)."""
    import errno
    import os

    from papershelf.storage import LOCK_NAME
    from tests.conftest import sample_entries

    lib = Library(tmp_path / "lib")
    lib.add(sample_entries()[:3])
    (lib.root / LOCK_NAME).unlink()
    real_open = os.open

    def read_only(path: object, flags: int, *args: object) -> int:
        if flags & (os.O_CREAT | os.O_WRONLY | os.O_RDWR):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", read_only)
    copy = Library(lib.root)
    assert len(copy) == 3 and copy.get(lib.keys()[0]).title

    def not_ours(path: object, flags: int, *args: object) -> int:
        if flags & (os.O_CREAT | os.O_WRONLY | os.O_RDWR):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    # another user's directory: its owner may be writing there, so no unlocked reading
    monkeypatch.setattr(os, "open", not_ours)
    with pytest.raises(LibraryError, match=r"papershelf needs to write its \.lock file there once"):
        Library(lib.root)


def test_a_lock_file_that_is_a_directory_is_named(tmp_path: Path) -> None:
    """It said "cannot lock the library: Is a directory (check that the directory
    exists)" (a black-box review)."""
    (tmp_path / "lib" / ".lock").mkdir(parents=True)
    with pytest.raises(LibraryError, match=r"lib/\.lock is a directory, where papershelf keeps its "
                                           r"lock file \(remove it: papershelf makes the file\)"):
        Library(tmp_path / "lib")
