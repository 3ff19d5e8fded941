"""The bundled sample page dumps (five Hugging Face Papers listings)."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def sample_dir() -> Path:
    """The directory holding the bundled samples: inside the installed package, or the
    repository's ``sample_data/`` for an editable install."""
    for candidate in (_HERE / "sample_data", _HERE.parent.parent / "sample_data"):
        if candidate.is_dir() and any(candidate.glob("*.txt")):
            return candidate
    raise FileNotFoundError("the bundled sample papers are missing from this installation")


def sample_paths() -> list[Path]:
    """The sample page dumps, sorted by name."""
    return sorted(sample_dir().glob("*.txt"))
