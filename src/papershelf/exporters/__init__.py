"""Exporters: papers to BibTeX, Markdown and JSON.

This package module stays light (no LaTeX or BibTeX libraries): a command whose
entries all come from the export cache never imports the exporters themselves.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from papershelf import __version__

if TYPE_CHECKING:
    from papershelf.model import Paper

_PACKAGE = Path(__file__).resolve().parent.parent
#: The source files whose code decides what a paper's BibTeX entry says.
_BIBTEX_SOURCES = ("exporters/bibtex.py", "latex.py", "importers/bibtex.py", "importers/pages.py",
                   "model.py", "library.py")


def bibtex_version() -> str:
    """A digest of everything :func:`~papershelf.exporters.bibtex.paper_to_bibtex`
    depends on besides the paper (the code and pylatexenc's version), naming the
    entries in the export cache; ``""`` if the code cannot be read (no caching)."""
    import pylatexenc

    digest = hashlib.blake2b(f"{__version__} {pylatexenc.__version__}".encode(), digest_size=16)
    try:
        for name in _BIBTEX_SOURCES:
            digest.update((_PACKAGE / name).read_bytes())
    except OSError:
        return ""
    return digest.hexdigest()


def bibtex_entry(paper: Paper) -> str:
    """``paper``'s BibTeX entry (imports the exporter on first use)."""
    from papershelf.exporters.bibtex import paper_to_bibtex

    return paper_to_bibtex(paper)
