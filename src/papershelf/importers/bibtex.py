"""Import ``.bib`` files (placeholder until the BibTeX importer lands)."""

from __future__ import annotations

from papershelf.errors import InputError
from papershelf.importers.pages import ParseResult


def parse_bibtex(text: str, file: str) -> ParseResult:
    """Parse BibTeX ``text``; ``file`` names the source."""
    raise InputError(f"{file}: BibTeX import is not available yet", "import a page dump instead")
