"""Durable, deterministic JSON storage for TinyDB, with multi-file atomic commits.

TinyDB's own ``JSONStorage`` rewrites its file in place (a crash mid-write leaves a
truncated file) and has no locking. Here:

* :class:`JSONFileStorage` serialises with sorted keys and two-space indentation (a
  library diffs well in git) and caches what it read, revalidated by ``stat`` so a
  change made by another process is seen without re-parsing unchanged files.
* Writes never touch the live file: each goes to a temporary file that is fsynced and
  then renamed over the original. Writes made inside a :class:`Transaction` are
  staged and committed together: when more than one file changes, a journal listing
  the renames is made durable first, so :func:`recover` can finish an interrupted
  commit. A crash at any instant therefore leaves the old state or the new one.
* :class:`LibraryLock` serialises writers across processes (``flock`` on POSIX,
  ``filelock`` elsewhere).
"""

from __future__ import annotations

import contextlib
import errno
import gc
import itertools
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from tinydb import Storage

from papershelf.errors import LibraryBusyError, LibraryError

JOURNAL_NAME = ".journal.json"
LOCK_NAME = ".lock"
_TMP_SUFFIX = ".tmp"
#: JSON smaller than this is parsed by the standard library: importing orjson costs
#: ~10 ms (it loads dataclasses, inspect and uuid), more than it saves on small files,
#: and a command that only reads a cache (a BibTeX export) reads no big ones.
SMALL_JSON = 64 * 1024
#: What to do about a library file that a hand edit (or a bad merge) left unreadable.
DAMAGE_HINT = "fix the file by hand or restore it from git or a backup"


def dump_json(data: Any) -> bytes:
    """Deterministic, human-readable JSON: sorted keys, two-space indent, final newline."""
    import orjson

    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def load_json(data: bytes) -> Any:
    """Parse JSON ``data`` (raises ``ValueError`` if it is not valid): with orjson,
    unless it is smaller than :data:`SMALL_JSON`. Both accept exactly the same input,
    whatever the size: a hand-edited value that one refuses (``NaN``, a lone
    surrogate) must not be read, only to break the next write."""
    if len(data) < SMALL_JSON and b"\\u" not in data:  # \u escapes may be surrogates
        try:
            return _STRICT_JSON.decode(data.decode("utf-8"))  # strict: no BOM, no surrogates
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
    import orjson

    return orjson.loads(data)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text} is out of range")
    return value


def _int(text: str) -> int | float:
    value = int(text)
    return value if -(2**63) <= value < 2**64 else float(value)  # as orjson reads it


#: The standard library's decoder, made as strict as orjson (which refuses NaN,
#: Infinity and numbers out of range, and reads integers beyond 64 bits as floats).
_STRICT_JSON = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite, parse_int=_int)


_gc_guard = threading.Lock()
_gc_pauses = 0
_gc_resume = False
_gc_freeze = False


@contextlib.contextmanager
def gc_paused(*, freeze: bool = False) -> Iterator[None]:
    """Keep the cyclic garbage collector off while the block builds many objects.

    Parsed JSON and the records built from it hold no reference cycles, but the
    collector still runs full passes over every live object while they are built
    (in the TUI, which keeps it on: opening 100,000 papers took 0.44 s instead of
    0.19 s). Nests and works across threads: it is back on when the last block ends,
    if it was on before the first began.

    With ``freeze``, every object then alive is frozen (:func:`gc.freeze`: left out of
    every later collection) before the collector is back on, for objects that live as
    long as the process: the next collections would otherwise go through each of them
    once more (the TUI's first catalog of 100,000 papers: 85-114 ms in the thread that
    built it, then 150-168 ms on the UI thread, just as the first rows were painted).
    """
    global _gc_pauses, _gc_resume, _gc_freeze
    with _gc_guard:
        if _gc_pauses == 0:
            _gc_resume = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
        _gc_freeze = _gc_freeze or freeze
    try:
        yield
    finally:
        with _gc_guard:
            _gc_pauses -= 1
            if _gc_pauses == 0:
                if _gc_freeze and _gc_resume:
                    gc.freeze()
                _gc_freeze = False
                if _gc_resume:
                    gc.enable()


