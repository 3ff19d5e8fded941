"""While another papershelf holds the library's lock, changes wait in order, the app
stays usable, and quitting still saves them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from papershelf.errors import LibraryBusyError, LibraryError, PapershelfError
from papershelf.library import Library
from papershelf.storage import LibraryLock
from papershelf.tui.app import SWITCH_INTERVAL, PapershelfApp
from papershelf.tui.screens.import_dialog import ImportRequest
from papershelf.tui.screens.note import NoteDialog
from papershelf.tui.screens.prompt import PromptDialog
from papershelf.tui.writes import Writes

from .conftest import fresh, opened, settle, wait_until

SIZE = (120, 36)


def another_papershelf_writing(library: Path) -> contextlib.AbstractContextManager[None]:
    """The library's lock, held as by another papershelf in the middle of a long write."""
    return LibraryLock(library).held()


def _on_disk(library: Path, key: str) -> dict[str, object]:
    """The paper's record as the file holds it (opening a Library would wait for the lock)."""
    record: dict[str, object] = orjson.loads((library / "papers" / "0001.json").read_bytes())["papers"][key]
    return record


def test_queued_changes_run_in_order_and_report_on_the_ui_thread() -> None:
    free = threading.Event()
    log: list[str] = []
    delivered: list[Callable[[], None]] = []

    def job(name: str, fails: bool = False) -> Callable[[float | None], str]:
        def run(wait: float | None) -> str:
            if not free.is_set():
                time.sleep(wait or 0)
                raise LibraryBusyError("busy")
            if fails:
                raise PapershelfError(f"{name} failed")
            log.append(name)
            return name
        return run

    writes = Writes(lambda: free.wait(5), delivered.append)
    shown: list[str] = []
    assert writes.make(job("a"), shown.append, lambda e: shown.append(str(e))) is False
    assert writes.make(job("b", fails=True), shown.append, lambda e: shown.append(str(e))) is False
    assert writes.make(job("c"), shown.append, lambda e: shown.append(str(e))) is False
    assert len(writes) == 3 and log == []
    free.set()
    deadline = time.monotonic() + 5
    while len(delivered) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert log == ["a", "c"]
    assert shown == [] and len(writes) == 3  # outcomes wait for the UI thread
    for outcome in delivered:
        outcome()
    assert shown == ["a", "b failed", "c"] and len(writes) == 0
    assert writes.make(job("d"), shown.append, lambda e: shown.append(str(e))) is True  # free: at once
    assert log == ["a", "c", "d"] and shown[-1] == "d"


def test_an_unexpected_error_is_reported_and_the_queue_goes_on() -> None:
    free = threading.Event()
    delivered: list[Callable[[], None]] = []
    shown: list[str] = []

    def job(name: str, error: Exception | None = None) -> Callable[[float | None], str]:
        def run(wait: float | None) -> str:
            if not free.is_set():
                raise LibraryBusyError("busy")
            if error is not None:
                raise error
            return name
        return run

    writes = Writes(lambda: free.wait(5), delivered.append)
    writes.make(job("a", OSError(28, "No space left on device")), shown.append,
                lambda e: shown.append(f"failed: {e.message}"))
    writes.make(job("b"), shown.append, lambda e: shown.append(str(e)))
    free.set()
    deadline = time.monotonic() + 5
    while len(delivered) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    for outcome in delivered:
        outcome()
    assert shown == ["failed: could not save a change: [Errno 28] No space left on device", "b"]
    assert len(writes) == 0
    assert writes.make(job("c"), shown.append, lambda e: shown.append(str(e))) is True
    # made at once (nothing queued, the library free): reported the same way, not raised
    assert writes.make(job("d", ValueError("a bug")), shown.append,
                       lambda e: shown.append(f"failed: {e.message}")) is True
    assert shown[-1] == "failed: could not save a change: a bug"


