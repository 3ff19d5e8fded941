"""The command palette, the welcome view, live changes from other processes, and
paper text that looks like markup."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Input, TextArea

from papershelf.library import Library
from papershelf.model import Entry
from papershelf.search import search
from papershelf.tui.app import PapershelfApp
from papershelf.tui.commands import ACTIONS
from papershelf.tui.screens.main import MainScreen
from papershelf.tui.screens.note import NoteDialog
from papershelf.tui.screens.prompt import PromptDialog

from .conftest import SAMPLE_PAPERS, fresh, opened, settle, wait_until

SIZE = (120, 36)
HOSTILE = ("[bold]x[/]", "[@click=app.quit]", "[/]", "Ends with a backslash \\", "[red]red[/red] $x$")


async def open_palette_and_run(pilot: object, label: str) -> None:
    """Open the palette, type ``label`` and run the first hit."""
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    # Set the query in one go: typing it key by key searches the palette once per key.
    pilot.app.screen.query_one(Input).value = label
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause(0.1)


@pytest.mark.parametrize("action", [a for a in ACTIONS], ids=lambda a: a.action)
async def test_every_action_is_in_the_palette(library_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                              action: object) -> None:
    from papershelf.tui.commands import PaperAction

    assert isinstance(action, PaperAction)
    called: list[str] = []
    monkeypatch.setattr(MainScreen, f"action_{action.action}",
                        lambda self: called.append(action.action))
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_palette_and_run(pilot, action.help)  # unique, unlike "Quit"
        assert called == [action.action]


async def test_palette_toggles_read_and_tags(library_dir: Path) -> None:
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        _screen, key = await opened(pilot)
        await open_palette_and_run(pilot, "Read")
        assert fresh(library_dir).get(key).read is True
        await open_palette_and_run(pilot, "Tag")
        assert isinstance(app.screen, PromptDialog)
        await pilot.press(*"palette", "enter")
        assert fresh(library_dir).get(key).tags == ("palette",)
        await open_palette_and_run(pilot, "Undo")
        assert fresh(library_dir).get(key).tags == ()


async def test_headless_change_shows_in_the_running_app(library_dir: Path) -> None:
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen, key = await opened(pilot)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        subprocess.run([sys.executable, "-m", "papershelf", "--library", str(library_dir),
                        "tag", "add", "from-shell", key], check=True, env=env, capture_output=True)
        took = await wait_until(pilot, lambda: "from-shell" in screen.papers.record_at(0).get("tags", ()),
                                timeout=2.0)
        assert took < 1.5
        await pilot.pause(0.1)
        assert "#from-shell" in str(screen.query_one("#detail-body").render())
        # A second Library in this process (another writer) adding a paper.
        Library(library_dir).add([Entry("Live Paper From Elsewhere", "Arrived while open.")])
        await wait_until(pilot, lambda: len(screen.papers) == SAMPLE_PAPERS + 1, timeout=2.0)
        assert "live-paper-elsewhere" in screen.papers.shown_keys()


async def test_empty_library_welcome_and_samples(empty_library: Path) -> None:
    app = PapershelfApp(empty_library)
    async with app.run_test(size=SIZE) as pilot:
        screen = await settle(pilot)
        assert screen.library_empty
        assert screen.query_one("#welcome").display
        assert not screen.query_one("#body").display
        text = str(screen.query_one("#welcome-text").render())
        assert "papershelf import" in text and "samples" in text
        await pilot.press("/")  # nothing to filter: said, not silently ignored
        assert any("The library is empty: nothing to filter yet" in str(n.message)
                   for n in app._notifications)
        await pilot.press("s")
        await settle(pilot)
        await wait_until(pilot, lambda: len(screen.papers) == SAMPLE_PAPERS)
        assert not screen.library_empty
        assert screen.query_one("#body").display
        assert app.focused is screen.papers
        assert len(fresh(empty_library)) == SAMPLE_PAPERS


async def test_demo_imports_the_samples_into_an_empty_library(empty_library: Path) -> None:
    app = PapershelfApp(empty_library, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await settle(pilot)
        await wait_until(pilot, lambda: len(screen.papers) == SAMPLE_PAPERS)
    assert len(fresh(empty_library)) == SAMPLE_PAPERS


@pytest.fixture
def hostile_library(tmp_path: Path) -> Path:
    root = tmp_path / "hostile"
    Library(root).add([Entry(title, f"Abstract of {title} [b]bold?[/b] [@click=app.bell]",
                             links=("https://example.org/[x]",), note="[i]note[/i]")
                       for title in HOSTILE])
    return root


async def test_hostile_titles_show_literally_everywhere(hostile_library: Path) -> None:
    app = PapershelfApp(hostile_library)
    async with app.run_test(size=SIZE) as pilot:
        screen = await settle(pilot)
        rows = ["".join(s.text for s in screen.papers.render_line(y)) for y in range(len(HOSTILE))]
        for title in HOSTILE:
            assert any(title in row for row in rows), title
        for _ in HOSTILE:
            detail = str(screen.query_one("#detail-body").render())
            paper = Library(hostile_library).get(screen.papers.current_key or "")
            assert paper.title in detail and "[b]bold?[/b]" in detail and "[i]note[/i]" in detail
            await pilot.press("j")
            await pilot.pause()
        await pilot.press("home", "t")  # the dialog title holds the paper title
        assert isinstance(app.screen, PromptDialog)
        await pilot.press(*"x", "enter", "n")
        assert isinstance(app.screen, NoteDialog)
        await pilot.press(*" [b]more[/b]", "ctrl+s")
        await pilot.press("o")  # a notification with a link holding brackets
        app.open_url = lambda url, new_tab=True: None  # type: ignore[method-assign]
        await pilot.press("o")
        await pilot.press("slash", *"[/]")
        await settle(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running
        app.save_screenshot(str(hostile_library / "shot.svg"))  # renders every visible widget
        key = screen.papers.current_key
        assert key is not None
        assert fresh(hostile_library).get(key).note.endswith("[b]more[/b]")
        assert search(Library(hostile_library).catalog(), "[/]").keys() == screen.papers.shown_keys()


async def test_filter_typing_is_never_blocked(library_dir: Path) -> None:
    """Keys go into the filter box at once even while searches run."""
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await settle(pilot)
        await pilot.press("slash", *"language model pretraining")
        assert screen.query_one("#filter", Input).value == "language model pretraining"
        await settle(pilot)
        assert screen.papers.shown_keys() == search(Library(library_dir).catalog(),
                                                    "language model pretraining").keys()


def test_the_detail_pane_shows_no_control_character_of_a_hand_edited_paper() -> None:
    from papershelf.model import Paper
    from papershelf.text import one_line
    from papershelf.tui.widgets.paper_detail import describe

    paper = Paper(key="k", title="T\x1b]0;PWNED\x07\u202e", abstract="A\x1b[2J\u2066", links=("https://x\x9b",),
                  tags=("t\x1b",), note="N\x1b[7m\nline two", authors=("Ann\x00",), year="20\x0724")
    shown = describe(paper).plain
    assert not any(ch in shown for ch in "\x1b\x07\x9b\x00\u202e\u2066")
    assert "N\nline two" in shown  # (the sequence gone whole, not its escape only)
    assert one_line("a\x1b\x9b\u2067b\nc\rd") == "ab c d"  # (the list's, the dialogs' titles)


#: What a terminal must never be sent: control characters but tab and line feed, and
#: bidirectional controls (which may show text reversed).
UNSHOWN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _hand_edit(root: Path, **fields: object) -> str:
    """Give the first paper of the library ``fields``, as an editor would; its key."""
    path = root / "papers" / "0001.json"
    data = json.loads(path.read_text())
    key = sorted(data["papers"])[0]
    data["papers"][key].update(fields)
    path.write_text(json.dumps(data))
    return key


async def test_dialogs_show_no_control_character_of_a_hand_edited_paper(library_dir: Path) -> None:
    """The tag and note dialogs name the paper, and the note editor shows its note,
    without what would drive the terminal; the note is saved as shown, only when edited,
    and against the note stored (controls and all) as the one it started from."""
    note = "note \x1b[2J cleared? [/] \x1b[5mblink\r\n\u2066line two"
    key = _hand_edit(library_dir, title="Hand \x1b[31mRED\x1b[0m \x07 \x1b]0;pwned\x07 \u202eosc",
                     tags=["ml"], note=note)
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await settle(pilot)
        screen.papers.move_to(screen.papers.shown_keys().index(key))
        for opener in ("t", "T", "n"):
            await pilot.press(opener)
            title = str(app.screen.query_one("#dialog-title").render())
            assert "RED" in title and "osc" in title and not UNSHOWN.search(title), opener
            assert "pwned" not in title and "[31m" not in title  # sequences gone whole
            await pilot.press("escape")
        await pilot.press("n")
        shown = "note  cleared? [/] blink\nline two"
        assert app.screen.query_one(TextArea).text == shown
        await pilot.press("escape")  # nothing typed: closes at once, the note as it was
        assert not isinstance(app.screen, NoteDialog)
        await pilot.press("n", "ctrl+s")
        assert not isinstance(app.screen, NoteDialog)
        assert fresh(library_dir).get(key).note == note
        await pilot.press("n", "!", "ctrl+s")  # saved over the note stored, as shown
        await settle(pilot)
        assert not isinstance(app.screen, NoteDialog)
        assert fresh(library_dir).get(key).note == shown + "!"


async def test_the_palettes_screenshot_is_saved_without_a_downloads_directory(
        library_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual saves a screenshot into the Downloads directory, and failed with no reason
    given where there is none (a server over ssh): it goes to the current directory."""
    home, here = tmp_path / "home", tmp_path / "here"
    home.mkdir()
    here.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.chdir(here)
    app = PapershelfApp(library_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_palette_and_run(pilot, "Screenshot")
        await wait_until(pilot, lambda: any("Saved screenshot" in str(n.message)
                                            for n in app._notifications))
        assert [p.suffix for p in here.iterdir()] == [".svg"]
        assert not any(n.severity == "error" for n in app._notifications)


def test_help_names_no_key_for_a_palette_only_action() -> None:
    """The help screen's key column: "(palette)" for an action with no key, never a word
    that reads as one (it said "palette"); the samples name their key of the empty library."""
    from papershelf.tui.commands import key_label

    labels = {a.action: key_label(a) for a in ACTIONS}
    assert labels["import_samples"] == "s (empty library)"
    assert all(label != "palette" for label in labels.values())
