"""A new user's first run: where the demo goes."""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

import pytest

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
