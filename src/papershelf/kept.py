"""Notes that could not be saved, kept in files where a reboot does not clear them.

``papershelf note KEY`` in ``$EDITOR`` keeps yours there when another process saved
the note meanwhile; the TUI keeps a note being typed when its terminal closes (in a
directory of its library's own), and names those files when it starts again on that
library, until they are removed.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from papershelf.paths import private_dir, user_dir, user_temp_path

#: How the TUI names a note it kept when its terminal closed (``KEY`` goes after it).
UNSAVED_PREFIX = "papershelf-unsaved-note-"


def kept_dir() -> Path | None:
    """Where kept notes go: ``~/.local/state/papershelf/kept`` on Linux (``None`` without
    a home directory)."""
    state = user_dir("state", appauthor=None)
    return None if state is None else state / "kept"


def _fallback_dir() -> Path:
    """Where they go when :func:`kept_dir` cannot be written: ``papershelf-kept-UID`` in
    the temporary directory."""
    return user_temp_path("papershelf-kept")


def _checked(directory: Path) -> Path:
    """``directory``; the fallback only if it is this user's alone, made so if it is
    missing (:func:`~papershelf.paths.private_dir`): another user could make it first, to
    read what goes in it or to put there what the TUI would offer as notes."""
    return private_dir(directory) if directory == _fallback_dir() else directory


def _directories() -> list[Path]:
    """Where kept notes are, in the order they go: :func:`kept_dir`, then the fallback."""
    return [directory for directory in (kept_dir(), _fallback_dir()) if directory is not None]


def keep_text(text: str, prefix: str, subdir: str = "") -> str:
    """Write ``text`` to a new Markdown file named ``PREFIX...md`` in :func:`kept_dir`
    (in the temporary directory if that cannot be written), under ``subdir``; return
    its path."""
    for found in _directories():
        directory = found / subdir
        try:
            _checked(found)
            directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".md", prefix=prefix,
                                             dir=directory, delete=False) as handle:
                handle.write(text)
            return handle.name
        except OSError:
            if directory.is_relative_to(_fallback_dir()):
                raise
    raise AssertionError("unreachable")


def _library_subdir(library: Path) -> str:
    """The directory of the notes kept for ``library`` (each library its own: keys
    repeat across libraries, and the demo's are the real one's)."""
    digest = hashlib.sha256(str(library.resolve()).encode("utf-8", "surrogateescape"))
    return "library-" + digest.hexdigest()[:16]


def keep_unsaved_note(library: Path, key: str, text: str) -> str | None:
    """Keep the note ``text`` typed for paper ``key`` of ``library`` in the TUI and not
    saved when it ended (the terminal closed); its path, ``None`` if it could not be
    written anywhere."""
    try:
        return keep_text(text.rstrip("\n") + "\n", f"{UNSAVED_PREFIX}{key}-",
                         _library_subdir(library))
    except OSError:
        return None


def unsaved_notes(library: Path) -> list[Path]:
    """The notes the TUI kept for ``library`` when its terminal closed, oldest first."""
    found: list[Path] = []
    for directory in _directories():
        try:
            if directory.is_dir():  # (not made here only to be read)
                _checked(directory)
            found += (directory / _library_subdir(library)).glob(f"{UNSAVED_PREFIX}*.md")
        except OSError:
            continue
    return sorted(found, key=lambda path: path.stat().st_mtime if path.exists() else 0.0)
