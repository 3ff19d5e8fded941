"""The papershelf Textual app: opens the library and shows the main screen."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.notifications import Notification, Notify
from textual.screen import Screen
from textual.theme import Theme

from papershelf import settings
from papershelf.errors import PapershelfError
from papershelf.tui.key_order import KeysInOrder
from papershelf.tui.screens.main import MainScreen
from papershelf.tui.screens.note import NoteDialog
from papershelf.tui.shelf import Shelf

#: The GIL switch interval while the app runs. Its workers (an import, loading indexes)
#: are CPU-bound Python, and at Python's default of 5 ms the UI thread waits up to 5 ms
#: for the GIL at every step of handling a key. Measured during a 10k-paper import in a
#: thread: a UI-like thread's wake-up overrun fell from p50 5.4 ms / max 35-44 ms to
#: 1.3 ms / 12-16 ms at 1 ms, and the import took as long (0.91-0.96 s either way). The
#: cost: building 100,000 papers' search indexes in the background with the cache
#: emptied took 10.1 s instead of 9.1 s (bench/bench_tui.py, one run each).
SWITCH_INTERVAL = 0.001
#: The signals that end the app as q does: a closed terminal, a polite kill (none on
#: Windows).
_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGHUP", "SIGTERM") if hasattr(signal, name))


#: The most notices shown at once (fewer on a terminal under 24 lines).
MAX_NOTICES = 3
#: Seconds after a notice goes that the screen is painted again (:meth:`PapershelfApp._unnotify`):
#: after Textual has taken it away and laid the screen out again.
REPAINT_AFTER_NOTICE = 0.25


class PapershelfApp(KeysInOrder):
    """A keyboard-driven reading list for research papers."""

    CSS_PATH = "app.tcss"
    TITLE = "papershelf"
    #: A dialog on a small terminal takes all of it (app.tcss). The main screen has its own.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (50, "-slim"), (70, "-roomy")]  # noqa: RUF012 (Textual's type)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (20, "-tall")]  # noqa: RUF012 (Textual's type)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+p", "command_palette", "Palette", show=False, priority=True,
                tooltip="Every action, searchable"),
    ]

    def __init__(self, library_dir: str | Path, demo: bool = False) -> None:
        """Open the library at ``library_dir`` (raises ``PapershelfError`` if it cannot)."""
        super().__init__()
        self.shelf = Shelf(Path(library_dir))
        self._switch_interval = sys.getswitchinterval()
        self.demo = demo
        self._stopped = False  # by a signal (_stopped_from_outside)
        self._stop_status = 0
        self._kept_dialogs: set[NoteDialog] = set()  # whose text was kept after one
        self._main: MainScreen | None = None
        saved = settings.load().get("theme")
        if isinstance(saved, str) and saved in self.available_themes:
            self.theme = saved

    def get_default_screen(self) -> Screen[None]:
        """The main screen on the library."""
        self._main = MainScreen(self.shelf, demo=self.demo)
        return self._main

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """Textual's screenshot (the palette's "Screenshot"): into the Downloads
        directory, or the current one when there is none (a server reached over ssh),
        where Textual's own fails saying only that it failed."""
        if path is None:
            from platformdirs import user_downloads_path

            with contextlib.suppress(OSError):
                if not user_downloads_path().is_dir():
                    path = os.getcwd()
        return super().deliver_screenshot(filename, path, time_format)

    def changes_still_queued(self) -> int:
        """The changes still being saved by the writing thread: after a signal, the app
        ends first (the process, once they are saved)."""
        return self._main.changes_still_queued() if self._main is not None else 0

    def _on_notify(self, event: Notify) -> None:
        """Before Textual's own handler adds the notice: take away one saying the same
        (it comes back on top, its time started again), then the oldest beyond what the
        terminal's height has room for: information first, then warnings, then errors,
        never one shown for longer than notices are (where a note typed when the
        terminal closed is kept). Eight "No paper selected." overflowed an 80x24
        terminal, and what overflowed stayed painted after they expired."""
        new = event.notification
        for old in list(self._notifications):
            if (old.message, old.title, old.severity) == (new.message, new.title, new.severity):
                self._unnotify(old, refresh=False)
        room = max(1, min(MAX_NOTICES, self.size.height // 8))
        excess = len(self._notifications) + 1 - room
        order = ("information", "warning", "error")
        short = [n for n in self._notifications if n.timeout <= self.NOTIFICATION_TIMEOUT]
        for old in sorted(short, key=lambda n: order.index(n.severity))[: max(0, excess)]:  # (stable)
            self._unnotify(old, refresh=False)

    def _unnotify(self, notification: Notification, refresh: bool = True) -> None:
        """Textual's, then, for a notice that went (its time up, or dismissed), the
        whole screen painted again a moment later: once the detail pane had scrolled
        (``J``) under a notice, Textual 8.2 took the notice away without painting over
        it, and it stayed on the terminal until something else was drawn there."""
        super()._unnotify(notification, refresh)
        # (each way: an expiring toast removes itself, and asks for no refresh)
        self.set_timer(REPAINT_AFTER_NOTICE, self._repaint_screen)

    def _repaint_screen(self) -> None:
        with contextlib.suppress(Exception):  # (no screen: the app is ending)
            self.screen.refresh()

    def on_mount(self) -> None:
        """Remember the theme whenever it changes; keep the UI thread's GIL waits short;
        end as ``q`` does when the terminal closes or the process is asked to stop."""
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._name_unsaved_notes()
        if self.is_headless:  # tests: a SIGTERM must still end the test run
            return
        loop = asyncio.get_running_loop()
        for number in _STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(number, self._stopped_from_outside, number)

    def _stopped_from_outside(self, number: int = signal.SIGTERM) -> None:
        """The terminal closed (an ssh connection dropped) or the process was told to
        stop: signal ``number``. Their default would kill the process with changes still
        waiting for a busy library; ending instead, as ``q`` does (once an import being
        read is), lets the thread that saves them finish first (it is not a daemon). The
        process then exits with 128 + ``number``, as one the signal killed would."""
        if self._stopped:  # a second signal: all is under way
            return
        self._stopped = True
        self._stop_status = 128 + number
        main = self.screen_stack[0] if self.screen_stack else None
        if isinstance(main, MainScreen):
            main.stop_from_outside(self._end_stopped)
        else:
            self._end_stopped()

    def _end_stopped(self) -> None:
        """End after a signal: a note being typed is kept in a file, named when the app
        starts again on this library (:mod:`papershelf.kept`), not saved unasked."""
        from papershelf.kept import keep_unsaved_note

        for screen in self.screen_stack:
            if (isinstance(screen, NoteDialog) and screen not in self._kept_dialogs
                    and (text := screen.unsaved_text()) is not None):
                keep_unsaved_note(self.shelf.root, screen.key, text)
                self._kept_dialogs.add(screen)  # (this runs again if a save fails after)
        self.exit(return_code=self._stop_status)

    def _name_unsaved_notes(self) -> None:
        """Say where the notes being typed when a terminal closed are kept, and how to
        save one (each start, until their files are removed)."""
        from papershelf.kept import UNSAVED_PREFIX, unsaved_notes

        found = unsaved_notes(self.shelf.root)
        if not found:
            return
        import shlex

        newest = found[-1]
        key = newest.name.removeprefix(UNSAVED_PREFIX).rsplit("-", 1)[0]
        which = "A note" if len(found) == 1 else f"{len(found)} notes"
        command = (f"papershelf --library {shlex.quote(str(self.shelf.root.resolve()))} note "
                   f"{key} - < {shlex.quote(str(newest))}")
        self.notify(f"{which} typed when a terminal closed, unsaved, "
                    f"{'is' if len(found) == 1 else 'are'} kept in {newest.parent}. "
                    f"{command} saves the newest; then remove the file.",
                    severity="warning", timeout=30, markup=False)

    async def action_quit(self) -> None:
        """Quit (``ctrl+q``, the palette): as ``q`` does, once waiting changes are saved;
        with a note typed and not saved, only the second time."""
        if any(isinstance(screen, NoteDialog) and screen.holds_back_quit()
               for screen in self.screen_stack):
            return
        main = self.screen_stack[0] if self.screen_stack else None
        if isinstance(main, MainScreen):
            main.action_quit()
        else:
            self.exit()

    async def _dispatch_action(self, namespace: DOMNode, action_name: str, params: Any) -> bool:
        # An expected failure of an action (a library file edited by hand into another
        # shape, read by a key's action on the UI thread) is shown, as a worker's is,
        # instead of ending the app with a traceback.
        try:
            return await super()._dispatch_action(namespace, action_name, params)
        except PapershelfError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return True

    def on_unmount(self) -> None:
        """Give the process its GIL switch interval and its signals' defaults back; after
        a signal ended it, ignore another: the process is saving what waited. A helper
        building indexes is stopped: the process would wait for it to end."""
        self.shelf.stop_helpers()
        sys.setswitchinterval(self._switch_interval)
        with contextlib.suppress(RuntimeError):  # (no running loop)
            loop = asyncio.get_running_loop()
            for number in _STOP_SIGNALS:
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    if loop.remove_signal_handler(number) and self._stopped:
                        signal.signal(number, signal.SIG_IGN)

    def _theme_changed(self, theme: Theme) -> None:
        settings.save(theme=theme.name)
