"""Snapshot tests of what people see (pytest-textual-snapshot).

Regenerate after an intended change with ``pytest tests/tui --snapshot-update`` and
look at the SVGs before committing them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from papershelf.library import Library
from papershelf.search import search
from papershelf.tui.app import PapershelfApp
from papershelf.tui.widgets.fields import FilterField

from .conftest import settle


def decorate(root: Path) -> None:
    """Give a few papers tags, a read state and a note, deterministically."""
    library = Library(root)
    keys = search(library.catalog(), "").keys()
    library.tag(keys[:3], "vlp")
    library.tag(keys[1:2], "to-read")
    library.set_read(keys[2:4], True)
    library.set_note(keys[1], "Compare with CLIP.\nRead section 3 first.")


async def ready(pilot: Pilot[Any]) -> None:
    """Wait until the first results and the indexes are in, and the filter box has kept
    the placeholder of its width for 0.1 s (taken on a resize, which a loaded machine
    delivered after the rest: the 80x24 snapshot showed the short one of the moment the
    count still said "indexing…")."""
    await settle(pilot)
    field = pilot.app.screen.query_one("#filter", FilterField)
    field.cursor_blink = False
    stable = 0  # (checks in a row: the count's last change may not be laid out yet)
    for _ in range(200):
        await pilot.pause(0.02)
        stable = stable + 1 if field.placeholder == field.fitting_placeholder() else 0
        if stable == 5:
            break


def test_main_screen(snap_compare: Any, library_dir: Path) -> None:
    decorate(library_dir)
    assert snap_compare(PapershelfApp(library_dir), terminal_size=(140, 40), run_before=ready)


def test_main_screen_80x24(snap_compare: Any, library_dir: Path) -> None:
    decorate(library_dir)
    assert snap_compare(PapershelfApp(library_dir), terminal_size=(80, 24), run_before=ready)


def test_detail_of_a_tagged_paper_with_a_note(snap_compare: Any, library_dir: Path) -> None:
    decorate(library_dir)

    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("j", "v")  # the second paper, marked; cursor on the third
        await pilot.press("k")
        await pilot.pause()

    assert snap_compare(PapershelfApp(library_dir), terminal_size=(140, 40), run_before=run_before)


def test_filtered(snap_compare: Any, library_dir: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("slash", *"clip data", "escape")
        await settle(pilot)

    assert snap_compare(PapershelfApp(library_dir), terminal_size=(120, 30), run_before=run_before)


def test_help(snap_compare: Any, library_dir: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(PapershelfApp(library_dir), terminal_size=(120, 40), run_before=run_before)


def test_tag_dialog(snap_compare: Any, library_dir: Path) -> None:
    decorate(library_dir)

    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("end", "t", "v")
        await pilot.pause()
        pilot.app.screen.query_one("#prompt-input").cursor_blink = False  # type: ignore[attr-defined]
        await pilot.pause()

    assert snap_compare(PapershelfApp(library_dir), terminal_size=(120, 30), run_before=run_before)


def test_note_dialog(snap_compare: Any, library_dir: Path) -> None:
    decorate(library_dir)

    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("j", "n")
        await pilot.pause()
        pilot.app.screen.query_one("#note-editor").cursor_blink = False  # type: ignore[attr-defined]
        await pilot.pause()

    assert snap_compare(PapershelfApp(library_dir), terminal_size=(120, 30), run_before=run_before)


def test_empty_library(snap_compare: Any, empty_library: Path) -> None:
    assert snap_compare(PapershelfApp(empty_library), terminal_size=(100, 30), run_before=ready)


def test_empty_library_80x24(snap_compare: Any, empty_library: Path) -> None:
    assert snap_compare(PapershelfApp(empty_library), terminal_size=(80, 24), run_before=ready)
