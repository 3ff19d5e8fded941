"""BibTeX export (placeholder until the BibTeX exporter lands)."""

from __future__ import annotations

from collections.abc import Iterable

from papershelf.errors import PapershelfError
from papershelf.model import Paper


def to_bibtex(papers: Iterable[Paper]) -> str:
    """BibTeX for ``papers``, one entry each."""
    raise PapershelfError("BibTeX export is not available yet", "use --format json or markdown")
