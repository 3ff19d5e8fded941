"""The Textual app. Importing this package imports Textual: headless code must not."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def _paint_up_to(fps: int) -> None:
    """Let Textual paint up to ``fps`` frames a second (its default is 60) unless the
    user set ``TEXTUAL_FPS``: a keystroke's results wait up to one frame to be painted,
    and at 120 half as long (keystroke p50 at 100,000 papers: 32-37 ms at 60, 25-29 ms at
    120; BENCHMARKS.md). Frames are only painted when something changed. Textual reads
    the variable once, when ``textual.constants`` is first imported; child processes
    (an editor, the clipboard tool) do not inherit it."""
    if "TEXTUAL_FPS" in os.environ:
        return
    os.environ["TEXTUAL_FPS"] = str(fps)
    try:
        import textual.constants  # noqa: F401  (reads TEXTUAL_FPS now)
    finally:
        del os.environ["TEXTUAL_FPS"]


_paint_up_to(120)


def run(library_dir: Path, demo: bool = False) -> int:
    """Open the TUI on ``library_dir``; return the exit status."""
    from papershelf.tui.app import PapershelfApp

    app = PapershelfApp(library_dir, demo=demo)
    app.run()
    if waiting := app.changes_still_queued():  # a signal ended the app: the process waits
        import sys

        from papershelf.text import plural

        with contextlib.suppress(OSError):  # (a closed terminal)
            print(f"papershelf: stopped; saving {plural(waiting, 'waiting change')} first "
                  "(another papershelf holds the library, or an import is being saved)",
                  file=sys.stderr, flush=True)
    return app.return_code or 0
