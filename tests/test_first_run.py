"""A new user's first run: where the demo goes, a machine without a home directory, what
``pip install '.[test]'`` brings."""

from __future__ import annotations

import argparse
import io
import os
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from papershelf import settings
from papershelf.cli import main, run_tui
from papershelf.kept import keep_unsaved_note, unsaved_notes


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_each_user_has_a_demo_library_of_their_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a shared machine the first user's demo library would be another's: read-only
    to them, every change an error."""
    opened: list[Path] = []

    def run(library_dir: Path, demo: bool = False) -> int:
        opened.append(library_dir)
        return 0

    monkeypatch.setattr("papershelf.tui.run", run)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    for uid in (1000, 1001):
        monkeypatch.setattr(os, "getuid", lambda uid=uid: uid)
        for stream in ("stdin", "stdout", "stderr"):
            monkeypatch.setattr(sys, stream, _Terminal())
        assert run_tui(argparse.Namespace(demo=True, library=None)) == 0
    assert opened == [tmp_path / "papershelf-demo-1000", tmp_path / "papershelf-demo-1001"]


def test_a_demo_library_others_may_write_in_is_refused(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from papershelf.errors import LibraryError

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    made = tmp_path / f"papershelf-demo-{os.getuid()}"
    made.mkdir()
    made.chmod(0o777)  # made first by another user, or so
    for stream in ("stdin", "stdout", "stderr"):
        monkeypatch.setattr(sys, stream, _Terminal())
    with pytest.raises(LibraryError, match=r"cannot use the demo library .*set TMPDIR"):
        run_tui(argparse.Namespace(demo=True, library=None))


@pytest.fixture
def no_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No home directory: ``HOME`` unset (``env -i``, a service) and the user not in the
    password database (a container's ``--user 12345``)."""
    for name in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME",
                 "PAPERSHELF_LIBRARY", "PAPERSHELF_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)

    def unknown_user(uid: int) -> None:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr("pwd.getpwuid", unknown_user)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.chdir(tmp_path)


@pytest.mark.usefixtures("no_home")
def test_without_a_home_directory_the_default_library_is_a_clear_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Not an "unexpected RuntimeError" to report, nor a library in ``./~/.local/share``."""
    assert main(["stats"]) == 1
    assert capsys.readouterr().err == ("papershelf: error: no home directory to keep the library in "
                                       "(set HOME, or pick a library with --library DIR or "
                                       "$PAPERSHELF_LIBRARY)\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("no_home")
def test_without_a_home_directory_the_app_still_has_settings_and_keeps_notes(tmp_path: Path) -> None:
    """The TUI on ``--library DIR`` read its theme from the user config directory and
    failed to start; a note typed when its terminal closed goes to the fallback."""
    assert settings.load() == {}
    settings.save(theme="nord")  # nowhere to save it: not an error
    kept = keep_unsaved_note(tmp_path / "library", "k", "typed")
    assert kept is not None and Path(kept).is_relative_to(tmp_path / f"papershelf-kept-{os.getuid()}")
    assert unsaved_notes(tmp_path / "library") == [Path(kept)]


#: The pytest options pyproject.toml sets that a plugin reads, and the first version of
#: that plugin that knows them (an older one warns and runs the tests otherwise).
_OPTION_SINCE = {"asyncio_default_fixture_loop_scope": ("pytest-asyncio", Version("0.24"))}


def test_the_test_extra_asks_for_plugins_that_know_the_options_set() -> None:
    """``pip install -e '.[test]'`` keeps a plugin already installed that meets the
    lower bound: pytest-asyncio 0.23 with pytest 8 fails to collect any test."""
    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    lowest = {}
    for line in project["project"]["optional-dependencies"]["test"]:
        requirement = Requirement(line)
        lowest[requirement.name] = min((Version(spec.version) for spec in requirement.specifier
                                        if spec.operator in (">=", "==")), default=Version("0"))
    for option in project["tool"]["pytest"]["ini_options"]:
        if option in _OPTION_SINCE:
            plugin, since = _OPTION_SINCE[option]
            assert lowest[plugin] >= since, f"{option} needs {plugin}>={since}"
