"""The TUI's single door to the library: serialised access and the undo stack.

Textual runs our code on the UI thread and in thread workers. :class:`Library` is not
thread-safe (its in-memory view is rebuilt by every change and by ``refresh``), and the
library's file lock is re-entrant within a process, so it does not keep two threads
apart. Every library call the TUI makes therefore goes through :class:`Shelf`, which
holds one lock around it; an import, which takes seconds, runs on a library object of
its own instead, so that it never holds the shelf. Changes are durable when the call
returns.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from papershelf.catalog import Catalog
from papershelf.changes import Change, ImportReport
from papershelf.errors import LibraryBusyError, LibraryError, PapershelfError, UnknownKeyError
from papershelf.index_process import Helpers
from papershelf.library import SHAPE_ERRORS, Library, build_indexes, damage_behind
from papershelf.model import Entry, Paper
from papershelf.storage import LibraryLock, gc_paused

#: How many changes ``u`` can undo.
UNDO_DEPTH = 100


class Shelf:
    """A library shared between the UI thread and workers, with multi-level undo."""

    def __init__(self, root: Path) -> None:
        self.library = Library(root)
        self._lock = threading.RLock()
        self._helpers = Helpers()
        self._undo: list[Change] = []

    @property
    def root(self) -> Path:
        """The library directory."""
        return self.library.root

    def __len__(self) -> int:
        with self._lock:
            return len(self.library)

    @property
    def can_undo(self) -> bool:
        """Whether there is a change to undo."""
        return bool(self._undo)

    def catalog(self, *, lasting: bool = False) -> Catalog:
        """The current snapshot (rebuilt only after a change). ``lasting`` (the snapshot
        the app opens with, whose records later ones share): the collector leaves its
        objects alone from now on (:func:`~papershelf.storage.gc_paused`)."""
        with self._lock, gc_paused(freeze=lasting):
            return self.library.catalog()

    def index_for_search(self) -> None:
        """Build the word indexes no cache holds on every core, in a helper process
        (:func:`~papershelf.library.build_indexes`), without holding the shelf meanwhile
        (loading those cached takes 0.35 s at 100,000 papers). Raises
        :class:`~papershelf.index_process.HelperStopped` after :meth:`stop_helpers`."""
        views = self.catalog().views_without_index()
        build_indexes(self.root, views, self._helpers)

    def stop_helpers(self) -> None:
        """Stop the helper processes building indexes, and start no more (the app ends)."""
        self._helpers.stop()

    def tags(self) -> dict[str, int]:
        """Every tag with its number of papers."""
        with self._lock, self._damage_named():
            return self.library.tags()

    def paper(self, key: str) -> Paper | None:
        """The paper ``key`` as it is now, or ``None`` if it is gone."""
        with self._lock, self._damage_named():
            if key not in self.library:
                return None
            try:
                return self.library.get(key)
            except UnknownKeyError:  # deleted by another papershelf a moment ago
                return None

    def papers(self, keys: Sequence[str]) -> list[Paper]:
        """The papers of ``keys`` that still exist, in that order."""
        with self._lock:
            return [paper for paper in map(self.paper, keys) if paper is not None]

    def bibtex(self, keys: Sequence[str]) -> tuple[str, list[str]]:
        """The BibTeX of the papers of ``keys`` that still exist, in that order, written as
        an export writes them (keys equal to older ones up to case renamed:
        :meth:`~papershelf.library.Library.case_renames`); and the keys of ``keys`` left
        out, another papershelf having deleted their papers."""
        from papershelf.exporters.bibtex import to_bibtex

        with self._lock, self._damage_named():
            papers = self.papers(self.library.with_crossref_targets(keys))
            found = {paper.key for paper in papers}
            return to_bibtex(papers, self.library.case_renames()), [k for k in keys if k not in found]

    def records(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The small records (read state, tags, ...) of the ``keys`` that exist."""
        found = {}
        with self._lock, self._damage_named():
            for key in keys:
                if key in self.library:
                    # Deleted by another papershelf a moment ago, before the watcher saw it.
                    with contextlib.suppress(UnknownKeyError):
                        found[key] = self.library.record(key)
        return found

    def explain(self, exc: Exception) -> str:
        """One line on a worker's failure: an expected one's message; for an unexpected
        one, the hand-edited record behind it (:func:`~papershelf.library.damage_behind`),
        or the error, to report as a bug."""
        if isinstance(exc, PapershelfError):
            return str(exc)
        with contextlib.suppress(Exception):
            damage = damage_behind(self.root, exc)  # reads the files: no need for the shelf
            if damage is not None:
                return str(damage)
        return f"unexpected {type(exc).__name__}: {exc} (please report it)"

    @contextlib.contextmanager
    def _damage_named(self) -> Iterator[None]:
        """A file edited by hand into another shape fails a read or a change on the UI
        thread with a TypeError, a KeyError...: raise it as the error naming the file
        (:meth:`explain`), which the app shows, instead of the traceback that ended it."""
        try:
            yield
        except SHAPE_ERRORS as exc:
            raise PapershelfError(self.explain(exc)) from exc

    def refresh(self) -> bool:
        """Pick up changes made by other processes; whether anything changed.

        Never waits for another process's write (an import, say) while holding the
        shelf: that would hold up the UI thread's next read or change. A busy library
        raises :class:`LibraryBusyError` at once and the watcher simply looks again later.
        """
        with self._lock:
            return self.library.refresh(wait=0)

    def change(self, operation: Callable[[Library], Change], wait: float | None = None) -> Change:
        """Run one changing library call and remember it for undo. ``wait`` bounds how
        long it waits for another process's lock (:class:`LibraryBusyError`)."""
        with self._lock, self.library.waiting_at_most(wait), self._damage_named():
            try:
                change = operation(self.library)
            except UnknownKeyError as exc:
                # The app acts only on papers it showed: one unknown now is not a typo
                # to correct ("did you mean"), another papershelf deleted it since.
                raise UnknownKeyError(exc.key, "another papershelf deleted it") from None
            self._remember(change)
            return change

    def wait_until_free(self) -> None:
        """Wait, without holding the shelf, until no other papershelf holds the library's
        lock (or the lock's timeout passes)."""
        with contextlib.suppress(LibraryBusyError), LibraryLock(self.root).held():
            pass

    def add(self, entries: Sequence[Entry], tags: Sequence[str] = (),
            preambles: Sequence[str] = ()) -> ImportReport:
        """Import ``entries`` (undoable like any other change) and ``@preamble`` values
        (:meth:`~papershelf.library.Library.add`).

        The import runs on a library object of its own, without holding the shelf: it
        can take seconds, and holding the shelf that long would freeze every key press
        that reads a paper. The library's file lock keeps it apart from the shelf's own
        writes, as it would another process's; the shelf catches up with it at once.
        """
        report = Library(self.root).add(entries, tags, preambles=preambles)
        with self._lock:
            if report.change is not None:
                self._remember(report.change)
        with contextlib.suppress(LibraryError):  # busy again: the watcher catches up later
            self.refresh()
        return report

    def export_bibtex(self, keys: Sequence[str], path: Path) -> tuple[dict[str, str], list[str]]:
        """Write the BibTeX of ``keys`` (in that order) to ``path`` as ``papershelf export
        -o`` does: entries come from the export cache, rendered only for shards changed
        since the last export (seconds at 100,000 papers when rendered, a fraction of a
        second from the cache). Like an import, it reads through a library object of its
        own, so the shelf is never held while it runs. Returns the keys of ``keys``
        written under another name (:meth:`Library.case_renames`), each to that name, and
        those left out, another papershelf having deleted their papers."""
        from papershelf.exporters import write_file
        from papershelf.exporters.bibtex_cache import bibtex_pieces

        library = Library(self.root)
        library.refuse_as_export_target(path, "bibtex")
        renames = library.case_renames()
        gone = [key for key in keys if key not in library]
        if len(gone) == len(keys):
            return {}, gone  # nothing to write: not even an empty file over one there
        keys = library.with_crossref_targets([key for key in keys if key in library])
        write_file(path, bibtex_pieces(library, keys, renames), wait_for_reader=False)
        return {key: renames[key] for key in keys if key in renames}, gone

    def undo(self, wait: float | None = None) -> tuple[Change, Change] | None:
        """Revert the last change; returns it and what undoing did, or ``None``.
        ``wait`` as for :meth:`change`."""
        with self._lock, self.library.waiting_at_most(wait), self._damage_named():
            if not self._undo:
                return None
            change = self._undo[-1]
            redo = self.library.undo(change)
            self._undo.pop()
            return change, redo

    def _remember(self, change: Change) -> None:
        if change.empty:
            return
        self._undo.append(change)
        del self._undo[:-UNDO_DEPTH]
