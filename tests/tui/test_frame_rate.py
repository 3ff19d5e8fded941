"""The TUI asks Textual for up to 120 frames a second unless the user set their own."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = ("import os, papershelf.tui, textual.constants as c; "
         "print(c.MAX_FPS, os.environ.get('TEXTUAL_FPS'))")


@pytest.mark.parametrize(("own", "expected"), [(None, "120 None"), ("30", "30 30")])
def test_frame_rate(own: str | None, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    if own is not None:
        env["TEXTUAL_FPS"] = own
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == expected  # and the variable is not left for child processes