async def test_changes_wait_for_a_busy_library_without_freezing_the_app(library_dir: Path) -> None:
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        _screen, key = await opened(pilot)
        with another_papershelf_writing(library_dir):
            begin = time.monotonic()
            await pilot.press("space")  # read
            await pilot.press("t", *"later", "enter")  # then a tag
            await pilot.press("j", "k")  # still moving
            assert time.monotonic() - begin < 2
            await wait_until(pilot, lambda: any("busy" in n.message for n in app._notifications))
            assert _on_disk(library_dir, key)["read"] is False  # nothing written yet
            await pilot.press("q")  # quitting waits for the queued changes
            await pilot.pause()
            assert not app._exit
        await wait_until(pilot, lambda: bool(app._exit), timeout=10)
        paper = fresh(library_dir).get(key)
        assert (paper.read, paper.tags) == (True, ("later",))


async def test_undo_waits_its_turn(library_dir: Path) -> None:
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, key = await opened(pilot)
        with another_papershelf_writing(library_dir):
            await pilot.press("space", "u")  # read, then undo it: both queued
        # notify() shows its message a moment after it is called
        await wait_until(pilot, lambda: any("Undone" in n.message for n in app._notifications),
                         timeout=10)
        assert not screen._writes
        assert fresh(library_dir).get(key).read is False




def _note_editor_shown(app: PapershelfApp) -> bool:
    """Whether the note dialog is on screen with its editor mounted (it is the screen a
    moment before its widgets are there)."""
    return isinstance(app.screen, NoteDialog) and bool(app.screen.query(TextArea))


async def test_the_note_editor_stays_open_until_its_queued_save_is_done(library_dir: Path) -> None:
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        _screen, key = await opened(pilot)
        await pilot.press("n", *"mine")
        with another_papershelf_writing(library_dir):
            await pilot.press("ctrl+s")
            await pilot.pause(0.1)
            assert isinstance(app.screen, NoteDialog)
            await pilot.press("ctrl+s")  # no second save
        await wait_until(pilot, lambda: not isinstance(app.screen, NoteDialog), timeout=10)
        await settle(pilot)
        assert fresh(library_dir).get(key).note == "mine"
        assert [n.message for n in app._notifications].count("Note saved.") == 1


async def test_a_note_conflict_found_after_the_editor_closed_opens_it_again(library_dir: Path) -> None:
    """ctrl+s while the library is busy, escape, and the other papershelf sets the note
    before the save gets its turn: the editor opens again with the text typed."""
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        _screen, key = await opened(pilot)
        other = Library(library_dir)
        await pilot.press("n", *"mine")
        with other._lock.held():  # the other papershelf, writing
            await pilot.press("ctrl+s")
            assert isinstance(app.screen, NoteDialog)
            assert "saving" in str(app.screen.query_one("#dialog-hint").render())
            await pilot.press("escape")
            assert not isinstance(app.screen, NoteDialog)
            other.set_note(key, "external")
        await wait_until(pilot, lambda: _note_editor_shown(app), timeout=10)
        assert app.screen.query_one(TextArea).text == "mine"
        assert "changed elsewhere meanwhile" in str(app.screen.query_one("#dialog-hint").render())
        assert fresh(library_dir).get(key).note == "external"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert fresh(library_dir).get(key).note == "mine"


async def test_the_ui_thread_waits_less_for_the_gil_while_the_app_runs(library_dir: Path) -> None:
    before = sys.getswitchinterval()
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert sys.getswitchinterval() == SWITCH_INTERVAL < before
    assert sys.getswitchinterval() == before


async def test_queued_changes_decide_from_the_state_they_find(library_dir: Path) -> None:
    """Space twice while the library is busy: read, then unread again (not read twice).
    The paper is drawn as it was until then, so the count line says what waits."""
    def count() -> str:
        return str(screen.query_one("#count").render())

    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, key = await opened(pilot)
        with another_papershelf_writing(library_dir):
            await pilot.press("space")
            assert count().endswith(" · saving 1 change…")
            await pilot.press("space")
            assert len(screen._writes) == 2 and count().endswith(" · saving 2 changes…")
            await pilot.press("n")  # a note starts from what is shown: not while saving
            assert not isinstance(app.screen, NoteDialog)
        await settle(pilot)
        assert fresh(library_dir).get(key).read is False
        await wait_until(pilot, lambda: "saving" not in count())


