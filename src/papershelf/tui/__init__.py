"""The Textual app. Importing this package imports Textual: headless code must not."""

from __future__ import annotations

from pathlib import Path


def run(library_dir: Path, demo: bool = False) -> int:
    """Open the TUI on ``library_dir``; return the exit status."""
    from papershelf.tui.app import PapershelfApp

    app = PapershelfApp(library_dir, demo=demo)
    app.run()
    return app.return_code or 0
