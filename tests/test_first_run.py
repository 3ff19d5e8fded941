"""A new user's first run: where the demo goes, what ``pip install '.[test]'`` brings."""

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

from papershelf.cli import run_tui


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
