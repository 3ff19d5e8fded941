"""BibTeX export through a cache of rendered entries, one file per shard.

Rendering is most of an export's time (reading every abstract and escaping it): about
22 µs a paper, 2.2 s for 100,000 on one core. People export again and again (a
``Makefile`` that rebuilds ``refs.bib`` before each LaTeX run), and between two exports
few shards change, so each shard's entries are kept in ``.cache/bibtex/NNNN.bib``
under the identity of the shard's two files and a checksum of the code that rendered
them; an export renders only the shards that changed since the last one. Anything that
does not match exactly is a miss, and the cache is never needed to export: deleting it
only costs time.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import zlib
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from papershelf.exporters import joined
from papershelf.exporters.bibtex_order import crossref_order
from papershelf.shard import write_cache
from papershelf.storage import load_json

if TYPE_CHECKING:
    from papershelf.exporters.bibtex import Citable
    from papershelf.library import Library
    from papershelf.shard import Shard

CACHE_NAME = "bibtex"
#: Where our code lives: every module outside the TUI may take part in rendering (the
#: entry order, the links of a .bib entry, ...), so all of them name the code.
PACKAGE = Path(__file__).resolve().parent.parent
#: Libraries whose code renders too: a reinstall replaces their files (new inode, times).
_RENDERING_LIBRARIES = ("bibtexparser", "pylatexenc", "anyascii")


def code_checksum(package: Path = PACKAGE) -> str | None:
    """A checksum of the code that renders entries, ``None`` if it cannot be read (then
    nothing is cached). Each file counts by its identity (path, inode, size, times), as
    the rendering libraries do: an edit or a reinstall changes it. Reading every module's
    text, as this did before, took about 1 ms of each export; this takes 0.1 ms."""
    crc = 0
    try:
        crc = _crc_of_modules(package, crc)
        for name in _RENDERING_LIBRARIES:
            spec = importlib.util.find_spec(name)
            origin = spec.origin if spec else None
            if not origin:
                return None
            crc = _crc_of_file(origin, os.stat(origin), crc)
    except (OSError, ImportError, ValueError):
        return None
    return f"{crc:08x}"


def _crc_of_modules(directory: Path | str, crc: int) -> int:
    """``crc`` updated with the identity of every module under ``directory`` but the TUI's."""
    with os.scandir(directory) as found:
        entries = sorted(found, key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name not in ("tui", "__pycache__"):
                crc = _crc_of_modules(entry.path, crc)
        elif entry.name.endswith(".py"):
            crc = _crc_of_file(entry.path, entry.stat(), crc)
    return crc


def _crc_of_file(path: str, stat: os.stat_result, crc: int) -> int:
    return zlib.crc32(f"{path}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}"
                      .encode(), crc)


class ShardEntries:
    """The rendered entries of one shard as the UTF-8 bytes an export writes: ``body``
    is all of them in the order added, joined by blank lines (``keys[i]``'s entry is
    ``sizes[i]`` bytes long); :meth:`get` slices out one entry by key. ``crossrefs``
    maps the keys of entries with a ``crossref`` field to the key it names. ``cached``
    says whether they came from the cache."""

    def __init__(self, keys: list[str], sizes: list[int], body: memoryview | bytes,
                 crossrefs: dict[str, str], cached: bool) -> None:
        self.keys = keys
        self.sizes = sizes
        self.body = memoryview(body)
        self.crossrefs = crossrefs
        self.cached = cached
        self._spans: dict[str, tuple[int, int]] | None = None

    def __reduce__(self) -> tuple[type[ShardEntries], tuple[Any, ...]]:
        """From a worker (:mod:`papershelf.forked`): the entries' bytes cross the pipe."""
        return ShardEntries, (self.keys, self.sizes, self.body.tobytes(), self.crossrefs,
                              self.cached)

    @classmethod
    def rendered(cls, entries: dict[str, str], crossrefs: dict[str, str]) -> ShardEntries:
        """From freshly rendered entries by key."""
        encoded = [text.encode() for text in entries.values()]
        return cls(list(entries), [len(data) for data in encoded],
                   b"\n".join(encoded), crossrefs, False)

    def get(self, key: str) -> memoryview | None:
        """The entry of ``key``, ``None`` if the shard has no such paper."""
        if self._spans is None:
            self._spans = {}
            start = 0
            for name, size in zip(self.keys, self.sizes, strict=True):
                self._spans[name] = (start, start + size)
                start += size + 1
        span = self._spans.get(key)
        return None if span is None else self.body[span[0]:span[1]]

    def cache_file(self, stamp: object, code: str) -> bytes:
        """What :func:`_read` takes back for ``stamp`` and ``code``."""
        import orjson

        header = orjson.dumps({"stamp": stamp, "code": code, "keys": self.keys,
                               "sizes": self.sizes, "crossrefs": self.crossrefs})
        return b"% " + header + b"\n" + self.body


def shard_entries(library: Library, shard: Shard, code: str | None,
                  use_cache: bool = True) -> ShardEntries:
    """The BibTeX entries of every paper in ``shard``: from the cache when it was written
    for these very files by this code (and ``use_cache``), else rendered (and cached).
    Call it outside a write transaction: inside one, the records read would be the
    uncommitted ones, not those of the files on disk."""
    cached = cached_entries(library, shard, code) if use_cache else None
    return cached if cached is not None else rendered_entries(library, shard, code)


def _cache_path(library: Library, shard: Shard) -> Path:
    return library.cache_dir / CACHE_NAME / f"{shard.number:04d}.bib"


def cached_entries(library: Library, shard: Shard, code: str | None) -> ShardEntries | None:
    """The shard's entries from the cache, ``None`` unless written for its files by ``code``."""
    if code is None:
        return None
    return _read(_cache_path(library, shard), _json_stamp(shard), code)


def rendered_entries(library: Library, shard: Shard, code: str | None) -> ShardEntries:
    """Render the shard's entries, and cache them when ``code`` names the renderer."""
    return _rendered_and_cached(library, shard, code)[0]


def _rendered_and_cached(library: Library, shard: Shard, code: str | None
                         ) -> tuple[ShardEntries, bool]:
    """:func:`rendered_entries`, and whether they were cached."""
    from papershelf.records import ExportRecord, shard_papers

    stamp = _json_stamp(shard)
    entries = _rendered(list(shard_papers(shard, ExportRecord)))
    cached = False
    # Cache only what was rendered from the files the stamp names (no writer came between).
    if code is not None and _json_stamp(shard) == stamp:
        path = _cache_path(library, shard)
        cached = write_cache(path, entries.cache_file(stamp, code))
        with contextlib.suppress(OSError):
            path.with_suffix(".json").unlink(missing_ok=True)  # the cache's old format
    return entries, cached


def _rendered(papers: Sequence[Citable]) -> ShardEntries:
    from papershelf.exporters.bibtex import crossrefs_of, render_entry

    return ShardEntries.rendered({paper.key: render_entry(paper) for paper in papers},
                                 crossrefs_of(papers))


def _rendered_only(shard: Shard, keys: Iterable[str]) -> ShardEntries:
    """The entries of those of ``keys`` still in ``shard``, rendered (not cached)."""
    from papershelf.records import ExportRecord, shard_papers

    return _rendered(list(shard_papers(shard, ExportRecord, keys)))


def _read(path: Path, stamp: object, code: str) -> ShardEntries | None:
    """The cached entries at ``path`` if they are whole and were written for ``stamp`` by
    ``code``, else ``None``. The file is a BibTeX comment line holding a JSON header
    (stamp, code, keys and the byte size of each entry) and then the entries, so that a
    whole-shard export writes its bytes out without parsing them."""
    with contextlib.suppress(OSError, KeyError, TypeError, ValueError):
        data = path.read_bytes()
        end = data.index(b"\n")
        head = load_json(data[2:end])
        keys, sizes, crossrefs = head["keys"], head["sizes"], head["crossrefs"]
        body = memoryview(data)[end + 1:]  # a view: 160 MB of entries at 100k, not copied
        if _written_for(head, stamp, code) and len(keys) == len(sizes) \
                and all(isinstance(key, str) for key in keys) and _fits(sizes, body) \
                and _is_crossrefs(crossrefs):
            return ShardEntries(keys, sizes, body, crossrefs, True)
    return None


def _is_crossrefs(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def _fits(sizes: list[int], body: memoryview) -> bool:
    """Whether ``body`` is entries of ``sizes`` bytes joined by newlines, each entry
    starting with ``@`` and ending with a newline (a torn or altered file is not)."""
    length, start = len(body), 0
    for size in sizes:
        end = start + size if type(size) is int and size > 0 else length + 1
        if end > length or body[start] != 64 or body[end - 1] != 10 \
                or (end < length and body[end] != 10):  # 64 "@", 10 newline
            return False
        start = end + 1
    return start == length + 1 or (not sizes and not body)


def _json_stamp(shard: Shard) -> object:
    """The identity of the shard's files as it reads back from the cache's JSON."""
    return json.loads(json.dumps(shard.disk_stamp()))


def cache_is_current(library: Library, shard: Shard, code: str | None) -> bool:
    """Whether the shard's cache file was written for its files by ``code``, judged by
    its header line alone (the entries are checked when read)."""
    if code is None:
        return False
    with contextlib.suppress(OSError, KeyError, TypeError, ValueError):
        with open(_cache_path(library, shard), "rb") as handle:
            head = load_json(handle.readline()[2:])
        return _written_for(head, _json_stamp(shard), code)
    return False


def _written_for(head: dict[str, Any], stamp: object, code: str) -> bool:
    """Whether a cache file's header names these shard files and this rendering code."""
    return bool(head["stamp"] == stamp and head["code"] == code)


def renamed(entry: bytes | memoryview, key: str, new: str) -> bytes:
    """The rendered ``entry`` of ``key`` with ``new`` as its key."""
    head = f"{{{key},".encode()
    return bytes(entry).replace(head, f"{{{new},".encode(), 1)


def bibtex_pieces(library: Library, keys: Sequence[str] | None = None,
                  renames: Mapping[str, str] | None = None) -> Iterator[bytes | memoryview]:
    """The BibTeX export of ``keys`` in that order (every paper, in the order added, when
    ``None``), as UTF-8 pieces to write out in order: the text of
    :func:`papershelf.exporters.bibtex.to_bibtex` of those papers, with the keys of
    ``renames`` written as it says (by default the library's
    :meth:`~papershelf.library.Library.case_renames`), after the library's ``@preamble``
    values (:meth:`~papershelf.library.Library.preambles`). Papers deleted by
    another process since ``keys`` were chosen are left out. When two shards or more
    miss the cache, they are rendered on every core (:mod:`papershelf.forked`)."""
    code = code_checksum()
    if renames is None:
        renames = library.case_renames()
    preambles = [f"@preamble{{{value}}}\n".encode() for value in library.preambles()]
    if keys is None and not library.has_crossrefs():  # shard by shard, as added
        shards = (entries for entries in _every_shard(library, code) if entries.keys)
        return joined(chain(preambles, _renamed_in(shards, renames)), b"\n")
    if keys is None:  # an entry a crossref names may have to move to the end
        keys = library.keys_in_order()
    return joined(chain(preambles, _entries_of(library, keys, code, renames)), b"\n")


def _renamed_in(shards: Iterable[ShardEntries], renames: Mapping[str, str]
                ) -> Iterator[bytes | memoryview]:
    """The bodies of ``shards``, entry by entry in those holding a key of ``renames``
    (whole when there is none, as usual)."""
    for entries in shards:
        if not renames or renames.keys().isdisjoint(entries.keys):  # no look at its keys
            yield entries.body
            continue
        for key in entries.keys:
            entry = entries.get(key)
            assert entry is not None
            yield renamed(entry, key, renames[key]) if key in renames else entry


def _every_shard(library: Library, code: str | None) -> Iterator[ShardEntries]:
    shards = library.shards
    for i, shard in enumerate(shards):
        found = cached_entries(library, shard, code)
        if found is None:
            misses = _misses_from(library, shard, shards[i + 1:], code)
            if len(misses) > 1:  # a run of misses (a first export): the rest all at once
                missed = {s.number for s in misses}
                rendered = _render_many(library, misses, code)
                try:
                    for later in shards[i:]:
                        yield next(rendered) if later.number in missed \
                            else shard_entries(library, later, code)
                finally:
                    rendered.close()
                return
            found = rendered_entries(library, shard, code)
        yield found


def _entries_of(library: Library, keys: Sequence[str], code: str | None,
                renames: Mapping[str, str]) -> Iterator[bytes | memoryview]:
    """The entries of ``keys`` in that order, but for those a crossref names
    (:func:`~papershelf.exporters.bibtex_order.crossref_order`)."""
    loaded = _shards_of(library, keys, code)
    crossrefs = {key: target for entries in loaded.values()
                 for key, target in entries.crossrefs.items()}
    for key in crossref_order(keys, crossrefs):
        shard = library.shard_of(key)
        found = loaded[shard.number]
        entry = found.get(key)
        if entry is None and found.cached:  # not in the cache written for this shard: look
            found = loaded[shard.number] = shard_entries(library, shard, code, use_cache=False)
            entry = found.get(key)
        if entry is not None:  # None: another process deleted the paper since we looked
            yield renamed(entry, key, renames[key]) if key in renames else entry


#: A shard the cache misses is rendered whole (and cached) for an export of some of its
#: papers only if they are at least this share of it; else only they are rendered. An
#: export of 1,475 papers of 100,000 right after ``read --query`` changed every shard
#: took 2.4 s rendering all 49 shards, ~1 s rendering those papers.
WHOLE_SHARD_SHARE = 1 / 8


def _shards_of(library: Library, keys: Sequence[str], code: str | None
               ) -> dict[int, ShardEntries]:
    """The entries of ``keys`` by shard number: a shard's cached entries; or, when the
    cache misses the shard, all of them rendered (and cached), or only those of the keys
    in it when they are few (:data:`WHOLE_SHARD_SHARE`)."""
    wanted: dict[Shard, list[str]] = {}
    for key in keys:
        wanted.setdefault(library.shard_of(key), []).append(key)

    def few(shard: Shard) -> bool:
        return len(wanted[shard]) < WHOLE_SHARD_SHARE * len(shard.seen_keys)

    loaded: dict[int, ShardEntries] = {}
    shards = list(wanted)
    for i, shard in enumerate(shards):
        if shard.number in loaded:
            continue
        found = cached_entries(library, shard, code)
        if found is not None:
            loaded[shard.number] = found
        elif few(shard):
            loaded[shard.number] = _rendered_only(shard, wanted[shard])
        else:
            needed = (s for s in shards[i + 1:] if s.number not in loaded and not few(s))
            misses = _misses_from(library, shard, needed, code)
            loaded.update(zip((s.number for s in misses), _render_many(library, misses, code),
                              strict=True))
    return loaded


def _misses_from(library: Library, missed: Shard, later: Iterable[Shard], code: str | None
                 ) -> list[Shard]:
    """``missed`` and, when the shard after it misses the cache too (a run of misses, as
    in a first export), every later shard that does; else ``missed`` alone. One changed
    shard, the common case, so costs one more header read, not one per shard."""
    following = iter(later)
    second = next(following, None)
    if second is None or cache_is_current(library, second, code):
        return [missed]
    return [missed, second, *(s for s in following if not cache_is_current(library, s, code))]


def _render_many(library: Library, shards: Sequence[Shard], code: str | None
                 ) -> Generator[ShardEntries, None, None]:
    """Render ``shards`` (and cache them), in order: in forked workers when two or more."""
    from papershelf.forked import on_every_core

    rendered = on_every_core(functools.partial(_rendered_in_worker, library, code=code), shards)
    try:
        for shard, entries in zip(shards, rendered, strict=True):
            yield entries if entries is not None else shard_entries(library, shard, code)
    finally:
        rendered.close()


def _rendered_in_worker(library: Library, shard: Shard, code: str | None) -> ShardEntries | None:
    """:func:`rendered_entries`; but ``None`` from a worker that cached them: this process
    then reads them from the cache file, which copies them once, not four times through a
    pipe (pickled, sent, received, unpickled). (If a writer changed the shard since, the
    cache file names its old files: this process renders it again.)"""
    from papershelf.forked import in_worker

    entries, cached = _rendered_and_cached(library, shard, code)
    return None if cached and in_worker() else entries