async def test_an_import_keeps_its_place_among_queued_changes(library_dir: Path) -> None:
    """Delete a paper, then import it again, while the library is busy: it ends up there."""
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, key = await opened(pilot)
        paper = fresh(library_dir).get(key)
        with another_papershelf_writing(library_dir):
            await pilot.press("delete")
            screen.start_import(ImportRequest("text", f"{paper.title}\n\n{paper.abstract}\n"))
            await wait_until(pilot, lambda: len(screen._writes) == 2)
        await settle(pilot)
        assert any(n.message.startswith("Imported") for n in app._notifications)
        assert key in fresh(library_dir)


async def test_ctrl_q_also_waits_for_queued_changes(library_dir: Path) -> None:
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        _screen, key = await opened(pilot)
        with another_papershelf_writing(library_dir):
            await pilot.press("space", "ctrl+q")
            await pilot.pause()
            assert not app._exit
        await wait_until(pilot, lambda: bool(app._exit), timeout=10)
        assert fresh(library_dir).get(key).read is True


async def test_quitting_asks_first_in_a_note_editor_reopened_by_a_conflict(library_dir: Path) -> None:
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        _screen, key = await opened(pilot)
        other = Library(library_dir)
        await pilot.press("n", *"mine")
        with other._lock.held():
            await pilot.press("ctrl+s", "escape")  # queued behind the lock, editor closed
            other.set_note(key, "external")
        await wait_until(pilot, lambda: _note_editor_shown(app), timeout=10)
        assert app.screen.query_one(TextArea).text == "mine"
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running  # "mine" is in no file: asked first


async def test_the_live_view_outlives_a_file_edited_into_any_shape(library_dir: Path) -> None:
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, key = await opened(pilot)
        path = library_dir / "papers" / "0001.json"
        good = path.read_bytes()
        damaged = orjson.loads(good)
        damaged["papers"] = []  # not an object: no record to check at all
        path.write_bytes(orjson.dumps(damaged))
        await wait_until(pilot, lambda: any(str(path) in n.message for n in app._notifications),
                         timeout=5)
        path.write_bytes(good)
        fresh(library_dir).set_note(key, "from the CLI")
        await wait_until(pilot, lambda: "from the CLI" in str(
            screen.query_one("#detail-body").render()), timeout=5)


async def test_keys_on_a_file_edited_into_another_shape_say_so(library_dir: Path) -> None:
    """Moving the cursor onto a paper of a file whose papers became a list (a hand
    edit) ended the app with a TypeError; so did t, space, o."""
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        _screen, _key = await opened(pilot)
        path = library_dir / "papers" / "0001.json"
        damaged = orjson.loads(path.read_bytes())
        damaged["papers"] = []
        path.write_bytes(orjson.dumps(damaged))
        await wait_until(pilot, lambda: any(str(path) in n.message for n in app._notifications),
                         timeout=5)
        for keys in (["j"], ["k"], ["space"], ["b"], ["o"], ["t"], ["T"], ["n"]):
            await pilot.press(*keys)
            await pilot.pause()
            assert app.is_running, keys
        assert any(f"{path}: papers is not a JSON object" in n.message for n in app._notifications)


async def test_a_paper_of_a_broken_file_shows_no_other_papers_details(library_dir: Path) -> None:
    """The details of the paper shown before stayed beside the paper the cursor moved to
    (a black-box review: a file cut short by hand, then another filter)."""
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, key = await opened(pilot)
        detail = screen.query_one("#detail-body")
        assert key in str(detail.render())
        path = library_dir / "papers" / "0001.json"
        path.write_bytes(path.read_bytes()[:3000])
        await wait_until(pilot, lambda: any(str(path) in n.message for n in app._notifications),
                         timeout=5)
        await pilot.press("j")
        await pilot.pause()
        assert app.is_running
        assert str(detail.render()) == "This paper cannot be read: see the error."