def fsync_dir(path: Path) -> None:
    """Flush ``path``'s directory entries to disk (a rename in it is then durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` (a fresh file) and flush it to disk."""
    with open(path, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def remove_dead_temporaries(path: Path) -> None:
    """Remove what writes of ``path`` killed midway left beside it (``.NAME.PID.tmp``, or
    ``.NAME.PID.TAG.tmp`` with a hex tag) whose process is gone: an import killed while
    its workers built indexes, an export killed by a closed terminal."""
    shape = re.compile(rf"\.{re.escape(path.name)}\.(\d+)(?:\.[0-9a-f]+)?{re.escape(_TMP_SUFFIX)}")
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        match = shape.fullmatch(name)
        if match and not _running(int(match.group(1))):
            with contextlib.suppress(OSError):
                (path.parent / name).unlink()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # gone, or no process number at all
        return False
    except OSError:  # another user's process, say: it exists
        return True
    return True


def _stamp(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


class Transaction:
    """A set of file replacements that become visible together or not at all."""

    _serials = itertools.count(1)

    def __init__(self, root: Path, guard: Callable[[], None] | None = None) -> None:
        self.root = root
        #: Raises if the change may no longer be made (called just before the commit point).
        self._guard = guard
        self._staged: dict[Path, tuple[JSONFileStorage, Any]] = {}
        #: Tells this transaction from every other of the process.
        self.serial = next(Transaction._serials)
        #: The identity of each file the commit replaces, as it began (``None``: none yet).
        self._before: dict[JSONFileStorage, tuple[int, int, int, int] | None] = {}

    def stage(self, storage: JSONFileStorage, data: Any) -> None:
        """Remember that ``storage`` should hold ``data`` once the transaction commits."""
        self._staged[storage.path] = (storage, data)

    @property
    def empty(self) -> bool:
        """Whether nothing was written in this transaction."""
        return not self._staged

    def landed(self) -> bool:
        """Whether the commit's files are in place: asked after it raised (a Ctrl-C) and
        :func:`recover` ran, whether it had got past its commit point."""
        return any(storage.disk_stamp() != before for storage, before in self._before.items())

    def commit(self) -> None:
        """Write every staged file durably, then make them all live at once."""
        if not self._staged:
            return
        self._before = {storage: storage.disk_stamp() for storage, _data in self._staged.values()}
        tag = os.urandom(6).hex()
        renames: list[tuple[Path, Path]] = []
        journal = self.root / JOURNAL_NAME
        tmp_journal = self.root / f".journal.{tag}{_TMP_SUFFIX}"
        try:
            for path, (_storage, data) in sorted(self._staged.items()):
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.{tag}{_TMP_SUFFIX}")
                renames.append((tmp, path))
                _write_durably(tmp, dump_json(data))
            if len(renames) > 1:
                entries = [
                    [str(t.relative_to(self.root)), str(p.relative_to(self.root))]
                    for t, p in renames
                ]
                _write_durably(tmp_journal, dump_json({"renames": entries}))
            if self._guard is not None:
                self._guard()
        except BaseException as exc:
            for tmp in [t for t, _ in renames] + [tmp_journal]:
                with contextlib.suppress(OSError):
                    tmp.unlink()
            if isinstance(exc, OSError):  # read-only, full: nothing was replaced
                raise LibraryError(f"cannot write to the library {self.root}: {exc.strerror}",
                                   "check that you may write there and that the disk has room"
                                   ) from exc
            raise
        if len(renames) > 1:
            # The commit point: once the journal is in place, recover() completes it.
            # (Should this rename fail, the temporary files are strays recover() removes.)
            os.replace(tmp_journal, journal)
            fsync_dir(self.root)
        # From here on the commit is decided: finish it (recover() would otherwise).
        for tmp, path in renames:
            os.replace(tmp, path)
        for directory in {p.parent for _, p in renames}:
            fsync_dir(directory)
        if len(renames) > 1:
            (self.root / JOURNAL_NAME).unlink()
            fsync_dir(self.root)
        for path, (storage, data) in self._staged.items():
            storage.remember(data, path.stat())
        self._staged.clear()

    def discard(self) -> None:
        """Forget staged writes and make their storages re-read the disk."""
        for storage, _data in self._staged.values():
            storage.forget()
        self._staged.clear()


def recover(root: Path) -> None:
    """Finish a commit that was interrupted after its journal became durable, and
    delete temporary files of commits that never reached that point.

    Must run under the library lock, before anything is read.
    """
    journal = root / JOURNAL_NAME
    if journal.exists():
        try:
            entries = load_json(journal.read_bytes())["renames"]
            _check_journal(entries)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LibraryError(
                f"the commit journal {journal} is damaged: {exc}",
                "delete it to use the library as its files are (a change it was finishing may "
                "be left half made), or restore the library from a backup",
            ) from exc
        try:
            _roll_forward(root, entries)
        except OSError as exc:  # a read-only snapshot or mount, another user's library
            raise LibraryError(
                f"cannot finish the change interrupted in {root}: {exc.strerror}",
                "make the library writable and run papershelf once: it completes the change",
            ) from exc
    for directory in [root, *(p for p in root.iterdir() if p.is_dir() and p.name != ".cache")]:
        for stray in directory.glob(f".*{_TMP_SUFFIX}"):
            if _COMMIT_TMP.fullmatch(stray.name):  # not an export's, nor the user's own
                with contextlib.suppress(OSError):
                    stray.unlink()


def _roll_forward(root: Path, entries: list[list[str]]) -> None:
    """Make the renames of a journal's ``entries`` and then drop the journal."""
    for tmp_name, final_name in entries:
        tmp = root / tmp_name
        if tmp.exists():
            os.replace(tmp, root / final_name)
    for directory in {(root / name).parent for _, name in entries} | {root}:
        fsync_dir(directory)
    (root / JOURNAL_NAME).unlink()
    fsync_dir(root)


#: The temporary file of a commit: ``.NAME.TAG.tmp`` beside ``NAME`` (a 12-digit hex tag).
_COMMIT_TMP = re.compile(r"\.(.+)\.[0-9a-f]{12}" + re.escape(_TMP_SUFFIX))


def _check_journal(entries: object) -> None:
    """Raise ``ValueError`` unless ``entries`` are renames a commit writes: each of a
    temporary file of a commit onto the file beside it that it names, inside the library
    (a journal from elsewhere must not move any other file)."""
    if not isinstance(entries, list):
        raise ValueError("the renames are not a list")
    for entry in entries:
        if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(p, str) for p in entry)):
            raise ValueError(f"{entry!r} is not a pair of file names")
        tmp, final = map(PurePosixPath, entry)
        match = _COMMIT_TMP.fullmatch(tmp.name)
        if tmp.is_absolute() or ".." in tmp.parts or tmp.parent != final.parent \
                or match is None or match.group(1) != final.name:
            raise ValueError(f"{entry!r} is not a rename of a commit of this library")


