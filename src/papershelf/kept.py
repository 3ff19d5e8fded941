"""Notes that could not be saved, kept in files where a reboot does not clear them.

``papershelf note KEY`` in ``$EDITOR`` keeps yours there when another process saved
the note meanwhile; the TUI keeps a note being typed when its terminal closes, and
names those files when it starts again, until they are removed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

#: How the TUI names a note it kept when its terminal closed (``KEY`` goes after it).
UNSAVED_PREFIX = "papershelf-unsaved-note-"


def kept_dir() -> Path:
    """Where kept notes go: ``~/.local/state/papershelf/kept`` on Linux."""
    from platformdirs import user_state_path

    return user_state_path("papershelf") / "kept"


def keep_text(text: str, prefix: str) -> str:
    """Write ``text`` to a new Markdown file named ``PREFIX...md`` in :func:`kept_dir`
    (in the temporary directory if that cannot be written); return its path."""
    for directory in (kept_dir(), None):
        try:
            if directory is not None:
                directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".md", prefix=prefix,
                                             dir=directory, delete=False) as handle:
                handle.write(text)
            return handle.name
        except OSError:
            if directory is None:
                raise
    raise AssertionError("unreachable")


def keep_unsaved_note(key: str, text: str) -> str | None:
    """Keep the note ``text`` typed for paper ``key`` in the TUI and not saved when it
    ended (the terminal closed); its path, ``None`` if it could not be written."""
    try:
        return keep_text(text.rstrip("\n") + "\n", f"{UNSAVED_PREFIX}{key}-")
    except OSError:
        return None


def unsaved_notes() -> list[Path]:
    """The notes the TUI kept when its terminal closed, oldest first."""
    try:
        found = list(kept_dir().glob(f"{UNSAVED_PREFIX}*.md"))
    except OSError:
        return []
    return sorted(found, key=lambda path: path.stat().st_mtime if path.exists() else 0.0)
