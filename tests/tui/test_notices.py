"""Pilot tests: what the keys acting on papers say is true, when another papershelf
changed the library meanwhile or the filter hides some of the marked papers."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from papershelf import clipboard
from papershelf.library import Library
from papershelf.model import Entry
from papershelf.search import search
from papershelf.tui.app import PapershelfApp
from papershelf.tui.messages import LibraryChanged
from papershelf.tui.screens.import_dialog import ImportRequest
from papershelf.tui.screens.main import REFRESH_INTERVAL, MainScreen
from papershelf.tui.screens.prompt import PromptDialog

from .conftest import fresh, opened, settle, wait_until

SIZE = (120, 36)
GONE = "1 marked paper was gone (deleted elsewhere)."


def said(app: PapershelfApp) -> list[str]:
    """Every notification's text, oldest first."""
    return [str(n.message) for n in app._notifications]


async def marked(pilot: Pilot[None], count: int = 3) -> tuple[MainScreen, list[str]]:
    """The first ``count`` papers marked; the app no longer looks at the library for
    changes made elsewhere, as if its watcher had not looked yet (a change it makes
    catches up with them)."""
    screen, _key = await opened(pilot)
    screen._stop.set()
    await pilot.press("home", *["v"] * count)
    keys = screen.papers.shown_keys()[:count]
    assert screen.marked == frozenset(keys)
    return screen, keys


async def test_a_tag_typed_for_marked_papers_one_deleted_meanwhile_tags_the_others(
        library_dir: Path) -> None:
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        _screen, keys = await marked(pilot)
        await pilot.press("t", *"later")
        Library(library_dir).remove([keys[1]])  # papershelf rm, in another shell
        await pilot.press("enter")
        await pilot.pause()
        library = fresh(library_dir)
        assert [library.get(k).tags for k in (keys[0], keys[2])] == [("later",), ("later",)]
        assert f"{GONE} Tagged 2 papers #later." in said(app)


async def test_untag_read_and_delete_of_marked_papers_one_deleted_meanwhile(
        library_dir: Path) -> None:
    Library(library_dir).tag(Library(library_dir).keys(), "old")
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        _screen, keys = await marked(pilot, 4)
        Library(library_dir).remove([keys[0]])
        await pilot.press("space")
        assert said(app)[-1] == f"{GONE} Marked 3 papers read."
        Library(library_dir).remove([keys[1]])
        await pilot.press("T", "enter")
        assert said(app)[-1] == f"{GONE} Removed #old from 2 papers."
        library = fresh(library_dir)
        assert [(library.get(k).read, library.get(k).tags) for k in keys[2:]] == [(True, ())] * 2
        Library(library_dir).remove([keys[2]])
        await pilot.press("delete")
        assert keys[3] not in fresh(library_dir)
        assert said(app)[-1] == f"{GONE} Deleted 1 paper; u undoes."


async def test_a_key_on_papers_all_deleted_meanwhile_says_so(library_dir: Path) -> None:
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, keys = await marked(pilot)
        Library(library_dir).remove(keys)
        await pilot.press("space")
        assert said(app)[-1] == "The 3 marked papers were gone (deleted elsewhere): nothing to do."
        await settle(pilot)
        assert not screen.marked  # (the change caught up with the deletion)
        assert not lost_marks(app)  # (said already)
        Library(library_dir).remove([screen.papers.current_key or ""])
        await pilot.press("t", *"x", "enter")  # the current paper, alone
        assert said(app)[-1] == "The paper was gone (deleted elsewhere): nothing to do."


