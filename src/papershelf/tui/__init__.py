"""The Textual app. Importing this package imports Textual: headless code must not."""

from __future__ import annotations

import os
from pathlib import Path

# Textual paints at most TEXTUAL_FPS frames a second (default 60), read when Textual is
# first imported: a keystroke's results then wait up to 17 ms for the next frame. 120
# halves that wait (keystroke p50 at 100,000 papers: 33-37 ms at 60, 25 ms at 120; see
# BENCHMARKS.md). Frames are only painted when something changed; the user's own
# TEXTUAL_FPS is kept.
os.environ.setdefault("TEXTUAL_FPS", "120")


def run(library_dir: Path, demo: bool = False) -> int:
    """Open the TUI on ``library_dir``; return the exit status."""
    from papershelf.tui.app import PapershelfApp

    app = PapershelfApp(library_dir, demo=demo)
    app.run()
    return app.return_code or 0