class JSONFileStorage(Storage):
    """A TinyDB storage over one JSON file: atomic, durable, deterministic, cached.

    ``transactions`` supplies the open transaction, if any: writes made while one is
    open are staged into it instead of hitting the disk.
    """

    def __init__(self, path: str | Path, transactions: TransactionSource | None = None) -> None:
        self.path = Path(path)
        self._transactions = transactions
        self._data: Any = None
        self._stamp: tuple[int, int, int, int] | None = None
        #: Whether what :meth:`read` returns is what this process wrote, not parsed from
        #: disk (where a hand edit or a merge may have left anything).
        self.written_here = False
        #: The transaction in which the file on disk was last found to be what is cached:
        #: within it, the library's lock keeps other writers out, so no need to look again.
        self._checked_in = 0

    def read(self) -> dict[str, dict[str, Any]] | None:
        """The whole file as a dict (cached until the file changes on disk)."""
        tx = self._transactions.current() if self._transactions else None
        if tx is not None:
            if self.path in tx._staged:
                staged: dict[str, dict[str, Any]] = tx._staged[self.path][1]
                return staged
            if self._data is not None and self._checked_in == tx.serial:
                return self._data  # type: ignore[no-any-return]
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._data, self._stamp = None, None
            return None
        stamp = _stamp(stat)
        checked = tx.serial if tx is not None else 0
        if self._data is not None and stamp == self._stamp:
            self._checked_in = checked
            return self._data  # type: ignore[no-any-return]
        try:
            with gc_paused():
                data = load_json(self.path.read_bytes())
        except ValueError as exc:
            raise LibraryError(
                f"{self.path} is not valid JSON ({exc})", DAMAGE_HINT,
            ) from exc
        except OSError as exc:
            raise LibraryError(f"cannot read {self.path}: {exc.strerror}") from exc
        if not isinstance(data, dict):
            raise LibraryError(f"{self.path} does not hold a JSON object", "restore it")
        self._data, self._stamp, self.written_here = data, stamp, False
        self._checked_in = checked
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Stage ``data`` in the open transaction, or replace the file atomically now."""
        tx = self._transactions.current() if self._transactions else None
        if tx is not None:
            tx.stage(self, data)
            return
        own = Transaction(self.path.parent)
        own.stage(self, data)
        try:
            own.commit()
        except BaseException:
            own.discard()
            raise

    def read_stamp(self) -> tuple[int, int, int, int] | None:
        """The identity of the file that what :meth:`read` returned was read from (or
        written to), ``None`` when it is staged in the open transaction, not on disk
        yet: what a cache of something worked out from it must be kept under."""
        return None if self.staged() else self._stamp

    def staged(self) -> bool:
        """Whether the open transaction holds a write of this file (what :meth:`read`
        returns then), not on disk yet."""
        tx = self._transactions.current() if self._transactions else None
        return tx is not None and self.path in tx._staged

    def remember(self, data: Any, stat: os.stat_result) -> None:
        """Record that the file now holds ``data`` (called after a commit)."""
        self._data, self._stamp, self.written_here = data, _stamp(stat), True

    def may_hold(self, needle: bytes) -> bool:
        """Whether the data may hold ``needle`` as its JSON writes it: when it is read
        already (or staged), yes; else whether the file holds those bytes, a search 20x
        cheaper than parsing the file."""
        tx = self._transactions.current() if self._transactions else None
        if self._data is not None or (tx is not None and self.path in tx._staged):
            return True
        try:
            return needle in self.path.read_bytes()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise LibraryError(f"cannot read {self.path}: {exc.strerror}") from exc

    def forget(self) -> None:
        """Drop the cache so the next read comes from disk."""
        self._data, self._stamp, self.written_here = None, None, False

    def disk_stamp(self) -> tuple[int, int, int, int] | None:
        """Identity of the file now on disk (inode, size, times), ``None`` if missing."""
        try:
            return _stamp(self.path.stat())
        except FileNotFoundError:
            return None

    def close(self) -> None:
        """Nothing to release: files are only open while read or written."""


class TransactionSource:
    """Hands out the transaction open in the current thread, if any."""

    def __init__(self, root: Path, guard: Callable[[], None] | None = None) -> None:
        self.root = root
        self._guard = guard
        self._local = threading.local()

    def current(self) -> Transaction | None:
        """The transaction open in this thread, or ``None``."""
        return getattr(self._local, "tx", None)

    @contextlib.contextmanager
    def open(self) -> Iterator[Transaction]:
        """Open a transaction (nested calls join the outer one); commit on success."""
        outer = self.current()
        if outer is not None:
            yield outer
            return
        tx = Transaction(self.root, self._guard)
        self._local.tx, self._local.failed = tx, None
        try:
            yield tx
            tx.commit()
        except BaseException:
            tx.discard()
            self._local.failed = tx
            raise
        finally:
            self._local.tx = None

    def failed_but_landed(self) -> bool:
        """Whether the last transaction of this thread that raised has its files in
        place all the same (call it after :func:`recover`)."""
        failed: Transaction | None = getattr(self._local, "failed", None)
        return failed is not None and failed.landed()


class LibraryLock:
    """An inter-process lock on the library directory.

    Re-entrant within a process, and shared by its threads (as a non-thread-local
    ``filelock`` is): callers that need threads kept apart hold a lock of their own.
    On POSIX this is an ``flock`` on ``DIR/.lock`` (the kernel drops it if the process
    dies); elsewhere ``filelock`` does the same portably. ``filelock`` costs ~20 ms of
    imports, a third of a small command's run time, so it is only loaded where needed.
    """

    _POLL = 0.02

    def __init__(self, root: Path, timeout: float = 30.0) -> None:
        self._root = root
        self._path = root / LOCK_NAME
        self._timeout = timeout
        self._guard = threading.Lock()
        self._count = 0
        self._fd: int | None = None
        self._portable: Any = None

    def _busy(self) -> LibraryBusyError:
        return LibraryBusyError(
            f"the library {self._root} is busy (locked by another papershelf)",
            "wait for it to finish and try again",
        )

    def _acquire(self, deadline: float) -> None:
        if sys.platform == "win32":
            from filelock import FileLock, Timeout

            if self._portable is None:
                self._portable = FileLock(str(self._path), thread_local=False)
            try:
                self._portable.acquire(timeout=max(deadline - time.monotonic(), 0))
            except Timeout as exc:
                raise self._busy() from exc
            return
        import fcntl

        try:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            if isinstance(exc, IsADirectoryError):
                raise LibraryError(f"{self._path} is a directory, where papershelf keeps its lock "
                                   "file", "remove it: papershelf makes the file") from exc
            if not isinstance(exc, PermissionError) and exc.errno != errno.EROFS:
                raise LibraryError(f"cannot lock the library {self._path.parent}: "  # gone, say
                                   f"{exc.strerror}", "check that the directory exists") from exc
            # a read-only library, or file system: flock needs no write access
            read_only = self._open_read_only(unlocked=exc.errno == errno.EROFS)
            if read_only is None:
                return
            fd = read_only
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise self._busy() from None
                time.sleep(self._POLL)
            except BaseException:
                os.close(fd)
                raise
        self._fd = fd

    def _open_read_only(self, unlocked: bool) -> int | None:
        """The ``.lock`` of a library this process cannot write, opened to lock it.
        ``unlocked``: on a read-only file system, ``None`` if it has none (``.lock`` is
        git-ignored: a read-only checkout, a backup mounted read-only): no papershelf can
        be writing there, as none could lock it, so it is read unlocked (a change fails,
        as it cannot write its files either). Not so in a directory of another user's,
        who may be writing there."""
        try:
            return os.open(self._path, os.O_RDONLY)
        except OSError as exc:
            if unlocked and isinstance(exc, FileNotFoundError):
                return None
            raise LibraryError(f"cannot lock the library {self._path.parent}: {exc.strerror}",
                               "papershelf needs to write its .lock file there once") from exc

    def check_held(self) -> None:
        """Raise unless the lock held is still the library's: its ``.lock`` file was
        not deleted (a stale lock file, thought) or replaced meanwhile, which let
        another papershelf take a lock of its own and change the library too."""
        if self._fd is None:
            return
        held = os.fstat(self._fd)
        try:
            now = os.stat(self._path)
        except OSError:
            now = None
        if now is None or (now.st_ino, now.st_dev) != (held.st_ino, held.st_dev):
            raise LibraryError(f"the lock file {self._path} was removed while this change was "
                               "being saved, so another papershelf may be changing the library",
                               "nothing was changed; run the command again")

    def _release(self) -> None:
        if sys.platform == "win32":
            self._portable.release()
            return
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the last descriptor of the open file drops the flock

    @contextlib.contextmanager
    def held(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the lock for the duration of the block (waiting at most ``timeout``
        seconds, default the lock's own timeout)."""
        wait = self._timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        # A second thread waits here while the first one polls (at most its own timeout).
        if not self._guard.acquire(timeout=max(wait, 0)):
            raise self._busy()
        try:
            if self._count == 0:
                self._acquire(deadline)
            self._count += 1
        finally:
            self._guard.release()
        try:
            yield
        finally:
            with self._guard:
                self._count -= 1
                if self._count == 0:
                    self._release()