async def test_keys_on_a_paper_deleted_elsewhere_a_moment_ago_say_so(library_dir: Path) -> None:
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        _screen, key = await opened(pilot)
        Library(library_dir).remove([key])  # before the app's next look at the disk
        for keys in (["space"], ["o"], ["b"], ["n"], ["t"]):
            await pilot.press(*keys)
            await pilot.pause()
            if app.screen is not _screen:
                await pilot.press("escape")
            assert app.is_running
        await wait_until(pilot, lambda: key not in _screen.papers.shown_keys(), timeout=5)
        assert any("no paper with key" in n.message or "No paper selected" in n.message
                   or "The paper was gone (deleted elsewhere)" in n.message
                   for n in app._notifications)


async def test_copying_bibtex_from_a_file_edited_into_another_shape_says_so(tmp_path: Path) -> None:
    """With a crossref in the library, ``b`` reads the crossrefs of the papers first (not
    through the shelf's paper reads): a file whose papers became a list ended the app."""
    from papershelf.importers.bibtex import parse_bibtex

    root = tmp_path / "library"
    bib = ("@proceedings{conf20, title = {Proceedings of Conf}, year = {2020}}\n"
           "@inproceedings{smith20, title = {Seeing Things}, crossref = {conf20}}\n")
    Library(root).add(parse_bibtex(bib, "refs.bib").entries)
    app = PapershelfApp(root)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        path = next((root / "papers").glob("*.json"))
        damaged = orjson.loads(path.read_bytes())
        damaged["papers"] = []
        path.write_bytes(orjson.dumps(damaged))
        await wait_until(pilot, lambda: any(str(path) in n.message for n in app._notifications),
                         timeout=5)
        app._notifications.clear()
        await pilot.press("b")
        await pilot.pause()
        assert app.is_running
        assert any(f"{path}: papers is not a JSON object" in n.message for n in app._notifications)


async def _import_held_while_read(pilot: Pilot[None], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch, readable: bool = True) -> threading.Event:
    """Start importing a one-paper listing in the app of ``pilot`` and return once it is
    being read; it stays read (not yet queued to be saved) until the event returned is set."""
    from textual.widgets import Input

    import papershelf.importers as importers

    listing = tmp_path / "new.txt"
    listing.write_text("A Brand New Paper About Shelves\n\nIt is about shelves. https://example.org/x\n")
    reading, go_on = threading.Event(), threading.Event()
    real = importers.parse_input

    def slow(*args: object) -> object:
        reading.set()
        go_on.wait(10)
        if not readable:
            raise PapershelfError("the listing went away")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(importers, "parse_input", slow)
    await pilot.press("i")
    pilot.app.screen.query_one(Input).value = str(listing)
    await pilot.press("enter")
    await wait_until(pilot, reading.is_set)
    return go_on



