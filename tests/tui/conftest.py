"""Fixtures for the TUI tests: a sample library in tmp_path, a private config dir,
and helpers that wait for the app's workers instead of sleeping."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerState

from papershelf.importers import parse_input, read_input
from papershelf.library import Library
from papershelf.model import Entry
from papershelf.samples import sample_paths
from papershelf.tui.app import PapershelfApp
from papershelf.tui.screens.main import MainScreen

BUSY_GROUPS = ("search", "import", "export", "indexes")
SAMPLE_PAPERS = 356


def sample_entries() -> list[Entry]:
    """Every entry of the bundled sample dumps."""
    entries: list[Entry] = []
    for path in sample_paths():
        entries.extend(parse_input(*read_input(str(path))).entries)
    return entries


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings (the theme) go to a temporary directory, never the user's."""
    directory = tmp_path / "config"
    monkeypatch.setenv("PAPERSHELF_CONFIG_DIR", str(directory))
    return directory


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library holding the samples, imported once per session."""
    root = tmp_path_factory.mktemp("template") / "library"
    Library(root).add(sample_entries())
    return root


@pytest.fixture
def library_dir(tmp_path: Path, sample_template: Path) -> Path:
    """A fresh copy of the sample library for one test."""
    root = tmp_path / "library"
    shutil.copytree(sample_template, root)
    return root


@pytest.fixture
def empty_library(tmp_path: Path) -> Path:
    """A library directory with no papers."""
    root = tmp_path / "empty"
    Library(root)
    return root


def main_screen(app: PapershelfApp) -> MainScreen:
    """The main screen (under any open dialog)."""
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


async def settle(pilot: Pilot[None], timeout: float = 10.0) -> MainScreen:
    """Wait until searches, imports, exports and queued changes are done and their
    results shown."""
    app = pilot.app
    assert isinstance(app, PapershelfApp)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = main_screen(app)
        busy = [w for w in app.workers if w.group in BUSY_GROUPS
                and w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
        if not busy and screen.first_results_at is not None and not screen.indexing \
                and not screen._writes and _footer_shown(screen):
            await pilot.pause(0.05)
            if not [w for w in app.workers if w.group in BUSY_GROUPS
                    and w.state in (WorkerState.PENDING, WorkerState.RUNNING)]:
                return screen
        await pilot.pause(0.02)
    raise AssertionError("the app did not settle")


def _footer_shown(screen: MainScreen) -> bool:
    """Whether the footer, mounted once the first papers show, has composed its keys."""
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    return any(footer.query(FooterKey) for footer in screen.query(Footer))


async def opened(pilot: Pilot[None]) -> tuple[MainScreen, str]:
    """The main screen once settled, and the key of the paper under the cursor."""
    screen = await settle(pilot)
    key = screen.papers.current_key
    assert key is not None
    return screen, key


async def wait_until(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 3.0) -> float:
    """Wait for ``condition``; returns the seconds it took (fails after ``timeout``)."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)
    return time.monotonic() - start


def fresh(root: Path) -> Library:
    """The library as a new process would see it on disk."""
    return Library(root)
