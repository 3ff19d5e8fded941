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
#: The source files whose code decides what a paper's JSON says.
_JSON_SOURCES = ("exporters/__init__.py", "model.py", "library.py")


def _code_version(sources: tuple[str, ...], *others: str) -> str:
    """Everything a rendering depends on besides the paper, as a string naming the
    entries in the export cache: the versions of papershelf and of ``others`` and a
    checksum of the code (a CRC tells edits apart, and costs no hashlib import);
    ``""`` if the code cannot be read (then nothing is cached)."""
    sums = []
    try:
        for name in sources:
            code = (_PACKAGE / name).read_bytes()
            sums.append(f"{len(code)}:{zlib.crc32(code):08x}")
    except OSError:
        return ""
    return " ".join([__version__, *others, *sums])


def bibtex_version() -> str:
    """Names what :func:`bibtex_entry` writes (see :func:`_code_version`)."""
    import pylatexenc

    return _code_version(_BIBTEX_SOURCES, f"pylatexenc {pylatexenc.__version__}")


def bibtex_entry(paper: Paper) -> str:
    """``paper``'s BibTeX entry (imports the exporter on first use)."""
    from papershelf.exporters.bibtex import paper_to_bibtex

    return paper_to_bibtex(paper)


def json_version() -> str:
    """Names what :func:`json_entry` writes (see :func:`_code_version`)."""
    import orjson

    return _code_version(_JSON_SOURCES, f"orjson {orjson.__version__}")


def json_entry(paper: Paper) -> str:
    """``paper`` as an element of the JSON export's list, indented as
    ``orjson.dumps(papers, option=OPT_INDENT_2)`` indents it: the export is
    ``[``, the elements joined by ``,`` and newlines, ``]`` (``[]`` for none)."""
    import orjson

    text: str = orjson.dumps(paper.to_json(), option=orjson.OPT_INDENT_2).decode()
    return "  " + text.replace("\n", "\n  ")  # JSON strings hold no raw newline