@pytest.mark.parametrize("how", ["q", "signal"])
@pytest.mark.parametrize("readable", [True, False])
async def test_quitting_while_an_import_is_read_waits_for_it(
        library_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, readable: bool,
        how: str) -> None:
    """``q`` just after an import was started quit at once, and the import (still being
    read, not yet queued to be saved) was gone without a word. Now the app quits once it
    is saved; an import that fails to read keeps the app open to show why."""
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        _screen, key = await opened(pilot)
        go_on = await _import_held_while_read(pilot, tmp_path, monkeypatch, readable)
        if how == "q":
            await pilot.press("q")
        else:  # SIGHUP or SIGTERM (handled so only when not headless: called here)
            app._stopped_from_outside()
        await pilot.pause(0.1)
        assert app.is_running
        if how == "signal":  # a note typed and saved meanwhile is saved, and not kept
            await pilot.press("n", *"typed meanwhile", "ctrl+s")
            await wait_until(pilot, lambda: fresh(library_dir).get(key).note == "typed meanwhile")
        go_on.set()
        if readable or how == "signal":  # no one to see why it failed: ends anyway
            await wait_until(pilot, lambda: not app.is_running, timeout=10)
        else:
            await wait_until(pilot, lambda: any("went away" in n.message for n in app._notifications))
            await pilot.pause(0.2)
            assert app.is_running
    deadline = time.monotonic() + 10  # after a signal the writing thread may still be at it
    while readable and "brand-new-paper-about" not in fresh(library_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ("brand-new-paper-about" in fresh(library_dir)) is readable
    from papershelf.kept import unsaved_notes

    assert unsaved_notes(library_dir) == []


@pytest.mark.parametrize("opener", ["n", "T"])
async def test_keys_typed_for_a_dialog_refused_while_busy_do_not_run_as_commands(
        library_dir: Path, opener: str) -> None:
    """n and T wait for queued changes; what was typed on for them ("sum up": u undoes,
    space marks read) was run as commands."""
    from .test_actions import _burst

    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, key = await opened(pilot)
        with another_papershelf_writing(library_dir):
            await pilot.press("t", *"busy", "enter")  # queued
            await wait_until(pilot, lambda: bool(screen._writes))
            _burst(app, opener, *"sum up", "enter")
            await wait_until(pilot, lambda: app._message_queue.empty() and not app._held)
            await pilot.pause(0.1)
            assert not any(isinstance(s, (NoteDialog, PromptDialog)) for s in app.screen_stack)
        await wait_until(pilot, lambda: not screen._writes, timeout=10)
        await settle(pilot)
        paper = fresh(library_dir).get(key)
        assert (paper.tags, paper.read, paper.note) == (("busy",), False, "")
        assert any("keys typed right after are not used" in n.message for n in app._notifications)
        await pilot.pause(0.4)  # a key typed after a pause is a key again
        await pilot.press("space")
        await wait_until(pilot, lambda: fresh(library_dir).get(key).read)


@contextlib.contextmanager
def _app_on_a_pty(library: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, bytearray]]:
    """The app run as a user runs it, on a terminal (a pty) of 120x36, started and drawn;
    yields the process, the terminal's end to type into and what the terminal received
    so far. Killed if still running."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    app = subprocess.Popen([sys.executable, "-m", "papershelf", "--library", str(library)],
                           stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    screen = bytearray()

    def drain() -> None:  # a terminal reads what the app writes (else its writes block)
        with contextlib.suppress(OSError):
            while chunk := os.read(master, 65536):
                screen.extend(chunk)

    threading.Thread(target=drain, daemon=True).start()
    try:
        deadline = time.monotonic() + 30
        while b"shown" not in screen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert b"shown" in screen, "the app did not start"
        time.sleep(0.5)
        yield app, master, screen
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        os.close(master)


needs_signals = pytest.mark.skipif(sys.platform == "win32",
                                   reason="no pty, SIGHUP or SIGTERM handlers")


@needs_signals
@pytest.mark.parametrize("how", ["SIGHUP", "SIGTERM"])
def test_changes_waiting_are_saved_when_the_terminal_closes(library_dir: Path, how: str) -> None:
    """An ssh connection dropped (SIGHUP), or a kill: the default action ended the process
    with the changes waiting for a busy library lost, where q waits for them."""
    from papershelf.search import search

    key = search(Library(library_dir).catalog(), "").keys()[0]  # under the cursor at first
    with _app_on_a_pty(library_dir) as (app, terminal, screen):
        with another_papershelf_writing(library_dir):
            os.write(terminal, b" ")  # mark read: waits for the lock
            time.sleep(1.0)
            app.send_signal(getattr(signal, how))
            time.sleep(1.5)
            app.send_signal(getattr(signal, how))  # again, once the app has ended: ignored
            time.sleep(0.5)
            assert app.poll() is None  # still saving, and says so (the app has ended)
            assert b"stopped; saving 1 waiting change first" in screen
            assert _on_disk(library_dir, key)["read"] is False
        # as a process the signal killed would (a script or a supervisor can tell)
        assert app.wait(timeout=30) == 128 + getattr(signal, how)
    assert fresh(library_dir).get(key).read is True


@needs_signals
async def test_a_note_being_typed_when_the_terminal_closes_is_kept_and_named(
        library_dir: Path) -> None:
    from papershelf.kept import unsaved_notes
    from papershelf.search import search

    key = search(Library(library_dir).catalog(), "").keys()[0]
    with _app_on_a_pty(library_dir) as (app, terminal, _screen):
        os.write(terminal, b"n")
        time.sleep(1.0)
        os.write(terminal, b"typed, not saved")
        time.sleep(1.0)
        app.send_signal(signal.SIGHUP)
        assert app.wait(timeout=30) == 129
    (kept,) = unsaved_notes(library_dir)
    assert kept.read_text() == "typed, not saved\n" and f"-{key}-" in kept.name
    assert fresh(library_dir).get(key).note == ""  # not saved unasked
    again = PapershelfApp(library_dir)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        said = f"papershelf --library {library_dir} note {key} - < {kept} saves the newest; " \
               "then remove the file."
        assert any(n.message.endswith(said) for n in again._notifications)


async def test_only_the_burst_after_a_refused_dialog_is_dropped(library_dir: Path) -> None:
    """A key read after a pause is a key again, and a key held down (repeating) is
    dropped for a second at most."""
    from textual import events

    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, _key = await opened(pilot)
        start = screen.papers.cursor
        with another_papershelf_writing(library_dir):
            await pilot.press("space")  # queued
            await wait_until(pilot, lambda: bool(screen._writes))
            t = time.monotonic()
            # n, "ab" typed on, then j after a pause: j moves the cursor
            for key, at in (("n", t), ("a", t + 0.1), ("b", t + 0.2), ("j", t + 0.8)):
                event = events.Key(key, key)
                event.time = at
                app.post_message(event)
            await wait_until(pilot, lambda: app._message_queue.empty() and not app._held)
            await pilot.pause(0.1)
            assert screen.papers.cursor == start + 1
            # n, then j repeating every 0.1 s for 1.5 s: the last ones move it
            t = time.monotonic()
            for i in range(16):
                event = events.Key("n" if i == 0 else "j", "n" if i == 0 else "j")
                event.time = t + i * 0.1
                app.post_message(event)
            await wait_until(pilot, lambda: app._message_queue.empty() and not app._held)
            await pilot.pause(0.1)
            assert screen.papers.cursor == start + 1 + 5


@needs_signals
async def test_a_headless_app_leaves_sigterm_alone(library_dir: Path) -> None:
    """Tests run the app headless: a SIGTERM (a CI timeout) must still end the run."""
    import asyncio

    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        handled = getattr(asyncio.get_running_loop(), "_signal_handlers", {})
        assert signal.SIGTERM not in handled and signal.SIGHUP not in handled


async def test_a_note_save_waiting_when_the_terminal_closes_keeps_its_text_if_it_fails(
        library_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Saved once the library is free, after the app ended: a conflict found then has
    no app left to show it in, so the text is kept, as a note being typed is."""
    from papershelf.errors import ConflictError
    from papershelf.kept import unsaved_notes

    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        _screen, key = await opened(pilot)
        await pilot.press("n", *"mine")
        with another_papershelf_writing(library_dir):
            await pilot.press("ctrl+s")  # waits for the lock
            await pilot.pause(0.2)

            def conflict(*_args: object, **_kwargs: object) -> object:
                raise ConflictError("the note was changed elsewhere", current="theirs")

            monkeypatch.setattr(app.shelf, "change", conflict)
            app._stopped_from_outside()
            assert unsaved_notes(library_dir) == []  # being saved: not kept yet
    deadline = time.monotonic() + 10
    while not unsaved_notes(library_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    (kept,) = unsaved_notes(library_dir)
    assert kept.read_text() == "mine\n" and f"-{key}-" in kept.name



async def test_a_note_save_failing_on_the_disk_after_the_app_ended_keeps_its_text(
        library_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not only a conflict: a disk error found once the app is gone keeps the text too."""
    from papershelf.kept import unsaved_notes

    app = PapershelfApp(library_dir)
    with another_papershelf_writing(library_dir):
        async with app.run_test(size=SIZE) as pilot:
            _screen, _key = await opened(pilot)
            await pilot.press("n", *"mine", "ctrl+s")  # waits for the lock
            await pilot.pause(0.2)
            app._stopped_from_outside()

        def disk_full(*_args: object, **_kwargs: object) -> object:
            raise LibraryError("cannot write to the library: No space left on device")

        monkeypatch.setattr(app.shelf, "change", disk_full)
        assert unsaved_notes(library_dir) == []  # being saved: not kept yet
    deadline = time.monotonic() + 10
    while not unsaved_notes(library_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    (kept,) = unsaved_notes(library_dir)
    assert kept.read_text() == "mine\n"


async def test_a_note_save_that_waits_again_after_the_app_ended_keeps_nothing(
        library_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Waiting for the lock is not failing: the note is saved, and no kept copy is
    named at the next start as if it had been lost."""
    from papershelf.kept import unsaved_notes

    app = PapershelfApp(library_dir)
    with another_papershelf_writing(library_dir):
        async with app.run_test(size=SIZE) as pilot:
            _screen, key = await opened(pilot)
            await pilot.press("n", *"mine", "ctrl+s")
            await pilot.pause(0.2)
            app._stopped_from_outside()
        real_change, tries = app.shelf.change, []

        def busy_once(*args: object, **kwargs: object) -> object:
            tries.append(1)
            if len(tries) == 1:  # another papershelf took the lock again first
                raise LibraryBusyError("the library is busy")
            return real_change(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(app.shelf, "change", busy_once)
    deadline = time.monotonic() + 10
    while _on_disk(library_dir, key).get("note") != "mine" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _on_disk(library_dir, key).get("note") == "mine" and len(tries) == 2
    assert unsaved_notes(library_dir) == []


async def test_a_note_save_failing_while_the_app_ends_is_kept_once(library_dir: Path) -> None:
    """The writing thread keeps the text; the failure then reaching the app, still
    ending, kept it a second time (two files named at the next start)."""
    from papershelf.kept import unsaved_notes

    def disk_full(*_args: object, **_kwargs: object) -> object:
        raise LibraryError("cannot write to the library: No space left on device")

    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        _screen, _key = await opened(pilot)
        await pilot.press("n", *"mine")
        with pytest.MonkeyPatch.context() as patch:
            with another_papershelf_writing(library_dir):
                await pilot.press("ctrl+s")
                await pilot.pause(0.2)
                patch.setattr(app.shelf, "change", disk_full)
                patch.setattr(app, "exit", lambda *_args, **_kwargs: None)  # still ending
                app._stopped_from_outside()
            await wait_until(pilot, lambda: bool(unsaved_notes(library_dir)))
            await pilot.pause(0.3)  # the failure reaches the app
    (kept,) = unsaved_notes(library_dir)
    assert kept.read_text() == "mine\n"


async def test_a_change_failing_after_a_signal_still_waits_for_the_import_being_read(
        library_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed change ended the app at once, even with an import still being read."""
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        go_on = await _import_held_while_read(pilot, tmp_path, monkeypatch)
        app._stopped_from_outside()
        real_change = app.shelf.change

        def disk_full(*_args: object, **_kwargs: object) -> object:
            raise LibraryError("cannot write to the library: No space left on device")

        app.shelf.change = disk_full  # type: ignore[method-assign]
        await pilot.press("space")  # fails
        await pilot.pause(0.2)
        assert app.is_running
        app.shelf.change = real_change  # type: ignore[method-assign]
        go_on.set()
        await wait_until(pilot, lambda: not app.is_running, timeout=10)
    deadline = time.monotonic() + 10
    while "brand-new-paper-about" not in fresh(library_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "brand-new-paper-about" in fresh(library_dir)


async def test_ending_after_a_signal_keeps_each_note_being_typed_once(library_dir: Path) -> None:
    """Ending runs again when a change fails after the signal; the note being typed
    was then kept twice."""
    from papershelf.kept import unsaved_notes

    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("n", *"typed")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(app, "exit", lambda *_args, **_kwargs: None)  # still ending
            app._stopped_from_outside()
            app._end_stopped()
    (kept,) = unsaved_notes(library_dir)
    assert kept.read_text() == "typed\n"
