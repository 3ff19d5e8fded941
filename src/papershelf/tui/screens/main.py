"""The main screen: filter box, paper list, detail pane, count and footer.

State lives here (the query, the marks, whether the library is empty); widgets are
told what to show. Searching, reading files to import, exporting and watching the
library for changes made by other processes run in thread workers that post messages
back. Changes the user makes run on the UI thread: each is one small durable library
call, so a change is on disk as soon as its key press has been handled. While the
library is busy (an import, here or in another papershelf) they wait, in order, in
:mod:`~papershelf.tui.writes`, which also stores the papers of every import.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import ClassVar, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal
from textual.content import Content
from textual.notifications import Notification, Notify
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Button, Input, Static
from textual.worker import Worker, get_current_worker

from papershelf.changes import Change, ImportReport
from papershelf.errors import (
    ClipboardError,
    ConflictError,
    InputError,
    LibraryBusyError,
    PapershelfError,
    UnknownKeyError,
)
from papershelf.index_process import HelperStopped
from papershelf.library import Library, refuse_as_export_target
from papershelf.model import Paper
from papershelf.paths import file_path
from papershelf.search import search
from papershelf.shard import Record
from papershelf.tags import count_tags, spelled_as, tag_problem
from papershelf.text import one_line, plural
from papershelf.tui.commands import PaperCommands, keys_not_about_shown, screen_bindings
from papershelf.tui.key_order import KeysInOrder
from papershelf.tui.messages import (
    AskAgain,
    ExportFinished,
    ImportEnded,
    ImportParsed,
    IndexesLoaded,
    LibraryChanged,
    ResultsReady,
    WorkFailed,
    WriteDone,
)
from papershelf.tui.screens.help import HelpScreen
from papershelf.tui.screens.import_dialog import ImportDialog, ImportRequest
from papershelf.tui.screens.note import NoteDialog
from papershelf.tui.screens.prompt import PromptDialog
from papershelf.tui.shelf import Shelf
from papershelf.tui.widgets.fields import FilterField
from papershelf.tui.widgets.footer import WholeKeysFooter
from papershelf.tui.widgets.paper_detail import PaperDetail
from papershelf.tui.widgets.paper_list import PaperList
from papershelf.tui.widgets.welcome import Welcome
from papershelf.tui.writes import Writes

T = TypeVar("T")
#: How long a second ``delete`` confirms the first one's warning.
DELETE_AGAIN_SECONDS = 10.0
#: Seconds a change may wait for a busy library before the app says why it is waiting.
BUSY_NOTICE_AFTER = 0.5
#: Seconds between two looks for changes made by other processes.
REFRESH_INTERVAL = 0.5
DEFAULT_EXPORT = "papershelf.bib"
#: What the tag and export prompts say to enter with nothing typed (they stay open).
TYPE_A_TAG = "Type a tag first (escape cancels)."
NAME_A_FILE = "Type the name of the file to export to first (escape cancels)."
#: The title of the notification naming parts of the filter ignored, or read as words.
FILTER_NOTICE_TITLE = "About the filter"
#: The filter box's placeholder, longest first: it shows the longest that fits.
FILTER_PLACEHOLDERS = ('/ to filter: words, "a phrase", tag:NAME, is:unread, has:note, key:KEY',
                       '/ to filter: words, "a phrase", tag:NAME, is:unread',
                       "/ to filter: words, tag:NAME, is:unread", "/ to filter")


def most_used(counts: dict[str, int]) -> list[str]:
    """Tags by how many papers carry them (most first), then by name."""
    return sorted(counts, key=lambda t: (-counts[t], t.casefold()))


def _replacing_asked(root: Path) -> Callable[[str], str | None]:
    """A check for an export's file name: a file of the library at ``root`` or one that
    holds no BibTeX is refused (:func:`~papershelf.library.refuse_as_export_target`), and
    a file that exists is replaced only when the same name is given again."""
    warned: set[str] = set()

    def check(name: str) -> str | None:
        try:
            path = file_path(name)
            refuse_as_export_target(path, "bibtex", root)
        except InputError as exc:
            return str(exc)
        if path.is_file() and name not in warned:
            warned.add(name)
            return f"{name} exists: enter again replaces it"
        return None

    return check


def has_graphical_browser() -> bool:
    """Whether Python's :mod:`webbrowser` finds a browser that opens in a window of its own.
    A console browser (lynx, w3m) would take over the terminal the app is drawing on,
    and one started on a display that is gone (a stale ``DISPLAY``) prints its errors
    over it."""
    import webbrowser

    from papershelf.display import unanswered_display

    if unanswered_display() is not None:
        return False
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if isinstance(browser, webbrowser.UnixBrowser):
        return bool(browser.background)
    return type(browser) is not webbrowser.GenericBrowser


#: The most text copied through the terminal (OSC 52): 11,000 papers' BibTeX (19 MB)
#: went through tmux; 100,000 (168 MB) were printed over the list as text.
OSC52_MAX_CHARS = 32 * 10**6
#: What a copy through the terminal (OSC 52) cannot know: whether the terminal took it.
_OSC52_CAVEAT = "OSC 52: a terminal, or tmux without set-clipboard on, may ignore it"


def with_gone(said: str, gone: int, asked: int) -> str:
    """What an action on ``asked`` papers says (``said``) when ``gone`` of them had been
    deleted by another papershelf meanwhile, and were left out: that first."""
    if not gone:
        return said
    if gone == asked:
        return ("The paper was" if asked == 1 else f"The {asked} marked papers were") + \
            " gone (deleted elsewhere): nothing to do."
    return f"{plural(gone, 'marked paper')} {'was' if gone == 1 else 'were'} gone (deleted elsewhere). {said}"


def hidden_note(hidden: int, asked: int) -> str:
    """`` (2 hidden by the filter)``: what a key acting on ``asked`` marked papers says
    of the ``hidden`` of them the filter hides, so that acting on papers not on screen
    comes as no surprise (``""``: none)."""
    if not hidden:
        return ""
    if hidden < asked:
        return f" ({hidden} hidden by the filter)"
    return " (hidden by the filter)" if asked == 1 else " (all hidden by the filter)"


def _already(change: Change, asked: int) -> str:
    """``, 1 already``: of the ``asked`` papers, how many the change left as they were
    (read already, tagged already), not counting those deleted meanwhile."""
    unchanged = asked - len(change.keys) - len(change.gone)
    return f", {unchanged} already" if unchanged > 0 else ""


def _in_full(path: str) -> str:
    """The file ``path`` typed names, in full (as typed when it names none)."""
    try:
        return str(file_path(path).absolute())
    except (PapershelfError, OSError):  # (OSError: the working directory was deleted)
        return path


def _deleted(change: Change) -> str:
    """What a deletion says it did."""
    inherited = change.inherited_note()
    return f"Deleted {plural(len(change.deleted))}" + \
        (f"; {inherited}" if inherited else "") + "; u undoes."


class MainScreen(Screen[None]):
    """Triage a reading list from the keyboard."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012 (Textual's type)
    COMMANDS: ClassVar[set[type[PaperCommands]]] = {PaperCommands}  # type: ignore[assignment]
    BINDINGS: ClassVar[list[BindingType]] = [
        *screen_bindings(),
        Binding("escape", "back", "Back", show=False),
        Binding("down", "focus_list", "List", show=False),
        Binding("s", "welcome_samples", "Samples", show=False),
    ]

    filter_text: var[str] = var("")
    """The filter text."""
    marked: var[frozenset[str]] = var(frozenset())
    """Keys marked for bulk actions."""
    library_empty: var[bool] = var(False)
    """Whether the library has no papers (the welcome view shows)."""

    def __init__(self, shelf: Shelf, demo: bool = False) -> None:
        super().__init__()
        self.shelf = shelf
        self.demo = demo
        self.total = 0
        self.unread = 0
        self.problems: tuple[str, ...] = ()
        self.indexing = True
        self._indexes_requested = False
        self.first_results_at: float | None = None
        self.last_search_ms = 0.0
        self._search_lock = threading.Lock()
        self._searched = False  # whether a search ran (under the search lock)
        #: Searches started so far: each is numbered, so that the list can tell the
        #: results of the latest (the keys behind a change wait for them).
        self._searches = 0
        self._stop = threading.Event()
        self._count_width = -1
        self._count_tooltip = ""
        self._warn_when_shown = False  # enter was pressed before the filter's results came
        #: The paper of the last undo, for the cursor once the search of that number shows it.
        self._cursor_to: tuple[str, int] | None = None
        self._writes = Writes(shelf.wait_until_free, lambda outcome: self.post_message(WriteDone(outcome)))
        self._quit_when_saved = False
        #: Imports being read (before their papers join the write queue): quitting waits.
        self._imports_reading = 0
        #: How to end once the terminal closed or the process was told to stop
        #: (:meth:`stop_from_outside`); ``None`` until then.
        self._stopping: Callable[[], None] | None = None
        self._busy_noticed = False
        self._search_failure: str | None = None
        self._delete_armed: tuple[frozenset[str], float] | None = None  # warned of hidden marks
        self._exporting: Notification | None = None  # the notice of an export under way
        self._export_worker: tuple[Worker[None], str] | None = None  # the last, and its file
        self._quit_when_exported = False

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        """Filter and count on top, list and detail below, footer at the bottom."""
        with Horizontal(id="top"):
            # Selecting on focus is done by action_focus_filter, at once: Input's own
            # select-on-focus runs later and swallowed the first keys typed after "/".
            yield FilterField(FILTER_PLACEHOLDERS, id="filter", compact=True,
                              select_on_focus=False)
            yield Static("", id="count")
        with Container(id="body"):
            yield PaperList(id="papers")
            yield PaperDetail(id="detail")
        yield Welcome(id="welcome")
        yield Container(id="footer-slot")  # the footer, once the first papers show

    @property
    def papers(self) -> PaperList:
        """The paper list."""
        return self.query_one("#papers", PaperList)

    @property
    def filter_box(self) -> Input:
        """The filter input."""
        return self.query_one("#filter", Input)

    def on_mount(self) -> None:
        """Show the papers and start watching the library (the indexes are loaded once
        the first papers are shown: :meth:`_after_first_search`)."""
        self.papers.free_keys = keys_not_about_shown()
        self.papers.focus()
        self.library_empty = len(self.shelf) == 0
        self.run_search("")
        self._watch_library()
        if self.demo and self.library_empty:
            self.start_import(ImportRequest("samples"))

    async def _after_first_search(self) -> None:
        """Once the first papers are painted (or the first search failed): load the word
        indexes and mount the footer. Loading 100,000 papers' indexes in a thread while
        the first search ran held the GIL from it: the first rows came 0.56-0.83 s after
        the app started, against 0.53-0.63 s when they came first."""
        if not self._indexes_requested:
            self._indexes_requested = True
            self._load_indexes()
        await self._mount_footer()

    async def _mount_footer(self) -> None:
        """Mount the footer, after the first papers are painted (or the first search
        failed): styling its keys took 0.15 s that the first rows waited for, of 0.75 s
        at 100,000 papers."""
        slot = self.query_one("#footer-slot")
        if slot.is_attached and not slot.children:  # (not while the app ends)
            await slot.mount(WholeKeysFooter(self.size.width))
            self.refresh_bindings()  # the footer shows the keys when they are published

    def on_unmount(self) -> None:
        """Stop the library watcher promptly; let the GC see everything again."""
        self._stop.set()
        gc.unfreeze()

    def watch_library_empty(self, empty: bool) -> None:
        """The welcome view replaces list and detail while the library is empty."""
        self.query_one("#body").display = not empty
        self.query_one("#welcome").display = empty
        self.refresh_bindings()
        if empty:
            self.query_one("#welcome-import", Button).focus()
        elif self.focused is None or not self.focused.display or isinstance(self.focused, Button):
            self.papers.focus()

    def watch_marked(self, marked: frozenset[str]) -> None:
        """Draw marks and count them."""
        self.papers.set_marked(marked)
        self._update_count()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Importing the samples with ``s`` is offered only by the welcome view; ``/``
        in the filter box is typed there."""
        if action == "welcome_samples":
            return self.library_empty
        if action == "focus_filter":
            return self.focused is not self.filter_box
        return True

    # ------------------------------------------------------------ searching

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._warn_when_shown = False
        self.run_search(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.papers.focus()
        shown = self.papers.results
        if shown is not None and shown.query.text == self.filter_text:
            self._warn_of_problems()
        else:  # its search is still under way: when its results are shown
            self._warn_when_shown = True

    def _warn_of_problems(self) -> None:
        """Show the filter's warnings whole (the count line may cut them off)."""
        if self.problems:
            self.notify("; ".join(self.problems), title=FILTER_NOTICE_TITLE,
                        severity="warning", markup=False)

    def run_search(self, text: str | None = None) -> None:
        """Search for ``text`` (default: the current filter) in a worker."""
        text = self.filter_text if text is None else text
        self._searches += 1
        self.papers.await_results(self._searches)
        self._search(text, self._searches)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, text: str, number: int) -> None:
        """One search at a time; a search overtaken by a newer one is dropped."""
        worker = get_current_worker()
        with self._search_lock:
            if worker.is_cancelled:
                return
            start = time.perf_counter()
            # The first search to run (the first one started may have been overtaken
            # before it did, by typing or a change made elsewhere).
            first, self._searched = not self._searched, True
            try:
                catalog = self.shelf.catalog(lasting=first)
                if first and self._stop.is_set():
                    gc.unfreeze()  # the app ended meanwhile: on_unmount unfroze before
                results = search(catalog, text)
                unread = len(catalog) - int(catalog.read.sum())
                if not first:
                    _ = catalog.ordinals  # built here, off the UI thread, which looks keys up
            except Exception as exc:  # expected, a hand-edited record, or a bug
                self.post_message(WorkFailed(self.shelf.explain(exc), searching=True))
                return
            if not worker.is_cancelled:
                self.post_message(ResultsReady(results, len(catalog), unread,
                                               results.query.problems + results.query.notices,
                                               time.perf_counter() - start, number))
            if first:
                # The first results keep no cursor (none was shown): they need no key
                # lookup, and go 23-30 ms sooner at 100,000 papers.
                _ = catalog.ordinals

    @on(ResultsReady)
    def _results_ready(self, event: ResultsReady) -> None:
        if event.results.query.text != self.filter_text:
            return  # typing went on: a newer search is coming
        self.total, self.unread, self.problems = event.total, event.unread, event.problems
        self._search_failure = None
        self.last_search_ms = event.elapsed * 1000
        self.papers.empty_text = ("No papers match the filter." if event.total
                                  else "The library is empty.")
        keep = self.papers.current_key
        if self._cursor_to is not None and event.number >= self._cursor_to[1]:
            wanted, self._cursor_to = self._cursor_to[0], None  # (not results of before the undo)
            if event.results.row_of(wanted) is not None:
                keep = wanted
        self.papers.show(event.results, keep=keep, search=event.number)
        if self.first_results_at is None:
            self.first_results_at = time.perf_counter()
            self.call_after_refresh(self._after_first_search)
        self.library_empty = event.total == 0
        live = {k for k in self.marked if k in event.results.catalog.ordinals}
        if len(live) != len(self.marked):
            # Deleted elsewhere: this app unmarks what it deletes itself, and what a key
            # found gone (it said so then).
            lost = len(self.marked) - len(live)
            self.marked = frozenset(live)
            self.notify(f"{plural(lost, 'marked paper')} {'was' if lost == 1 else 'were'} deleted "
                        f"elsewhere: {'its mark is' if lost == 1 else 'their marks are'} gone.",
                        severity="warning", markup=False)
        self._update_count()
        if not len(event.results):
            self._show_detail(None)
        if self._warn_when_shown:
            self._warn_when_shown = False
            self._warn_of_problems()

    def _update_count(self) -> None:
        shown = len(self.papers)
        parts: list[str | tuple[str, str]] = []
        if self.marked:  # first: a narrow window cuts the end, and keys act on the marks
            parts += [(f"{len(self.marked)} marked", "bold $text-accent"), " · "]
        parts += [
            (f"{shown}", "bold"), " shown / ", (f"{self.total}", "bold"), " total / ",
            (f"{self.unread}", "bold"), " unread",
        ]
        if self.indexing and self.total:
            parts += [" · ", ("indexing…", "dim")]
        if waiting := len(self._writes):  # a change made while the library is busy
            parts += [" · ", (f"saving {plural(waiting, 'change')}…", "$text-warning")]
        if self.problems:
            parts += [" · ", ("; ".join(self.problems), "$text-warning")]
        content = Content.assemble(*parts)
        count = self.query_one("#count", Static)
        # Only a change of width needs a new layout (a layout costs a few ms per keystroke).
        count.update(content, layout=content.cell_length != self._count_width)
        tooltip = "\n".join(self.problems)  # the whole warnings, on hover
        if tooltip != self._count_tooltip:
            self._count_tooltip = tooltip
            count.tooltip = Content(tooltip) if tooltip else None  # Content: never markup
        self._count_width = content.cell_length

    @work(thread=True, group="indexes", exit_on_error=False)
    def _load_indexes(self) -> None:
        """Load (or build) the word indexes so the first keystroke is fast."""
        start = time.perf_counter()
        try:
            self.shelf.index_for_search()  # those no cache holds: on every core
            self.shelf.catalog().load_indexes()
        except HelperStopped:  # the app is ending
            return
        except Exception as exc:  # as in _search
            self.post_message(WorkFailed(self.shelf.explain(exc), searching=True))
        self.post_message(IndexesLoaded(time.perf_counter() - start))

    @on(IndexesLoaded)
    def _indexes_loaded(self) -> None:
        # The catalog and indexes are millions of long-lived objects at 100,000 papers:
        # keep them out of the cyclic GC, whose full passes over them stall for ~0.1 s.
        gc.freeze()
        self.indexing = False
        self._update_count()

    # ------------------------------------------------------------ live changes

    @work(thread=True, group="watch", exit_on_error=False)
    def _watch_library(self) -> None:
        """Look for changes made by other processes every :data:`REFRESH_INTERVAL`."""
        worker = get_current_worker()
        failure = None
        while not worker.is_cancelled and not self._stop.wait(REFRESH_INTERVAL):
            try:
                changed = self.shelf.refresh()
            except LibraryBusyError:
                continue  # another process is writing: look again next time
            except Exception as exc:  # a file edited by hand, say: said once, and looked at again
                if repr(exc) != failure:  # explaining one may read every file: once
                    failure = repr(exc)
                    self.post_message(WorkFailed(self.shelf.explain(exc)))
                continue
            failure = None
            if changed:
                self.post_message(LibraryChanged())

    @on(LibraryChanged)
    def _library_changed(self) -> None:
        self.run_search()
        self._show_detail(self.papers.current_key)

    # ------------------------------------------------------------ detail

    @on(PaperList.Highlighted)
    def _highlighted(self, event: PaperList.Highlighted) -> None:
        self._show_detail(event.key)

    def _show_detail(self, key: str | None) -> None:
        detail = self.query_one("#detail", PaperDetail)
        if key is None:
            detail.show(None, "No papers match the filter." if self.total else "No papers yet.")
            return
        try:
            paper = self.shelf.paper(key)
        except PapershelfError as exc:  # (a library file broken by hand: not another paper's details)
            self.notify(str(exc), severity="error", markup=False)
            detail.show(None, "This paper cannot be read: see the error.")
            return
        detail.show(paper, "This paper was deleted.")

    # ------------------------------------------------------------ helpers

    def _targets(self) -> tuple[list[str], int]:
        """The marked papers (in list order, then those the filter hides), else the
        current one; and how many of them the filter hides."""
        if self.marked:
            shown, hidden = self._marked_in_view()
            return shown + hidden, len(hidden)
        key = self.papers.current_key
        return ([key] if key else []), 0

    def _marked_in_view(self) -> tuple[list[str], list[str]]:
        """The marked papers the list shows, in its order, and those the filter hides."""
        shown = [k for k in self.papers.shown_keys() if k in self.marked]
        return shown, sorted(self.marked.difference(shown))

    def _need_targets(self) -> tuple[list[str], int]:
        keys, hidden = self._targets()
        if not keys:
            self.notify("No paper selected.", severity="warning")
        return keys, hidden

    def _apply(self, operation: Callable[[Library], Change], done: Callable[[Change], str],
               asked: int) -> None:
        """Make one change to ``asked`` papers, show it, and say what happened (and how
        many of them were gone: :func:`with_gone`)."""
        def changed(change: Change) -> None:
            self._unmark_gone(change.gone)  # said here: not again once the list catches up
            self._show_change(change)
            gone = len(change.gone)
            self.notify(with_gone(done(change), gone, asked), markup=False,
                        severity="warning" if gone else "information")

        self._write(lambda wait: self.shelf.change(operation, wait), changed)

    def _write(self, job: Callable[[float | None], T], then: Callable[[T], None], *,
               queue: bool = False, failed: Callable[[PapershelfError], None] | None = None) -> None:
        """Make a change at once, or, while the library is busy (an import, here or in
        another papershelf), as soon as it is free: in order with the changes before and
        after it. ``queue``: a long job (an import) that never runs on the UI thread.
        ``failed``: what to do instead of showing the error."""
        made = self._writes.make(job, then, failed or self._write_failed, queue=queue)
        if not made:
            # Its paper is drawn as it was until the change is saved: the count line says
            # that the key press was taken (a second space, pressed for want of a sign,
            # toggled the paper back).
            self._update_count()
        if not made and not queue and not self._busy_noticed:
            self._busy_noticed = True
            self.set_timer(BUSY_NOTICE_AFTER, self._busy_notice)  # quiet for a brief wait

    def _busy_notice(self) -> None:
        if self._writes:
            self.notify("The library is busy (an import, here or in another papershelf): "
                        "your changes are saved, in order, as soon as it is done.", markup=False)

    def _still_saving(self) -> bool:
        """Whether changes are still waiting, so what is on screen may be about to change
        (then a change that starts from it, such as editing a note, must wait). The keys
        typed on for the dialog it keeps closed are dropped, not run as commands."""
        if self._writes:
            self.notify("Still saving earlier changes (the library is busy): try again in a "
                        "moment (keys typed right after are not used).", severity="warning",
                        markup=False)
            if isinstance(self.app, KeysInOrder):
                self.app.drop_the_rest_of_the_burst()
        return bool(self._writes)

    def _write_failed(self, exc: PapershelfError) -> None:
        self.notify(str(exc), severity="error", markup=False)
        self._not_quitting()

    def _not_quitting(self) -> None:
        """A change waiting to be saved needs the user after all: do not quit once saved
        (unless stopped from outside: no one is there to see it)."""
        if self._stopping is not None:
            if not self._imports_reading:  # (else it ends once they are read)
                self._stopping()
            return
        if self._quit_when_saved:
            self._quit_when_saved = False
            self.notify("Not quitting, so that you can see what could not be saved.",
                        severity="warning")

    @on(WriteDone)
    def _write_done(self, event: WriteDone) -> None:
        event.outcome()
        self._update_count()
        if not self._writes:
            self._busy_noticed = False
            if self._quit_when_saved and not self._imports_reading:
                self.app.exit()

    def _unmark_gone(self, keys: Sequence[str]) -> None:
        """Unmark the papers of ``keys``: deleted by this app, or found deleted by
        another papershelf by a key that said so."""
        if self.marked.intersection(keys):
            self.marked = self.marked.difference(keys)

    def _show_change(self, change: Change) -> None:
        if any(record is not None for record, _text in change.after.values()):
            # Papers there (an undone delete of them all): not the welcome view, whose keys
            # (s imports the samples) took what was typed before the search came back.
            self.library_empty = False
        self._unmark_gone(change.deleted)  # (an undone import: not elsewhere)
        self.papers.patch({key: image[0] for key, image in change.after.items()})
        self._show_detail(self.papers.current_key)
        self.run_search()

    def _current_paper(self) -> Paper | None:
        key = self.papers.current_key
        paper = self.shelf.paper(key) if key else None
        if paper is None:
            self.notify("No paper selected.", severity="warning")
        return paper

    # ------------------------------------------------------------ actions

    def action_focus_filter(self) -> None:
        """Focus the filter box (in an empty library, say there is nothing to filter: the
        keys typed next are commands, not a query)."""
        if self.library_empty:
            self.notify("The library is empty: nothing to filter yet. Press i to import "
                        "papers, or s for the bundled samples.", severity="warning")
        else:
            # At once, not through Widget.focus(), which would wait behind the keys
            # already queued (see the binding's priority in commands.py).
            self.set_focus(self.filter_box)
            self.filter_box.select_all()  # typing replaces the old query; arrows keep it

    def action_back(self) -> None:
        """From the filter back to the list; in the list, clear the marks."""
        if self.focused is self.filter_box:
            self.papers.focus()
        elif self.marked:
            self.action_clear_marks()

    def action_focus_list(self) -> None:
        """Go to the paper list (``down`` or ``enter`` in the filter box)."""
        if not self.library_empty:
            self.papers.focus()

    def action_toggle_read(self) -> None:
        """Mark read, or unread when every target is read already."""
        keys, hidden = self._need_targets()
        if not keys:
            return
        # Decided by the library from the papers as they are once it is locked for the
        # change, not now: an earlier change may still be queued, and another papershelf
        # may change them meanwhile.
        chosen: list[bool] = []

        def toggle(records: list[Record]) -> bool:  # (of the papers still there)
            chosen.append(not all(record.get("read") for record in records))
            return chosen[-1]

        self._apply(lambda lib: lib.set_read(keys, toggle, skip_gone=True),
                    lambda c: f"Marked {plural(len(c.keys))} {'read' if chosen[-1] else 'unread'}"
                              f"{_already(c, len(keys))}{hidden_note(hidden, len(keys))}.", len(keys))

    def action_add_tag(self) -> None:
        """Ask for a tag (completing existing ones) and add it."""
        keys, hidden = self._need_targets()
        if not keys:
            return
        counts = self.shelf.tags()
        # Not a tag it would refuse: "#foo", which versions before 2026-11-24 took as a tag
        choices = [tag for tag in most_used(counts) if tag_problem(tag) is None]
        title = self._title_for("Add a tag to", keys, hidden)
        self.app.push_screen(PromptDialog(title, "tag name, e.g. to-read", choices=choices,
                                          counts=counts, check=tag_problem, empty=TYPE_A_TAG),
                             partial(self._tag_chosen, keys))

    def _tag_chosen(self, keys: list[str], tag: str | None) -> None:
        if tag:
            held = [tag]  # as the papers spell it, when they have it already (LIVE-X: live-x)

            def add(lib: Library) -> Change:
                change = lib.tag(keys, tag, skip_gone=True)
                if not change.keys:  # (then every paper still there holds it)
                    gone = set(change.gone)
                    first = next((key for key in keys if key not in gone), None)
                    with contextlib.suppress(UnknownKeyError):  # deleted elsewhere just now
                        if first is not None:
                            held[0] = spelled_as(tag, lib.record(first).get("tags") or ())
                return change

            self._apply(add, lambda c: f"Tagged {plural(len(c.keys))} #{tag}{_already(c, len(keys))}."
                        if c.keys else f"Already tagged #{held[0]}.", len(keys))

    def action_remove_tag(self) -> None:
        """Ask which of the targets' tags to remove."""
        keys, hidden = self._need_targets()
        if not keys or self._still_saving():
            return
        counts = count_tags(self.shelf.records(keys).values())  # ML and ml: one tag
        if not counts:
            self.notify("No tags to remove.", severity="warning")
            return
        choices = most_used(counts)
        title = self._title_for("Remove a tag from", keys, hidden)
        value = choices[0] if len(choices) == 1 else ""
        unmatched = f"not a tag of {'this paper' if len(keys) == 1 else 'these papers'}"
        self.app.push_screen(PromptDialog(title, "tag to remove", value, choices, counts,
                                          unmatched=unmatched, empty=TYPE_A_TAG),
                             partial(self._untag_chosen, keys))

    def _untag_chosen(self, keys: list[str], tag: str | None) -> None:
        if tag:
            named = [tag]  # the tag it names (#HOT, as tags show, names HOT)

            def untag(lib: Library) -> Change:
                named[0] = lib.tag_named(tag, keys)
                return lib.untag(keys, named[0], skip_gone=True)

            self._apply(untag, lambda c: f"Removed #{named[0]} from {plural(len(c.keys))}."
                        if c.keys else f"No paper had #{named[0]}.", len(keys))

    def _title_for(self, verb: str, keys: Sequence[str], hidden: int) -> Content:
        """A prompt's title: ``verb``, then the paper's title or how many marked papers
        (and how many of them the filter hides)."""
        if len(keys) == 1:
            record = self.shelf.records(keys).get(keys[0], {})
            what = one_line(str(record.get("title", keys[0])))
        else:
            what = plural(len(keys), "marked paper")
        return Content.assemble((f"{verb} ", "dim"), (what, "bold"),
                                (hidden_note(hidden, len(keys)), "$text-warning"))

    def action_edit_note(self) -> None:
        """Edit the current paper's note in a multi-line editor."""
        if self._still_saving():
            return
        paper = self._current_paper()
        if paper is not None:
            self.app.push_screen(NoteDialog(paper.title, paper.note, partial(self._save_note, paper.key),
                                            key=paper.key))

    def _save_note(self, key: str, dialog: NoteDialog, note: str, expected: str) -> None:
        """Save the note ``dialog`` holds, unless the stored note is no longer the
        ``expected`` one it started from: then the dialog (opened again if it was
        closed meanwhile) keeps the text and says so."""
        def saved(change: Change) -> None:
            if dialog in self.app.screen_stack:
                dialog.saved()
            self._show_change(change)
            self.notify("Note saved." if note.strip() else "Note cleared.", markup=False)

        kept = False  # by the writing thread, the app having ended meanwhile

        def failed(exc: PapershelfError) -> None:
            if kept:  # (a signal ended the app: what is left of it has no one to tell)
                return
            if not isinstance(exc, ConflictError):
                if dialog in self.app.screen_stack:
                    dialog.failed()
                self._write_failed(exc)
                return
            self._library_changed()  # their note, in the detail pane
            self._not_quitting()
            if dialog in self.app.screen_stack:
                dialog.conflict(exc.current)
                return
            self.notify("Your note was not saved: it was changed elsewhere meanwhile.",
                        severity="warning", markup=False)
            self.app.push_screen(NoteDialog(dialog.paper_title, note, partial(self._save_note, key),
                                            changed_elsewhere=exc.current, key=key))

        def save(wait: float | None) -> Change:  # (on the writing thread when queued)
            try:
                return self.shelf.change(lambda lib: lib.set_note(key, note, expected=expected,
                                                                  title=dialog.paper_title), wait)
            except LibraryBusyError:
                raise  # tried again once the library is free
            except Exception:  # a conflict, or a disk error
                if self._stopping is not None:  # the app that would show why is gone: keep it
                    from papershelf.kept import keep_unsaved_note

                    nonlocal kept
                    kept = keep_unsaved_note(self.shelf.root, key, note) is not None
                raise

        self._write(save, saved, failed=failed)

    def action_toggle_mark(self) -> None:
        """Mark or unmark the current paper, then move down."""
        key = self.papers.current_key
        if key is None:  # (as every other key acting on a paper says)
            self.notify("No paper selected.", severity="warning")
            return
        self.marked = self.marked - {key} if key in self.marked else self.marked | {key}
        self.papers.action_cursor_down()

    def action_mark_shown(self) -> None:
        """Mark every paper shown; when they all are already, unmark them."""
        shown = frozenset(self.papers.shown_keys())
        if not shown:
            self.notify("No paper shown.", severity="warning")
        elif shown <= self.marked:
            self.marked = self.marked - shown
            self.notify(f"Unmarked the {plural(len(shown))} shown.")
        else:
            self.marked = self.marked | shown
            self.notify(f"Marked the {plural(len(shown))} shown.")

    def action_clear_marks(self) -> None:
        """Unmark everything."""
        if self.marked:
            count = len(self.marked)
            self.marked = frozenset()
            self.notify(f"Cleared {plural(count, 'mark')}.")
        else:  # (the palette's entry: escape in the list has nothing to say then)
            self.notify("No paper is marked.", markup=False)

    def action_undo(self) -> None:
        """Undo the last change (several levels)."""
        self._write(self.shelf.undo, self._undone)

    def _undone(self, undone: tuple[Change, Change] | None) -> None:
        if undone is None:
            self.notify("Nothing to undo.", severity="warning")
            return
        change, redo = undone
        self._unmark_gone(redo.gone)
        self._show_change(redo)  # (also when it changed nothing: the library caught up)
        # Back on the paper the undo is about (brought back by an undone delete, or out of
        # view after a tag or a read mark), unless the cursor is on one of its papers:
        # once the search just started, of the library as the undo left it, shows it.
        if change.deleted or self.papers.current_key not in change.keys:
            about = (redo.moved.get(key, key) for key in change.deleted or change.keys
                     if key not in redo.gone)
            wanted = next(about, None)
            self._cursor_to = None if wanted is None else (wanted, self._searches)
        else:  # (not an earlier undo's, whose results have not come yet)
            self._cursor_to = None
        gone = len(redo.gone)  # deleted elsewhere since, or given another key
        where = f"no longer there (deleted elsewhere, or {'its key' if gone == 1 else 'their keys'} changed)"
        if gone and not redo.keys:
            theirs = "its paper is" if gone == 1 else f"its {gone} papers are"
            self.notify(f"Nothing left to undo of {change.description}: {theirs} {where}.",
                        severity="warning", markup=False)
            return
        # Papers another papershelf had changed back already (the tag taken off again),
        # not changed otherwise since (those are kept, and said so)
        same = sum(redo.before.get(k) == redo.after.get(k) for k in redo.keys if k not in redo.kept)
        if same and same == len(redo.keys) and not gone:
            self.notify(f"Nothing left to undo of {change.description}: another papershelf "
                        "had changed it back already.", severity="warning", markup=False)
            return
        kept = f"; kept what changed elsewhere meanwhile on {plural(len(redo.kept))}" if redo.kept else ""
        if redo.moved:  # a citation of the old key now names another paper, or none
            (old, key), *rest = redo.moved.items()
            more = f" (and {plural(len(rest), 'more paper')})" if rest else ""
            kept += f"; {old} came back as {key}{more}, not under its old key"
        if gone:
            kept += f"; {plural(gone)} {'was' if gone == 1 else 'were'} {where}"
        if same:
            kept += f"; {plural(same)} had been changed back by another papershelf already"
        count = len(change.deleted) or len(change.keys) - gone - same
        self.notify(f"Undone: {change.description} ({plural(count)}){kept}.",
                    severity="warning" if redo.moved or gone else "information", markup=False)

    def action_delete(self) -> None:
        """Delete the targets (``u`` brings them back). Marked papers the filter hides
        are deleted only when ``delete`` is pressed again, after a warning saying so:
        deleting what is not on screen should not come as a surprise."""
        keys, hidden = self._need_targets()
        if not keys:
            return
        armed, self._delete_armed = self._delete_armed, None
        if hidden and (armed is None or armed[0] != frozenset(keys)
                       or time.monotonic() - armed[1] > DELETE_AGAIN_SECONDS):
            self._delete_armed = (frozenset(keys), time.monotonic())
            one = hidden == 1
            which = ("The marked paper is" if one else f"The {hidden} marked papers are") \
                if hidden == len(keys) else \
                f"{hidden} of the {len(keys)} marked papers {'is' if one else 'are'}"
            self.notify(f"{which} not shown (the filter hides {'it' if one else 'them'}): press "
                        f"delete again to delete {'it' if len(keys) == 1 else 'them'}.",
                        severity="warning", markup=False)
            return
        self._apply(lambda lib: lib.remove(keys, skip_gone=True), _deleted, len(keys))
        self._unmark_gone(keys)

    def action_copy_bibtex(self) -> None:
        """BibTeX of the marked papers (or the current one) to the clipboard."""
        from papershelf import clipboard

        keys, hidden = self._need_targets()
        if not keys:
            return
        try:
            text, gone = self.shelf.bibtex(keys)
        except PapershelfError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self._unmark_gone(gone)
        if len(gone) == len(keys):
            self.notify(with_gone("", len(gone), len(keys)), severity="warning", markup=False)
            return
        how = ""
        try:
            clipboard.copy_text(text)
        except ClipboardError:
            if len(text) > OSC52_MAX_CHARS:  # (tmux printed 224 MB of it over the list)
                self.notify(f"The BibTeX of {plural(len(keys) - len(gone))} is too big to copy "
                            f"through the terminal ({len(text) // 10**6} MB; at most "
                            f"{OSC52_MAX_CHARS // 10**6} MB): press e to export it to a file.",
                            severity="error", markup=False)
                return
            self.app.copy_to_clipboard(text)  # OSC 52: through the terminal
            how = f" through the terminal ({_OSC52_CAVEAT})"
        self.notify(with_gone(f"Copied BibTeX of {plural(len(keys) - len(gone))}"
                              f"{hidden_note(hidden, len(keys))}{how}.",
                              len(gone), len(keys)),
                    severity="warning" if gone else "information", markup=False)

    def action_export(self) -> None:
        """Export the marked papers (or all shown) to a .bib file."""
        keys, hidden = self._targets() if self.marked else (self.papers.shown_keys(), 0)
        if not keys:
            self.notify("No papers to export.", severity="warning")
            return
        what = plural(len(keys), "marked paper") if self.marked else plural(len(keys), "shown paper")
        title = Content.assemble(("Export ", "dim"), (what, "bold"),
                                 (hidden_note(hidden, len(keys)), "$text-warning"),
                                 (" to the BibTeX file", "dim"))
        self._ask_export_path(keys, title, DEFAULT_EXPORT)

    def _ask_export_path(self, keys: list[str], title: Content, path: str, *,
                         again: bool = False) -> None:
        """Ask where to export ``keys``; ``again``: ``path`` failed, and is there to fix."""
        self.app.push_screen(PromptDialog(title, "file name", path, check=_replacing_asked(self.shelf.root),
                                          select=not again, empty=NAME_A_FILE),
                             partial(self._export_to, keys, title))

    def _export_to(self, keys: list[str], title: Content, path: str | None) -> None:
        if path:
            worker = self._export(keys, title, path)
            self._export_worker = (worker, path)
            self.set_timer(BUSY_NOTICE_AFTER, partial(self._export_notice, worker, len(keys),
                                                      _in_full(path)))

    def export_under_way(self) -> str | None:
        """The file an export still being written goes to, if any: ``q`` waits for it."""
        worker, path = self._export_worker or (None, None)
        return path if worker is not None and not worker.is_finished else None

    def _export_notice(self, worker: Worker[None], count: int, path: str) -> None:
        """Say an export is under way once it has taken long enough to be noticed (the
        first export of a large library renders every paper): quiet for a quick one.
        It stays until the export ends (:meth:`_export_ended`), however long it takes."""
        if not worker.is_finished:
            self._exporting = Notification(f"Exporting {plural(count)} to {path}…", timeout=3600)
            self.app.post_message(Notify(self._exporting))

    @on(Worker.StateChanged)
    def _export_ended(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "export" or not event.worker.is_finished:
            return
        if self._exporting is not None:
            if self._exporting in self.app._notifications:
                self.app._unnotify(self._exporting)
            self._exporting = None
        if self._quit_when_exported:  # (written: it quit then; else what failed is shown)
            self._quit_when_exported = False
            self.notify("Not quitting, so that you can see why the export failed.", severity="warning")

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, keys: list[str], title: Content, path: str) -> None:
        try:
            target = file_path(path).absolute()  # (named so: a name alone went where papershelf started)
            renamed, gone = self.shelf.export_bibtex(keys, target)
        except PapershelfError as exc:
            failure = str(exc)
        except BrokenPipeError:  # exported into a named pipe whose reader went away
            failure = f"cannot write {path}: its reader went away"
        except Exception as exc:  # never a silent failure
            failure = f"Export failed: {self.shelf.explain(exc)}"
        else:
            self.post_message(ExportFinished(str(target), len(keys), renamed, tuple(gone)))
            return
        self.post_message(AskAgain(failure, partial(self._ask_export_path, keys, title, path,
                                                   again=True)))

    @on(ExportFinished)
    def _exported(self, event: ExportFinished) -> None:
        if self._quit_when_exported:
            self._quit_when_exported = False
            self.action_quit(export_written=True)  # (unless changes wait to be saved)
        self._unmark_gone(event.gone)
        said = f"Exported {plural(event.count - len(event.gone))} to {event.path}."
        if event.renamed:
            (key, name), *rest = event.renamed.items()
            more = f" (and {plural(len(rest), 'more key')})" if rest else ""
            said += (f" {key} is written as {name}{more}: another key differs from it only "
                     "in case, which BibTeX does not tell apart. Cite it so.")
        self.notify(with_gone(said, len(event.gone), event.count),
                    severity="warning" if event.renamed or event.gone else "information", markup=False)

    def action_scroll_detail_down(self) -> None:
        """Scroll the detail pane down (it never takes the focus from the list)."""
        self._scroll_detail(3)

    def action_scroll_detail_up(self) -> None:
        """Scroll the detail pane up."""
        self._scroll_detail(-3)

    def _scroll_detail(self, lines: int) -> None:
        # The paper the cursor is on, shown first if the message saying it moved (j, in
        # the same burst as the J) has not come yet: it would start at the top again.
        detail = self.query_one(PaperDetail)
        if self.papers.current_key is not None and detail.shown_key != self.papers.current_key:
            self._show_detail(self.papers.current_key)
        detail.scroll_lines(lines)

    def action_open_link(self) -> None:
        """Open the current paper's first link in the browser."""
        paper = self._current_paper()
        if paper is None:
            return
        if not paper.links:
            self.notify("This paper has no link.", severity="warning")
            return
        url = paper.links[0]
        if self.app.is_web or has_graphical_browser():
            self.app.open_url(url)
            self.notify(f"Opening {one_line(url)}", markup=False)
            return
        self.app.copy_to_clipboard(url)  # OSC 52: reaches the user's machine over ssh too
        self.notify(f"No web browser here: the link is copied through the terminal instead "
                    f"({_OSC52_CAVEAT}): {one_line(url)}", severity="warning", markup=False)

    def action_import(self, path: str = "") -> None:
        """Import a file, the clipboard or the samples (``path``: typed in already)."""
        self.app.push_screen(ImportDialog(path), self._import_chosen)

    def _import_chosen(self, request: ImportRequest | None) -> None:
        if request is not None:
            self.start_import(request)

    def action_import_samples(self) -> None:
        """Import the bundled sample listings."""
        self.start_import(ImportRequest("samples"))

    def action_welcome_samples(self) -> None:
        """``s`` in the welcome view imports the samples."""
        self.action_import_samples()

    def start_import(self, request: ImportRequest) -> None:
        """Import in a worker; the list updates when it is done."""
        self.notify("Importing…", timeout=2)
        self._imports_reading += 1
        self._import(request)

    # Not exclusive: a worker cancelled before it starts would drop its import unsaid.
    @work(thread=True, group="import", exit_on_error=False)
    def _import(self, request: ImportRequest) -> None:
        parsed = False
        try:
            parsed = self._read_import(request)
        finally:
            self.post_message(ImportEnded(parsed))

    def _read_import(self, request: ImportRequest) -> bool:
        """Read an import's papers, for :class:`ImportParsed`; whether it could."""
        from papershelf.clipboard import paste_text
        from papershelf.importers import definitions_only, parse_input, read_input
        from papershelf.model import Entry
        from papershelf.samples import sample_paths

        try:
            if request.kind == "samples":
                inputs = [read_input(str(p)) for p in sample_paths()]
                source = "the samples"
            elif request.kind == "file":
                inputs = [read_input(request.value)]
                source = inputs[0][0]
            elif request.kind == "clipboard":
                inputs = [("<clipboard>", paste_text().encode())]
                source = "the clipboard"
            else:
                inputs = [("<pasted text>", request.value.encode())]
                source = "the pasted text"
            entries: list[Entry] = []
            preambles: list[str] = []
            failed: list[tuple[str, str]] = []
            defined: list[str] = []
            for name, data in inputs:
                result = parse_input(name, data)
                if (held := definitions_only(result)) is not None:
                    defined.append(f"{name} held {held}")
                entries.extend(result.entries)
                preambles.extend(result.preambles)
                failed += [(f"{name}:{f.line}", f.reason) for f in result.failures]
        except ClipboardError as exc:  # the dialog opens again, for the terminal's paste
            self.post_message(AskAgain(f"{exc.message} (paste the listing into the import box "
                                       "with your terminal's paste instead)",
                                       partial(self.action_import, request.value)))
            return False
        except PapershelfError as exc:
            if request.kind == "file":
                self.post_message(AskAgain(str(exc), partial(self.action_import, request.value)))
            else:
                self.post_message(WorkFailed(str(exc)))
            return False
        except Exception as exc:  # never a silent failure: the user saw "Importing…"
            self.post_message(WorkFailed(f"Import failed: {self.shelf.explain(exc)}"))
            return False
        self.post_message(ImportParsed(source, entries, failed, preambles, defined))
        return True

    @on(AskAgain)
    def _ask_again(self, event: AskAgain) -> None:
        """Say why a job failed, and ask again on what was typed."""
        self.notify(event.message, severity="error", markup=False)
        event.ask()

    @on(ImportParsed)
    def _import_parsed(self, event: ImportParsed) -> None:
        # Stored through the write queue (never on the UI thread): in order with the
        # changes made before it, and the ones made meanwhile wait for it.
        self._write(lambda _wait: self.shelf.add(event.entries, preambles=event.preambles),
                    partial(self._imported, event.source, event.failed, event.defined), queue=True)

    @on(ImportEnded)
    def _import_ended(self, event: ImportEnded) -> None:
        self._imports_reading -= 1
        if self._stopping is not None and not self._imports_reading:
            self._stopping()  # its papers, if read, wait with the changes the process saves
        elif not event.parsed:
            self._not_quitting()  # what failed is on screen: not gone with the app
        elif self._quit_when_saved and not self._writes and not self._imports_reading:
            self.app.exit()

    def _imported(self, source: str, failed: list[tuple[str, str]], defined: list[str],
                  report: ImportReport) -> None:
        # Counted as the command line counts them: each skipped part of the input failed.
        report.failed.extend(where for where, _reason in failed)
        # (not capitalised: each begins with a file's name, written as it is)
        said = f"Imported {source}: {report.summary()}." + "".join(f" {held}." for held in defined)
        if failed:
            where, reason = failed[0]
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            said += f" Skipped {where}: {reason}{more}."
        if report.renamed:
            (bib_key, key), *rest = report.renamed.items()
            more = f" (and {plural(len(rest), 'more .bib key')})" if rest else ""
            said += f" The .bib key {bib_key} is {key} here ({report.why_renamed(bib_key)}){more}."
        if report.missing_crossrefs:
            why = report.missing_crossref(next(iter(report.missing_crossrefs)))
            others = len(report.missing_crossrefs) - 1
            more = f" (and {plural(others, 'more paper')})" if others else ""
            said += f" {why[0].upper()}{why[1:]}{more}."
        if report.differing:
            others = len(report.differing) - 1
            more = f" (and {others} more)" if others else ""
            said += f" The {report.why_differing(next(iter(report.differing)))}{more}."
        if kept := len(report.notes_kept):
            said += (f" {plural(kept)} kept {'its' if kept == 1 else 'their'} own note, not the "
                     "other one in the file's annote.")
        warn = failed or report.renamed or report.missing_crossrefs or report.differing or kept
        self.notify(said, severity="warning" if warn else "information", markup=False)
        self.run_search()

    @on(WorkFailed)
    def _work_failed(self, event: WorkFailed) -> None:
        if event.searching:
            self.papers.stop_awaiting()  # no results are coming: keys need not wait
            self.call_later(self._after_first_search)
            # A damaged file fails the search and the index workers alike, and every
            # search typed after: say it once, until a search succeeds again.
            if event.message == self._search_failure:
                return
            self._search_failure = event.message
        self.notify(event.message, severity="error", markup=False)

    def action_help(self) -> None:
        """Show every key."""
        self.app.push_screen(HelpScreen())

    def changes_still_queued(self) -> int:
        """The changes (an import counts as one) that the writing thread has yet to
        make; from any thread."""
        return self._writes.still_queued()

    def stop_from_outside(self, end: Callable[[], None]) -> None:
        """The terminal closed or the process was told to stop: ``end``, asking nothing,
        once every import started is read. What waits for a busy library (its papers
        too) is saved by the writing thread before the process exits."""
        self._stopping = end
        if not self._imports_reading:
            end()
            return
        self.notify("Stopping (the terminal closed, or papershelf was told to stop) as soon "
                    "as the import is read.", severity="warning", markup=False)

    def action_quit(self, export_written: bool = False) -> None:
        """Leave papershelf (once every change waiting for a busy library is saved, and
        every import started is, and the export under way written, unless
        ``export_written``)."""
        if self._imports_reading:
            self._quit_when_saved = True
            self.notify("Quitting as soon as the import is saved.", markup=False)
            return
        if self._writes:
            self._quit_when_saved = True
            self.notify(f"Quitting as soon as the busy library lets papershelf save "
                        f"{plural(len(self._writes), 'waiting change')}.", markup=False)
            return
        if not export_written and (path := self.export_under_way()) is not None:
            # (the app would end at once, and leave a blank terminal while it is written)
            self._quit_when_exported = True
            self.notify(f"Quitting as soon as the export to {path} is written.", markup=False)
            return
        self.app.exit()

    @on(Button.Pressed, "#welcome-import")
    def _welcome_import(self) -> None:
        self.action_import()

    @on(Button.Pressed, "#welcome-samples")
    def _welcome_samples(self) -> None:
        self.action_import_samples()
