"""Messages the workers post back to the UI thread, named for what happened."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.message import Message

from papershelf.model import Entry
from papershelf.search import Results


@dataclass
class ResultsReady(Message):
    """A search finished: the papers matching ``query`` in the current catalog."""

    results: Results
    total: int
    unread: int
    problems: tuple[str, ...]
    elapsed: float
    number: int = 0
    """Which search of the screen's it was (they are numbered as they start)."""


@dataclass
class LibraryChanged(Message):
    """Another process changed the library (picked up by the refresh worker)."""


@dataclass
class IndexesLoaded(Message):
    """The search indexes are in memory: the first keystroke will be fast."""

    elapsed: float


@dataclass
class ImportParsed(Message):
    """The papers of an import from inside the app were read; storing them comes next.
    ``failed``: the parts of the input skipped, as ``(FILE:LINE, reason)``; ``defined``:
    what a ``.bib`` of macros only held (:func:`~papershelf.importers.definitions_only`)."""

    source: str
    entries: list[Entry]
    failed: list[tuple[str, str]]
    preambles: list[str]
    defined: list[str]


@dataclass
class ImportEnded(Message):
    """An import's worker is done reading (after its :class:`ImportParsed`, if
    ``parsed``; else it said why it failed)."""

    parsed: bool


@dataclass
class ExportFinished(Message):
    """An export from inside the app of ``count`` papers wrote ``path``; ``renamed`` holds
    the keys it wrote under another name (keys equal up to case), each to that name;
    ``gone`` holds the keys of those it left out, another papershelf having deleted
    their papers."""

    path: str
    count: int
    renamed: dict[str, str]
    gone: tuple[str, ...] = ()


@dataclass
class AskAgain(Message):
    """A job failed with ``message`` on what the user typed (an export's or an import's
    path): ``ask`` (run on the UI thread) opens its dialog again on what they typed, to
    fix rather than retype."""

    message: str
    ask: Callable[[], None]


@dataclass
class WorkFailed(Message):
    """A worker hit an expected error; ``message`` is one line for a notification.
    ``searching``: it came from searching (or indexing) the library, which fails again
    on every keystroke while the cause lasts."""

    message: str
    searching: bool = False


@dataclass
class WriteDone(Message):
    """A queued change was made (or failed): ``outcome`` shows it on the UI thread."""

    outcome: Callable[[], None]
