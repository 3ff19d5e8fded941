"""BibTeX export through a cache of rendered entries, one file per shard.

Rendering is most of an export's time (escaping every abstract, bibtexparser's
writer): about 35 µs a paper, 3.5 s for 100,000. People export again and again (a
``Makefile`` that rebuilds ``refs.bib`` before each LaTeX run), and between two exports
few shards change, so each shard's entries are kept in ``.cache/bibtex/NNNN.json``
under the identity of the shard's two files and a checksum of the code that rendered
them; an export renders only the shards that changed since the last one. Anything that
does not match exactly is a miss, and the cache is never needed to export: deleting it
only costs time.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from papershelf.records import shard_papers
from papershelf.shard import write_cache

if TYPE_CHECKING:
    from papershelf.library import Library
    from papershelf.shard import Shard

CACHE_NAME = "bibtex"
#: Where our code lives: every module outside the TUI may take part in rendering (the
#: entry order, the links of a .bib entry, ...), so all of them name the code.
PACKAGE = Path(__file__).resolve().parent.parent
#: Libraries whose code renders too: a reinstall replaces their files (new inode, times).
_RENDERING_LIBRARIES = ("bibtexparser", "pylatexenc")


def code_checksum(package: Path = PACKAGE) -> str | None:
    """A checksum of the code that renders entries, ``None`` if it cannot be read (then
    nothing is cached)."""
    crc = 0
    try:
        for path in sorted(package.rglob("*.py")):
            if "tui" not in path.relative_to(package).parts:
                crc = zlib.crc32(path.read_bytes(), crc)
        for name in _RENDERING_LIBRARIES:
            spec = importlib.util.find_spec(name)
            origin = spec.origin if spec else None
            if not origin:
                return None
            stat = os.stat(origin)
            crc = zlib.crc32(f"{origin}:{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_ctime_ns}".encode(),
                             crc)
    except (OSError, ImportError, ValueError):
        return None
    return f"{crc:08x}"


def shard_entries(library: Library, shard: Shard, code: str | None) -> dict[str, str]:
    """The BibTeX entry of every paper in ``shard`` by key, in the order they were
    added: from the cache when it was written for these very files by this code, else
    rendered (and cached). Call it outside a write transaction: inside one, the records
    read would be the uncommitted ones, not those of the files on disk."""
    path = library.cache_dir / CACHE_NAME / f"{shard.number:04d}.json"
    stamp = _json_stamp(shard)
    if code is not None:
        with contextlib.suppress(OSError, orjson.JSONDecodeError, KeyError, TypeError):
            cached = orjson.loads(path.read_bytes())
            entries: dict[str, str] = cached["entries"]
            if cached["stamp"] == stamp and cached["code"] == code and isinstance(entries, dict) \
                    and all(isinstance(text, str) for text in entries.values()):
                return entries
    from papershelf.exporters.bibtex import render_entry

    entries = {paper.key: render_entry(paper) for paper in shard_papers(shard)}
    # Cache only what was rendered from the files the stamp names (no writer came between).
    if code is not None and _json_stamp(shard) == stamp:
        write_cache(path, {"stamp": stamp, "code": code, "entries": entries})
    return entries


def _json_stamp(shard: Shard) -> object:
    """The identity of the shard's files as it reads back from the cache's JSON."""
    return orjson.loads(orjson.dumps(shard.disk_stamp()))


def bibtex_pieces(library: Library, keys: Sequence[str] | None = None) -> Iterator[str]:
    """The BibTeX export of ``keys`` in that order (every paper, in the order added, when
    ``None``), in pieces to write out in order; the same text as
    :func:`papershelf.exporters.bibtex.to_bibtex` of those papers. Papers deleted by
    another process since ``keys`` were chosen are left out."""
    code = code_checksum()
    first = True
    if keys is None:
        for shard in library.shards:
            texts = shard_entries(library, shard, code)
            if texts:
                yield ("" if first else "\n") + "\n".join(texts.values())
                first = False
        return
    loaded: dict[int, dict[str, str]] = {}
    for key in keys:
        shard = library.shard_of(key)
        entries = loaded.get(shard.number)
        if entries is None:
            entries = loaded[shard.number] = shard_entries(library, shard, code)
        entry = entries.get(key)
        if entry is not None:  # None: another process deleted the paper since we looked
            yield ("" if first else "\n") + entry
            first = False
