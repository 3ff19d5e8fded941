"""Exporters: papers to BibTeX, Markdown and JSON.

This package module stays light (no LaTeX or BibTeX libraries): a command whose
entries all come from the export cache never imports the exporters themselves.
"""

from __future__ import annotations

import zlib
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
    """What :func:`~papershelf.exporters.bibtex.paper_to_bibtex` writes depends on
    besides the paper, as a string naming the entries in the export cache: the
    versions of papershelf and pylatexenc and a checksum of the code (a CRC is enough
    to tell edits apart, and costs no hashlib import); ``""`` if the code cannot be
    read (then nothing is cached)."""
    import pylatexenc

    sums = []
    try:
        for name in _BIBTEX_SOURCES:
            code = (_PACKAGE / name).read_bytes()
            sums.append(f"{len(code)}:{zlib.crc32(code):08x}")
    except OSError:
        return ""
    return f"{__version__} {pylatexenc.__version__} {' '.join(sums)}"


def bibtex_entry(paper: Paper) -> str:
    """``paper``'s BibTeX entry (imports the exporter on first use)."""
    from papershelf.exporters.bibtex import paper_to_bibtex

    return paper_to_bibtex(paper)