async def test_copy_and_export_of_marked_papers_one_deleted_meanwhile_count_the_others(
        library_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copied: list[str] = []
    monkeypatch.setattr(clipboard, "copy_text", copied.append)
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, keys = await marked(pilot)
        Library(library_dir).remove([keys[1]])
        await pilot.press("b")
        assert copied[-1].count("@misc{") == 2
        assert said(app)[-1] == f"{GONE} Copied BibTeX of 2 papers."
        assert screen.marked == {keys[0], keys[2]}  # (said: not again once the list catches up)
        Library(library_dir).remove([keys[2]])
        await pilot.press("e")
        app.screen.query_one(Input).value = str(tmp_path / "out.bib")
        await pilot.press("enter")
        await settle(pilot)
        assert (tmp_path / "out.bib").read_text().count("@misc{") == 1
        assert said(app)[-1] == f"{GONE} Exported 1 paper to {tmp_path / 'out.bib'}."
        assert screen.marked == {keys[0]}
        screen.shelf.refresh()  # the watcher's next look
        screen.post_message(LibraryChanged())
        await settle(pilot)
        assert not lost_marks(app)


async def test_keys_on_marked_papers_say_how_many_the_filter_hides(
        library_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clipboard, "copy_text", lambda text: None)
    Library(library_dir).tag(Library(library_dir).keys(), "old")  # (T offers them)
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, _keys = await opened(pilot)
        await pilot.press("home", "v", "v")  # two marked, then the one the filter shows
        await pilot.press("/", *"densecli", "enter")
        await settle(pilot)
        await pilot.press("home", "v")
        assert len(screen.marked) == 3
        await pilot.press("space")
        assert said(app)[-1] == "Marked 3 papers read (2 hidden by the filter)."
        await pilot.press("b")
        assert said(app)[-1] == "Copied BibTeX of 3 papers (2 hidden by the filter)."
        for key, verb in (("t", "Add a tag to"), ("T", "Remove a tag from"), ("e", "Export")):
            await pilot.press(key)
            assert isinstance(app.screen, PromptDialog)
            title = str(app.screen.query_one("#dialog-title", Static).render())
            assert title.startswith(f"{verb} 3 marked papers (2 hidden by the filter)"), title
            await pilot.press("escape")
        await pilot.press("home", "v", "space")  # unmarks the one shown
        assert said(app)[-1] == "Marked 2 papers unread (all hidden by the filter)."


async def test_the_tag_prompt_knows_a_tag_typed_with_a_combining_accent(library_dir: Path) -> None:
    Library(library_dir).tag([Library(library_dir).keys()[5]], "café")
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("t")
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one(Input).value = "cafe\u0301"  # as a macOS file name holds it
        await pilot.pause()
        choices = str(app.screen.query_one("#prompt-choices", Static).render()).strip()
        assert choices == "#café 1", choices
        app.screen.query_one(Input).value = "CAFE\u0301"
        await pilot.press("tab")  # completes to the tag's own spelling
        assert app.screen.query_one(Input).value == "café"


async def test_undo_of_a_change_to_a_paper_given_another_key_or_taken_back_elsewhere_says_so(
        library_dir: Path) -> None:
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, key = await opened(pilot)
        await pilot.press("t", *"foo", "enter")
        other = fresh(library_dir)
        title = other.get(key).title
        other.remove([key])  # and imported again from a .bib under another key
        other.add([Entry(title=title, bib_key="renamed2024", entry_type="misc",
                         fields={"title": title})])
        await pilot.press("u")
        assert said(app)[-1] == ("Nothing left to undo of tag foo: its paper is no longer "
                                 "there (deleted elsewhere, or its key changed).")
        assert fresh(library_dir).get("renamed2024").tags == ()
        await wait_until(pilot, lambda: key not in screen.papers.shown_keys())
        await pilot.press("home", "v", "v", "t", *"bar", "enter")
        marked = fresh(library_dir).keys()
        tagged = [k for k in marked if "bar" in fresh(library_dir).get(k).tags]
        fresh(library_dir).remove(tagged[:1])
        await pilot.press("u")
        assert said(app)[-1] == ("Undone: tag bar (1 paper); 1 paper was no longer there "
                                 "(deleted elsewhere, or its key changed).")
        await settle(pilot)
        assert len(screen.marked) == 1 and not lost_marks(app)  # (said already)
        assert not any("bar" in p.tags for p in fresh(library_dir).papers())
        # Taken back elsewhere: it said "Undone: tag zz (1 paper)", with nothing changed.
        await pilot.press("escape", "home", "t", *"zz", "enter")
        fresh(library_dir).untag(fresh(library_dir).keys(), "zz")  # tag rm, in another shell
        await pilot.press("u")
        assert said(app)[-1] == ("Nothing left to undo of tag zz: another papershelf had "
                                 "changed it back already.")
        await pilot.press("v", "v", "t", *"yy", "enter")
        tagged = [k for k in fresh(library_dir).keys() if "yy" in fresh(library_dir).get(k).tags]
        fresh(library_dir).untag(tagged[:1], "yy")
        await pilot.press("u")
        assert said(app)[-1] == ("Undone: tag yy (1 paper); 1 paper had been changed back by "
                                 "another papershelf already.")
        assert not any("yy" in p.tags for p in fresh(library_dir).papers())


async def test_the_untag_prompt_says_a_tag_typed_is_not_on_the_paper_not_that_it_is_new(
        library_dir: Path) -> None:
    """It said "new tag", which untagging does not make."""
    library = Library(library_dir)
    library.tag([search(library.catalog(), "").keys()[0]], "vlp")  # the first paper shown
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("T")
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one(Input).value = "later"
        await pilot.pause()
        choices = str(app.screen.query_one("#prompt-choices", Static).render()).strip()
        assert choices == "not a tag of this paper", choices


def lost_marks(app: PapershelfApp) -> list[tuple[str, bool]]:
    """The notices saying marks were lost to a deletion elsewhere, with whether each
    would have read its text as markup."""
    return [(str(n.message), n.markup) for n in app._notifications
            if "deleted elsewhere:" in str(n.message) and "mark" in str(n.message)]


async def test_marks_of_papers_deleted_elsewhere_are_said_to_be_gone_when_the_watcher_sees_it(
        library_dir: Path) -> None:
    """The watcher's refresh dropped them without a word, and a key pressed after acted
    on the other marked papers, saying nothing of them either."""
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, _key = await opened(pilot)
        await pilot.press("home", "v", "v", "v", "v")
        keys = screen.papers.shown_keys()[:4]
        Library(library_dir).remove(keys[:2])  # papershelf rm, in another shell
        await wait_until(pilot, lambda: bool(lost_marks(app)))  # (a notice is a message)
        assert screen.marked == frozenset(keys[2:])
        assert lost_marks(app) == [
            ("2 marked papers were deleted elsewhere: their marks are gone.", False)]
        await pilot.press("space")
        assert said(app)[-1] == "Marked 2 papers read."
        Library(library_dir).remove(keys[2:3])
        await wait_until(pilot, lambda: len(lost_marks(app)) == 2)
        assert screen.marked == frozenset(keys[3:])
        await pilot.pause(2 * REFRESH_INTERVAL)  # once: not again at the next looks
        await settle(pilot)
        assert lost_marks(app) == [
            ("2 marked papers were deleted elsewhere: their marks are gone.", False),
            ("1 marked paper was deleted elsewhere: its mark is gone.", False)]


async def test_undo_of_an_import_counts_only_the_papers_it_changed(library_dir: Path) -> None:
    """The papers an import found already there, with nothing new for them, were said
    to have "been changed back by another papershelf already" (a black-box review)."""
    library = Library(library_dir)
    gone = library.keys()[:2]
    library.remove(gone)
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, _key = await opened(pilot)

        def last() -> str:
            return (said(app) or [""])[-1]

        screen.start_import(ImportRequest("samples"))
        await wait_until(pilot, lambda: last().startswith("Imported the samples"))
        assert last().startswith("Imported the samples: 2 new, 427 already in library")
        await pilot.press("u")
        await wait_until(pilot, lambda: last().startswith("Undone"))
        assert said(app)[-1] == "Undone: import (2 papers)."
        screen.start_import(ImportRequest("samples"))
        await wait_until(pilot, lambda: last().startswith("Imported the samples: 2 new"))
        screen.start_import(ImportRequest("samples"))  # nothing new: nothing to undo of it
        await wait_until(pilot, lambda: last().startswith("Imported the samples: 0 new"))
        await pilot.press("u")
        await wait_until(pilot, lambda: last().startswith("Undone"))
        assert said(app)[-1] == "Undone: import (2 papers)."
        assert not any(key in fresh(library_dir) for key in gone)


async def test_undo_of_deleting_every_paper_leaves_the_welcome_view_at_once(
        library_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It stayed until the search came back (seconds at 100,000 papers), and its keys
    took what was typed meanwhile: ``s`` imported the samples (a review)."""
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, _key = await opened(pilot)
        await pilot.press("V", "delete")
        await wait_until(pilot, lambda: screen.library_empty)
        monkeypatch.setattr(screen, "run_search", lambda *args, **kwargs: None)  # (a slow one)
        await pilot.press("u")
        await wait_until(pilot, lambda: said(app)[-1].startswith("Undone: delete"))
        assert not screen.library_empty
        assert not screen.check_action("welcome_samples", ())


async def test_read_and_tag_of_marked_papers_say_how_many_were_so_already(library_dir: Path) -> None:
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, keys = await marked(pilot)
        Library(library_dir).set_read(keys[1:2], True)
        Library(library_dir).tag(keys[2:3], "live-x")
        await pilot.press("space")
        assert said(app)[-1] == "Marked 2 papers read, 1 already."
        await pilot.press("u")
        assert said(app)[-1] == "Undone: mark read (2 papers)."
        await pilot.press("t", *"LIVE-X", "enter")
        assert said(app)[-1] == "Tagged 2 papers #LIVE-X, 1 already."
        await pilot.press("escape", "home", "down", "down", "t", *"LIVE-X", "enter")
        assert screen.papers.current_key == keys[2]
        assert said(app)[-1] == "Already tagged #live-x."  # as the paper shows it


async def test_already_tagged_names_the_tag_as_spelled_when_a_marked_paper_is_gone(
        library_dir: Path) -> None:
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        _screen, keys = await marked(pilot, 2)
        Library(library_dir).tag(keys[1:], "live-x")
        Library(library_dir).remove(keys[:1])
        await pilot.press("t", *"LIVE-X", "enter")
        assert said(app)[-1] == f"{GONE} Already tagged #live-x."


async def test_marked_papers_of_an_import_undone_are_not_said_to_be_deleted_elsewhere(
        library_dir: Path) -> None:
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, _key = await opened(pilot)
        screen.start_import(ImportRequest("text", "A Paper Imported Just Now\n\nIts abstract.\n"))
        await settle(pilot)
        await pilot.press("home", "v", "v")
        assert len(screen.marked) == 2
        await pilot.press("u")
        await settle(pilot)
        assert said(app)[-1].startswith("Undone: import"), said(app)[-1]
        assert len(screen.marked) == 1 and not lost_marks(app)



async def test_space_toggles_the_read_state_the_papers_have_when_the_library_is_locked(
        library_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It decided from the records read before the library was locked for the change:
    a paper marked read elsewhere in between was "marked read" again, nothing changing."""
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, key = await opened(pilot)
        screen._stop.set()  # (the watcher takes the lock too)
        lock = screen.shelf.library._lock
        take = lock._acquire

        def just_after_another_papershelf(deadline: float) -> None:
            monkeypatch.setattr(lock, "_acquire", take)
            Library(library_dir).set_read([key])  # papershelf read KEY, a moment before
            take(deadline)

        monkeypatch.setattr(lock, "_acquire", just_after_another_papershelf)
        await pilot.press("space")
        assert lock._acquire == take  # (the change took the lock)
        assert not fresh(library_dir).get(key).read
        assert said(app)[-1] == "Marked 1 paper unread."
        await pilot.press("u")
        assert fresh(library_dir).get(key).read
        assert said(app)[-1] == "Undone: mark unread (1 paper)."


async def test_notices_saying_the_same_are_one_and_a_small_terminal_shows_few(library_dir: Path) -> None:
    """Eight "No paper selected." overflowed an 80x24 terminal, and what overflowed
    stayed painted once they expired."""
    app = PapershelfApp(library_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("slash", *"zzzzqqq", "enter")
        await settle(pilot)
        await pilot.press(*["space"] * 8)
        await pilot.pause()
        assert said(app) == ["No paper selected."]
        app.notify("first", severity="error")
        for n in range(5):
            app.notify(f"warning {n}", severity="warning")
        await pilot.pause()
        assert said(app) == ["first", "warning 3", "warning 4"]  # an error stays longest
        app.notify("warning 3", severity="warning")  # again: on top
        app.notify("information")  # information goes before warnings
        app.notify("more information")
        await pilot.pause()
        assert said(app) == ["first", "warning 3", "more information"]
        # one shown for longer (where a note typed as the terminal closed is kept) stays
        app.notify("kept note", severity="warning", timeout=30)
        await pilot.resize_terminal(80, 12)
        await pilot.pause()
        app.notify("last")
        await pilot.pause()
        assert said(app) == ["kept note", "last"]



async def test_a_notice_is_painted_over_once_it_goes(library_dir: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """After the detail pane scrolled (J) under a notice, Textual 8.2 took the notice
    away without painting over it: it stayed on the terminal, over the note, until
    something else was drawn there. What the app writes goes to a terminal emulator."""
    import pyte

    width, height = 140, 45
    terminal = pyte.Screen(width, height)
    stream = pyte.Stream(terminal)
    app = PapershelfApp(library_dir)
    app.NOTIFICATION_TIMEOUT = 2.5
    async with app.run_test(size=(width, height), notifications=True) as pilot:
        await opened(pilot)
        driver = app._driver
        assert driver is not None
        monkeypatch.setattr(driver, "write", stream.feed)
        monkeypatch.setattr(type(driver), "is_headless", property(lambda _driver: False))
        app.screen.refresh()
        await pilot.press("slash", *"key:pre-training-technique-localize", "enter")  # a long abstract
        await settle(pilot)
        await pilot.press("space")
        await pilot.pause(0.3)
        assert any("Marked 1 paper read." in line for line in terminal.display)
        for _ in range(12):
            await pilot.press("J")
            await pilot.pause(0.15)
        await pilot.pause(app.NOTIFICATION_TIMEOUT + 1)
        assert said(app) == []
        assert not any("Marked 1 paper read." in line for line in terminal.display)
