"""The library: papers on disk in TinyDB, changed under a lock, durable on return.

Layout of a library directory::

    papershelf.json       schema version, next insertion and import-batch numbers,
                          the @preamble values of imported .bib files, the crossref flag
    papers/0001.json      small, often-changing records: title, tags, read, note, ...
    texts/0001.json       bulky, rarely-changing text: abstract, original BibTeX fields
    .cache/               derived data: search indexes, key lists, title identities
                          (safe to delete)
    .lock, .journal.json  the inter-process lock and an in-flight commit

Papers live in numbered shards of at most :data:`SHARD_CAPACITY`; new papers go to the
last shard. A tag toggle rewrites one small ``papers/`` file, whatever the size of the
library; an import rewrites only the shards it touches. Every shard file is a TinyDB
database whose document ids are the citation keys.

Opening a library needs to know which shard holds which key, not the records: the
key list of each shard is cached in ``.cache/keys/`` under the identity of the
``papers/`` file it was read from (inode, size, times; every write replaces the file,
so a new file never matches an old entry), and a command that changes one paper
parses only that paper's shard. An import finds the paper of an entry's title among
each shard's normalised titles, kept in ``.cache/titles/`` the same way.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from papershelf.errors import (
    ConflictError,
    InputError,
    LibraryError,
    PapershelfError,
    SavedInterrupt,
    UnknownKeyError,
    quoted,
)
from papershelf.paths import user_path
from papershelf.shard import PAPERS_DIR, TEXTS_DIR, KeyedDB, KeyedTable, Record, Shard, copy_record
from papershelf.storage import (
    DAMAGE_HINT,
    JOURNAL_NAME,
    LOCK_NAME,
    JSONFileStorage,
    LibraryLock,
    TransactionSource,
    gc_paused,
    load_json,
    recover,
)
from papershelf.tags import check_tag, tag_fold

# Opening a library and reading its files needs none of the paper model, the change
# records or the catalog: they are imported where a method needs them, so that a
# command reading a cache (a BibTeX export) starts without dataclasses, inspect and
# datetime (~10 ms; tests/test_import_hygiene.py).
if TYPE_CHECKING:
    from papershelf.catalog import Catalog, ShardView
    from papershelf.changes import Change, ChangeBuilder, Image, ImportReport
    from papershelf.index_process import Helpers
    from papershelf.model import Entry, Paper
    from papershelf.records import Build, ExportRecord
    from papershelf.textindex import TextIndex

T = TypeVar("T")

__all__ = ["Library", "TakenKeys", "damage_behind"]

SCHEMA_VERSION = 1
SHARD_CAPACITY = 2048
META_FILE = "papershelf.json"
CACHE_DIR = ".cache"
KEYS_CACHE_DIR = "keys"
TITLES_CACHE_DIR = "titles"
GITIGNORE_NAME = ".gitignore"
GITIGNORE_TEXT = ".cache/\n.lock\n.journal.json\n.*.tmp\n"
#: The library's files beside its folders (an export must not replace one).
_OWN_FILES = frozenset({META_FILE, LOCK_NAME, JOURNAL_NAME, GITIGNORE_NAME})
#: The hint of a paper that was there a moment ago (readers take no lock).
DELETED_HINT = "another papershelf deleted it; see papershelf list --keys"


def _keep_bib_keys(texts: Mapping[str, Record], keys_of: Mapping[str, str]) -> bool:
    """Keep, in the text record of each paper of ``texts`` that a ``.bib`` key of this
    import went to under another key (``keys_of``: case-folded ``.bib`` key -> paper),
    that ``.bib`` key (``bib_keys``, case-folded, never exported): a ``crossref`` of a
    later import naming it is pointed at the paper (:meth:`Library._papers_by_bib_key`),
    and a command given it names the paper. Whether any was kept."""
    kept_any = False
    for bib_key, key in keys_of.items():
        text = texts.get(key)
        if text is not None and key.casefold() != bib_key:
            kept = text.setdefault("bib_keys", [])
            if isinstance(kept, list) and bib_key not in kept:
                kept.append(bib_key)
                kept_any = True
    return kept_any


def library_holding(path: Path, also: Path | None = None) -> Path | None:
    """The root of the papershelf library of which ``path`` (a symbolic link followed,
    or as written) is one of its own files (:data:`_OWN_FILES`), or inside its folders
    of papers, texts and caches; ``None`` if it is none. A library's root is ``also``
    (the library at hand), or holds ``papershelf.json``, ``papers/`` and a ``.lock``
    (``papershelf.json`` lost), or a ``.lock`` and papershelf's ``.gitignore`` (a
    library with no paper yet)."""
    try:
        # as written too: LIB/papers may be a link to a folder elsewhere
        targets = (path.resolve(), Path(os.path.abspath(path)))
    except (OSError, RuntimeError):  # unresolvable: it is none of them
        return None
    candidates = []
    for target in targets:
        candidates += [target.parent] if target.name in _OWN_FILES else []
        candidates += [folder.parent for folder in (target, *target.parents)
                       if folder.name in (PAPERS_DIR, TEXTS_DIR, CACHE_DIR)]
    with contextlib.suppress(OSError, RuntimeError):
        if also is not None and also.resolve() in {root.resolve() for root in candidates}:
            return also
    for root in candidates:
        with contextlib.suppress(OSError, ValueError):  # (a .gitignore not in UTF-8)
            if (root / META_FILE).is_file() or (os.path.lexists(root / LOCK_NAME) and (
                    (root / PAPERS_DIR).is_dir()
                    or (root / GITIGNORE_NAME).read_text() == GITIGNORE_TEXT)):
                return root
    return None


def refuse_as_export_target(path: Path, fmt: str, root: Path) -> None:
    """Raise :class:`InputError` when an export in format ``fmt`` to ``path`` (a symbolic
    link followed) would replace one of the files of the library at ``root`` or of
    another (:func:`library_holding`), as ``-o LIBRARY/papers/0001.json`` would its
    papers, tags and notes, or a file holding something else than such an export
    (:func:`~papershelf.exporters.target.refuse_to_replace`)."""
    from papershelf.exporters.target import refuse_to_replace

    holding = library_holding(path, also=root)
    if holding is not None:
        with contextlib.suppress(OSError):
            if holding.resolve() == root.resolve():
                raise InputError(f"{path} is a file of the library {root} itself: an "
                                 "export there would replace its papers",
                                 "export somewhere else, e.g. refs.bib")
        raise InputError(f"{path} is a file of the papershelf library {holding}: an export there "
                         "would replace its papers", "export somewhere else, e.g. refs.bib")
    refuse_to_replace(path, fmt)


class Library:
    """A papershelf library directory. Every public change method is atomic and durable.

    Reading methods see the state as of the last :meth:`refresh` (or change).
    """

    def __init__(self, root: str | Path, *, lock_timeout: float = 30.0) -> None:
        self.root = user_path(root)
        if self.root.exists() and not self.root.is_dir():
            raise LibraryError(f"{self.root} is a file, not a library directory",
                               "pick a directory with --library DIR")
        if self.root.is_symlink() and not self.root.exists():  # (mkdir said "File exists")
            raise LibraryError(f"{self.root} is a symbolic link to {os.readlink(self.root)}, "
                               "which does not exist", "create that directory, or pick another "
                               "with --library DIR")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            ignore = self.root / GITIGNORE_NAME
            if not ignore.exists() or not ignore.stat().st_size:  # an empty one: cut short
                ignore.write_text(GITIGNORE_TEXT)
        except OSError as exc:
            raise LibraryError(
                f"cannot create the library directory {self.root}: {exc.strerror}",
                "pick another place with --library DIR",
            ) from exc
        self._lock = LibraryLock(self.root, timeout=lock_timeout)
        self._write_wait: float | None = None  # see waiting_at_most
        #: How many changes this object committed: a ^C after one (while the library is
        #: read again, or the command prints) did not stop it from being saved.
        self.saved = 0
        self._tx = TransactionSource(self.root, self._lock.check_held)
        self._meta_db = KeyedDB(self.root / META_FILE, storage=JSONFileStorage,
                                transactions=self._tx)
        self._shards: dict[int, Shard] = {}
        self._where: dict[str, Shard] = {}
        self._norms: dict[str, str] | None = None
        self._views: dict[int, tuple[object, ShardView]] = {}
        self._catalog: Catalog | None = None
        self._worked_out: tuple[int, dict[str, Any]] | None = None  # see _doc_worked_out
        self.version = 0
        with self._lock.held():
            recover(self.root)
            self._check_meta()
            self._sync()

    # ----------------------------------------------------------------- reading

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, key: object) -> bool:
        return key in self._where

    def refuse_as_export_target(self, path: Path, fmt: str) -> None:
        """:func:`refuse_as_export_target` for this library."""
        refuse_as_export_target(path, fmt, self.root)

    @property
    def shards(self) -> list[Shard]:
        """The shards in number order."""
        return [self._shards[n] for n in sorted(self._shards)]

    @property
    def cache_dir(self) -> Path:
        """Where derived data lives (``.cache/``): safe to delete, rebuilt when missing."""
        return self.root / CACHE_DIR

    def shard_of(self, key: str) -> Shard:
        """The shard holding ``key`` (raises :class:`UnknownKeyError`)."""
        shard = self._where.get(key)
        if shard is None:
            self.require([key])  # another process may have added it since
            shard = self._where[key]
        return shard

    def keys(self) -> list[str]:
        """Every key, in no particular order."""
        return list(self._where)

    def record(self, key: str) -> Record:
        """The small record of ``key`` (read-only)."""
        records = self.shard_of(key).records()
        try:
            return records[key]
        except KeyError:  # its file, read again, no longer holds it: deleted elsewhere
            raise UnknownKeyError(key, DELETED_HINT) from None

    def get(self, key: str) -> Paper:
        """The full paper ``key`` (raises :class:`UnknownKeyError`)."""
        from papershelf.records import record_to_paper

        return self._built(key, record_to_paper)

    def _built(self, key: str, build: Build[T]) -> T:
        record = self.record(key)
        text = self.shard_of(key).text_records().get(key)
        if text is None:
            # Another process may have deleted it between the two reads (readers take no
            # lock): reading the record again says so, rather than an empty abstract.
            record = self.record(key)
            shard = self.shard_of(key)
            text = shard.text_of(shard.text_records(), key)
        return build(key, record, text)

    def papers(self, keys: Iterable[str] | None = None) -> list[Paper]:
        """Full papers for ``keys`` (every paper, in insertion order, when ``None``)."""
        return [paper for batch in self.iter_papers(keys) for paper in batch]

    def iter_papers(self, keys: Iterable[str] | None = None, batch: int = 1000, *,
                    skip_gone: bool = False) -> Iterator[list[Paper]]:
        """Full papers for ``keys`` (every paper, in insertion order, when ``None``), in
        batches. Walking the whole library keeps one shard's text in memory at a time,
        so exporting 100,000 papers does not hold 150 MB of abstracts at once.
        ``skip_gone``: leave out keys another process deleted since they were found
        (search results), instead of raising :class:`UnknownKeyError`."""
        from papershelf.records import record_to_paper

        return self._iter(keys, batch, record_to_paper, skip_gone)

    def iter_export_records(self, keys: Iterable[str] | None = None, batch: int = 1000, *,
                            skip_gone: bool = False) -> Iterator[list[ExportRecord]]:
        """:meth:`iter_papers` as light records of what an export writes
        (:class:`~papershelf.records.ExportRecord`): a third of the time."""
        from papershelf.records import ExportRecord

        return self._iter(keys, batch, ExportRecord, skip_gone)

    def iter_json(self, keys: Iterable[str] | None = None, batch: int = 1000, *,
                  skip_gone: bool = False) -> Iterator[list[dict[str, Any]]]:
        """:meth:`iter_papers` as each paper's JSON (``Paper.to_json``), built straight
        from the stored records: twice as fast for a JSON export."""
        from papershelf.records import record_to_json

        return self._iter(keys, batch, record_to_json, skip_gone)

    def _iter(self, keys: Iterable[str] | None, batch: int, build: Build[T], skip_gone: bool = False
              ) -> Iterator[list[T]]:
        from papershelf.records import shard_papers

        if keys is not None:
            chosen = list(keys)
            for start in range(0, len(chosen), batch):
                built = []
                # Each shard's files are checked for changes once a batch, not twice a
                # paper: a stat per call was a third of `list --json` at 100,000 papers.
                read: dict[Shard, tuple[dict[str, Record], dict[str, Record]]] = {}
                for key in chosen[start:start + batch]:
                    try:
                        shard = self.shard_of(key)
                        if shard not in read:
                            read[shard] = (shard.records(), shard.text_records())
                        records, texts = read[shard]
                        record, text = records.get(key), texts.get(key)
                        built.append(build(key, record, text) if record is not None and text is not None
                                     else self._built(key, build))  # changed since: read again
                    except UnknownKeyError:
                        if not skip_gone:
                            raise
                yield built
            return
        for shard in self.shards:
            papers = shard_papers(shard, build)
            while chunk := list(islice(papers, batch)):
                yield chunk

    def tags(self) -> dict[str, int]:
        """Every tag (as first typed) with the number of papers carrying it."""
        from papershelf.tags import count_tags

        return count_tags(record for shard in self.shards for record in shard.records().values())

    def catalog(self) -> Catalog:
        """A searchable snapshot of the library as of now (cached until it changes)."""
        if self._catalog is not None and self._catalog.version == self.version:
            return self._catalog
        with gc_paused():
            return self._new_catalog()

    def _new_catalog(self) -> Catalog:
        from papershelf.catalog import Catalog

        views = [self._view(shard) for shard in self.shards]
        for number in set(self._views) - self._shards.keys():
            del self._views[number]
        self._catalog = Catalog(views, self.version, previous=self._catalog)
        return self._catalog

    def _view(self, shard: Shard) -> ShardView:
        """The view of ``shard`` as it is now (kept until the shard changes)."""
        from papershelf.catalog import ShardView

        stamp = shard.seen
        cached = self._views.get(shard.number)
        if cached is None or cached[0] != stamp:
            texts_stamp = stamp[1] if stamp else None
            # the text did not change (a tag toggle, say): keep its word index
            reuse = cached[1].loaded_index if cached and cached[1].texts_stamp == texts_stamp \
                else None
            view = ShardView(shard.number, shard.records(), shard.text_records,
                             texts_stamp, self.cache_dir / "index", reuse)
            self._views[shard.number] = (stamp, view)
        return self._views[shard.number][1]

    def stats(self) -> dict[str, int]:
        """Counts: papers, read, unread, tags (distinct), notes."""
        papers = read = notes = 0
        tags: set[str] = set()
        for shard in self.shards:
            for record in shard.records().values():
                papers += 1
                read += bool(record.get("read"))
                notes += bool(record.get("note", "").strip())
                tags.update(map(tag_fold, record.get("tags") or ()))
        return {"papers": papers, "read": read, "unread": papers - read, "tags": len(tags),
                "notes": notes}

    def update_indexes(self, keys: Iterable[str]) -> None:
        """Build (and cache) the word indexes of the shards holding ``keys``, e.g. the
        papers an import touched, so the next search does not pay for it."""
        numbers = {self._where[key].number for key in keys if key in self._where}
        # The views of those shards alone: a catalog would parse every shard's records
        # (0.3 s at 100,000 papers) to index the one an import of a few papers touched.
        _build_indexes([self._view(self._shards[number]) for number in sorted(numbers)])

    def index_for_search(self) -> None:
        """Load every shard's word index, first building on every core those no cache
        holds (a library copied or synced from elsewhere, a deleted cache, a new
        papershelf's index format), so that a word search does not build them one
        after another (:func:`build_indexes`)."""
        build_indexes(self.root, self.catalog().views_without_index())

    def refresh(self, wait: float | None = None) -> bool:
        """Pick up changes made by other processes; return whether anything changed.

        ``wait`` bounds how long to wait for a writer holding the library lock (then a
        :class:`LibraryError` says it is busy); by default the lock's own timeout.
        """
        with self._lock.held(wait):
            recover(self.root)
            return self._sync()

    def closest_keys(self, key: str, limit: int = 3) -> list[str]:
        """Keys that look like ``key`` (for "did you mean" hints)."""
        from rapidfuzz import fuzz, process, utils

        # Compared lower-cased: BibTeX keys ignore case, and PROTOCLIP means protoclip.
        found = process.extract(key, self._where.keys(), scorer=fuzz.ratio, limit=limit,
                                score_cutoff=60, processor=utils.default_process)
        return [match for match, _score, _ in found]

    def taken_keys(self) -> TakenKeys:
        """The keys in use, compared case-insensitively as BibTeX compares them: what a new
        key must differ from in more than case. Those BibTeX exports write in place of
        clashing keys (:meth:`case_renames`) count as in use, so that they stay the same."""
        taken = self._taken()
        self._renames_into(taken)
        return taken

    def case_clashes(self) -> list[list[str]]:
        """Groups of keys equal up to case, each in the order its papers were added, the
        groups in the order of their first: BibTeX takes each later key of a group for
        the first one (a "Repeated entry"). New keys never clash so, but a library may
        hold such keys from before papershelf compared keys case-insensitively (or
        from an undone deletion). Cheap when no key has capitals."""
        groups: dict[str, list[str]] = {}
        for shard in self._shards.values():
            for key in shard.seen_capitalised:
                if self._where.get(key) is shard:
                    groups.setdefault(key.lower(), []).append(key)
        clashes = []
        for lowered, group in groups.items():
            if lowered in self._where:
                group.append(lowered)
            if len(group) > 1:
                clashes.append(sorted(group, key=self._added_order))
        return sorted(clashes, key=lambda group: self._added_order(group[0]))

    def case_renames(self) -> dict[str, str]:
        """The keys BibTeX exports write in place of the later keys of each group of
        :meth:`case_clashes`: the key with the paper's sequence number (``LanguageBind-57``),
        which no other paper's coming or going changes, unless a paper's own key is that
        very name (then another suffix, chosen again if that paper goes). Once the older
        key of its group is gone, a key is written as it is. Empty, and cheap, when no
        key clashes."""
        return self._renames_into(self._taken())

    def _taken(self) -> TakenKeys:
        return TakenKeys(self._where, (key for shard in self._shards.values()
                                       for key in shard.seen_capitalised))

    def _renames_into(self, taken: TakenKeys) -> dict[str, str]:
        """:meth:`case_renames`, each taken in ``taken`` (fresh from :meth:`_taken`) as it
        is chosen."""
        renames: dict[str, str] = {}
        clashes = self.case_clashes() if taken.may_clash() else []
        if clashes:
            from papershelf.model import unique_key

            for _first, *later in clashes:
                for key in later:
                    seq = self._seq(key)
                    wanted = key if seq is None else f"{key}-{seq}"
                    renames[key] = wanted if wanted not in taken else unique_key(wanted, taken)
                    taken.add(renames[key])
        return renames

    def _added_order(self, key: str) -> tuple[int, str]:
        return (self._seq(key) or 0, key)

    def _seq(self, key: str) -> int | None:
        """The insertion number of ``key`` (``None`` if its record has none)."""
        seq = self.record(key).get("seq")
        return seq if isinstance(seq, int) else None

    def require(self, keys: Iterable[str]) -> list[str]:
        """``keys`` deduplicated, after checking that every one exists (looking at the
        disk again first if one is missing: another process may have added it)."""
        out = list(dict.fromkeys(keys))
        if all(map(self._where.__contains__, out)):
            return out
        self.refresh()
        for key in out:
            if key not in self._where:
                # the .bib key of a paper that got another here (DBLP's, a merged entry's)
                kept = self._papers_by_bib_key({key.casefold()}) \
                    if self._library_doc().get("bib_keys") is True else {}
                if key.casefold() in kept:
                    raise UnknownKeyError(key, f"it is the .bib key of {kept[key.casefold()]} here: "
                                               "use that key, and cite it so")
                close = self.closest_keys(key)
                hint = f"did you mean {', '.join(close)}?" if close else "see papershelf list --keys"
                raise UnknownKeyError(key, hint)
        return out

    def _still_there(self, keys: Iterable[str]) -> None:
        """Raise for the first of ``keys`` (checked by :meth:`require` before the lock was
        taken) that another process deleted meanwhile."""
        for key in keys:
            if key not in self._where:
                raise UnknownKeyError(key, DELETED_HINT)

    # ----------------------------------------------------------------- changing

    def add(self, entries: Sequence[Entry], tags: Sequence[str] = (), *,
            dry_run: bool = False, preambles: Sequence[str] = (), update: bool = False
            ) -> ImportReport:
        """Import ``entries``: new papers get keys, known ones (same normalised title)
        gain the new source, tags, and any missing authors, year, abstract or fields.
        ``preambles`` (``@preamble`` values of a ``.bib``, as exported) not already kept
        are kept, for BibTeX exports to write first (:meth:`preambles`).

        Never loses tags, note or read state. ``dry_run`` computes the report only.
        ``update``: a paper of a ``.bib`` already in the library takes what its entry
        says of it (:func:`~papershelf.records.take_entry`).
        """
        from papershelf.changes import ImportReport
        from papershelf.model import base_key, is_valid_key, now_iso, unique_key
        from papershelf.records import (
            another_note,
            crossref_named,
            imported_before,
            listed_in,
            merge_entry,
            new_records,
            take_entry,
        )
        from papershelf.text import normalize_title

        for tag in tags:
            check_tag(tag)
        with self._writing(dry_run) as change:
            norms = self._title_index()
            added = now_iso()
            report = ImportReport()
            fresh: dict[str, tuple[Record, Record]] = {}
            updates: dict[str, tuple[Record, Record]] = {}
            batch_norms: dict[str, str] = {}
            taken = self.taken_keys()
            suffixes: dict[str, int] = {}
            keys_of: dict[str, str] = {}  # a .bib key (case-folded) -> the paper's key
            first_bib_key: dict[str, str] = {}  # a paper -> the first .bib key sent to it
            considered: set[str] = set()  # papers an entry was taken for (--update)
            written_as: dict[str, str] | None = None  # keys an export writes otherwise
            for entry in entries:
                norm = normalize_title(entry.title)
                if not norm:
                    report.failed.append(entry.title)
                    continue
                key = norms.get(norm) or batch_norms.get(norm) or self._exported_as(entry) \
                    or self._imported_earlier(entry, norms)
                if key is None:
                    wanted = entry.bib_key if entry.bib_key and is_valid_key(entry.bib_key) \
                        else base_key(entry.title)
                    key = unique_key(wanted, taken, suffixes)
                    taken.add(key)
                    fresh[key] = new_records(entry, added, (*entry.tags, *tags))
                    batch_norms[norm] = key
                    report.note_key(entry.bib_key, key)
                    if entry.bib_key:
                        keys_of.setdefault(entry.bib_key.casefold(), key)
                        first_bib_key[key] = entry.bib_key.casefold()
                    report.new.append(key)
                    report.titles[key] = entry.title
                    continue
                report.existing.append(key)
                report.titles.setdefault(key, entry.title)
                if key not in fresh and key not in updates:
                    stored, stored_text = self._stored(key)
                    updates[key] = (copy_record(stored), copy_record(stored_text))
                record, text = fresh.get(key) or updates[key]
                if entry.bib_key:
                    keys_of.setdefault(entry.bib_key.casefold(), key)
                    first = first_bib_key.setdefault(key, entry.bib_key.casefold())
                    # A \cite of the entry's key fails on the export: say so, once per
                    # file (not for the key an export wrote for this very paper either),
                    # and for each key of one file that goes to the same paper.
                    if entry.bib_key != key and (not listed_in(record, entry)
                                                 or first != entry.bib_key.casefold()):
                        if written_as is None:
                            written_as = self.case_renames()
                        if written_as.get(key) != entry.bib_key:
                            report.note_merged(entry.bib_key, key)
                before = imported_before(text, entry)  # (before take_entry replaces its fields)
                if another_note(record, entry, before) and key not in report.notes_kept:
                    report.notes_kept.append(key)  # the paper's own note stays
                # (of entries of one title, the first updates the paper, as the first of
                # them is the one kept without --update; the others are merged after it)
                taking = bool(update and entry.entry_type) and key not in fresh \
                    and key not in considered
                if taking:
                    considered.add(key)
                    if take_entry(record, text, entry):
                        report.updated.append(key)
                if (differing := merge_entry(record, text, entry, tags, before)) and not taking:
                    report.differing.setdefault(entry.bib_key or key, differing)
            if keys_of:  # (a dry run too, for its warnings: the records are its own copies)
                from papershelf.importers.bibtex import retarget_crossrefs

                texts = {key: text for key, (_, text) in (*fresh.items(), *updates.items())}
                if _keep_bib_keys(texts, keys_of) and not dry_run:
                    self._note_flag("bib_keys")
                elsewhere = retarget_crossrefs(texts, keys_of)
                if elsewhere is not None and not dry_run:
                    self._note_flag("crossrefs")
                missing = {key: target for key, target in (elsewhere or {}).items()
                           if target not in taken}  # taken: compared as BibTeX does, up to case
                if missing:  # named by the key a paper of an earlier import had in its .bib
                    retarget_crossrefs({key: texts[key] for key in missing},
                                       self._papers_by_bib_key({t.casefold() for t in missing.values()}))
                report.missing_crossrefs.update(
                    (key, target) for key, target in missing.items()
                    if crossref_named(texts[key]) not in taken)
                self._retarget_earlier_crossrefs(keys_of, updates)
            if dry_run:
                return report
            # A paper listed again with nothing new for it (the same source, no new tag) is
            # not written again, nor part of the change: undone, it changed nothing.
            updates = {key: images for key, images in updates.items() if images != self._stored(key)}
            for key in updates:
                change.remember(key)
            self._store(updates)
            self._store_new(fresh)
            self._store_preambles(preambles)
            change.done("import", [*report.new, *updates],
                        images={key: (record, None) for key, (record, _text) in fresh.items()})
            report.change = change.result
            return report

    def _stored(self, key: str) -> tuple[Record, Record]:
        """The small record and the text record of ``key`` as stored (read-only; a paper
        without a text record has an empty abstract)."""
        shard = self._where[key]
        return shard.records()[key], shard.text_records().get(key, {"abstract": ""})

    def _shards_whose_texts_may_hold(self, field: str) -> Iterator[Shard]:
        """The shards whose ``texts/`` file may hold ``field`` (as an import writes it: a
        hand-written ``"Crossref"`` is not seen). Most hold no ``crossref`` nor
        ``bib_keys``: a byte search of the file skips parsing it."""
        needle = f'"{field}"'.encode()
        return (shard for shard in self.shards if shard.texts_storage.may_hold(needle))

    def _papers_by_bib_key(self, wanted: Collection[str]) -> dict[str, str]:
        """The papers that an earlier import gave another key than their ``.bib``'s
        (:func:`_keep_bib_keys`), by that ``.bib`` key case-folded, of those ``wanted``."""
        found: dict[str, str] = {}
        for shard in self._shards_whose_texts_may_hold("bib_keys"):
            for key, text in shard.text_records().items():
                for bib_key in text.get("bib_keys") or ():
                    if isinstance(bib_key, str) and bib_key.casefold() in wanted:
                        found.setdefault(bib_key.casefold(), key)
        return found

    def _retarget_earlier_crossrefs(self, keys_of: Mapping[str, str],
                                    updates: dict[str, tuple[Record, Record]]) -> None:
        """Point the ``crossref`` of papers of earlier imports that names the ``.bib`` key
        of a paper of this import (``keys_of``) at the key that paper got here, when it
        got another (a DBLP key, or one taken): imported before its target, such a
        paper's crossref named no entry of an export, and BibTeX stopped at it. Not a
        crossref naming a paper here (another with that key). The papers changed join
        ``updates``."""
        moved = {bib_key: key for bib_key, key in keys_of.items() if key.casefold() != bib_key}
        if not moved or not self.has_crossrefs():
            return
        from papershelf.importers.bibtex import retarget_crossrefs
        from papershelf.records import crossref_named

        held: set[str] | None = None  # the keys here before this import, case-folded
        for shard in self._shards_whose_texts_may_hold("crossref"):
            texts = shard.text_records()
            for key, text in texts.items():  # (those of this import had theirs pointed)
                target = crossref_named(text) if key not in updates else None
                if target is None or target.casefold() not in moved:
                    continue
                if held is None:
                    held = {here.casefold() for here in self._where}
                if target.casefold() in held:  # it names a paper here: not this one
                    continue
                updates[key] = (copy_record(shard.records()[key]), copy_record(text))
                retarget_crossrefs({key: updates[key][1]}, moved)

    def _exported_as(self, entry: Entry) -> str | None:
        """The paper a ``.bib`` entry is papershelf's own export of: the paper with the
        entry's key, if its export writes the entry's title field as it is. Titles that
        an export spells in ASCII (CJK, some Greek, zero-width characters) come back
        other titles, so they would not join their paper by title."""
        key = entry.bib_key
        title = entry.fields.get("title")
        if not key or title is None or key not in self._where:
            return None
        from papershelf.exporters.bibtex import paper_fields

        (paper,) = self.papers([key])
        written = dict(paper_fields(paper)).get("title")
        # (compared without braces: earlier versions braced fewer words, CJK's spelling)
        unbraced = {ord("{"): None, ord("}"): None}
        return key if written is not None and written.translate(unbraced) == title.translate(unbraced) \
            else None

    @staticmethod
    def _imported_earlier(entry: Entry, norms: Mapping[str, str]) -> str | None:
        """The paper a ``.bib`` entry is when its title, as versions before 2026-11-23
        read it, is that paper's (:func:`~papershelf.importers.bibtex.earlier_title`)."""
        if entry.entry_type is None:
            return None
        from papershelf.importers.bibtex import earlier_title
        from papershelf.text import normalize_title

        earlier = earlier_title(entry)
        return norms.get(normalize_title(earlier)) if earlier is not None else None

    def tag_named(self, tag: str, keys: Iterable[str] | None = None) -> str:
        """The tag ``tag`` names among the papers of ``keys`` (every paper when ``None``):
        ``#HOT``, as tags show, names ``HOT`` unless a paper has ``#HOT`` itself
        (:func:`papershelf.tags.tag_named`)."""
        from papershelf.tags import tag_named

        # (each shard's records read once: 100,000 keys of --query)
        chosen = None if keys is None else self._by_shard(key for key in keys if key in self._where)

        def held(name: str) -> bool:
            folded = tag_fold(name)
            if chosen is None:
                return any(_has_tag(record, folded)
                           for shard in self.shards for record in shard.records().values())
            return any(_has_tag(records[key], folded) for shard, group in chosen.items()
                       for records in (shard.records(),) for key in group if key in records)

        return tag_named(tag, held)

    def tag(self, keys: Iterable[str], tag: str, *, skip_gone: bool = False) -> Change:
        """Add ``tag`` to every paper of ``keys`` (``skip_gone``: see :meth:`_modify`)."""
        from papershelf.tags import merge_tags

        check_tag(tag)
        folded = tag_fold(tag)

        def add(record: Record) -> None:
            record["tags"] = list(merge_tags(record.get("tags") or (), [tag]))

        return self._modify(keys, add, f"tag {tag}",
                            lambda r: not _has_tag(r, folded), skip_gone=skip_gone)

    def untag(self, keys: Iterable[str], tag: str, *, skip_gone: bool = False) -> Change:
        """Remove ``tag`` (case-insensitively) from every paper of ``keys``
        (``skip_gone``: see :meth:`_modify`)."""
        from papershelf.tags import without_tag

        folded = tag_fold(tag)

        def remove(record: Record) -> None:
            record["tags"] = list(without_tag(record.get("tags") or (), tag))

        return self._modify(keys, remove, f"untag {tag}",
                            lambda r: _has_tag(r, folded), skip_gone=skip_gone)

    def rename_tag(self, old: str, new: str) -> Change:
        """Rename tag ``old`` to ``new`` on every paper (merging if both are present)."""
        from papershelf.tags import merge_tags

        check_tag(new)
        folded = tag_fold(old)

        def tagged() -> list[str]:  # under the lock: a paper tagged a moment ago too
            keys = [k for k, s in self._where.items() if _has_tag(s.records()[k], folded)]
            if not keys:
                raise PapershelfError(f"no paper is tagged {quoted(old)}", "see papershelf tag list")
            return keys

        def renamed(record: Record) -> list[str]:
            tags = [new if tag_fold(t) == folded else t for t in (record.get("tags") or ())]
            return list(merge_tags([], tags))

        def rename(record: Record) -> None:
            record["tags"] = renamed(record)

        # Only papers it changes: none when ``new`` is ``old`` as spelt on every paper.
        return self._modify(tagged, rename, f"rename tag {old} to {new}",
                            lambda r: renamed(r) != (r.get("tags") or []))

    def set_read(self, keys: Iterable[str], read: bool | Callable[[list[Record]], bool] = True, *,
                 skip_gone: bool = False) -> Change:
        """Mark papers read (stamping ``read_at`` the first time) or unread
        (``skip_gone``: see :meth:`_modify`). ``read`` may be a function that decides
        which from the papers' records (of those still there) as they are once the
        library is locked for the change: a toggle then never writes the state another
        process has just written. The change's description says which it was."""
        from papershelf.model import now_iso

        stamp = now_iso()
        reading = read if isinstance(read, bool) else True

        def decided(keys: list[str]) -> str:
            nonlocal reading
            if not isinstance(read, bool):
                reading = read([self.record(key) for key in keys])
            return "mark read" if reading else "mark unread"

        def mark(record: Record) -> None:
            record["read"] = reading
            record["read_at"] = (record.get("read_at") or stamp) if reading else None

        return self._modify(keys, mark, decided,
                            lambda r: bool(r.get("read")) != reading, skip_gone=skip_gone)

    def set_note(self, key: str, note: str, *, expected: str | None = None,
                 title: str | None = None) -> Change:
        """Replace the note of ``key`` (control characters dropped, but for tabs and line
        feeds; a note of only white space clears it). With ``expected``, the note the
        caller started from: if the stored note is another (changed elsewhere since) and
        not ``note`` either, raise
        :class:`ConflictError` and change nothing. With ``title``, the title of the paper
        the caller started from: if ``key`` names another paper now (that one was
        deleted elsewhere and its key given to a new one), raise
        :class:`UnknownKeyError`. The checks and the write hold the lock together."""
        from papershelf.text import drop_controls, is_utf8, normalize_title

        if not is_utf8(note):
            raise InputError("the note is not UTF-8 text", "save it as UTF-8; the note was left unchanged")
        note = drop_controls(note)
        if not note.strip():  # has:note, stats and the export would disagree on "   "
            note = ""

        def write(record: Record) -> None:
            record["note"] = note

        with self._lock.held(self._write_wait):  # re-entrant: _modify holds it on
            if expected is not None or title is not None:
                recover(self.root)
                self._sync()
            if title is not None and normalize_title(self.record(key)["title"]) != normalize_title(title):
                raise UnknownKeyError(key, "another papershelf deleted it, and another paper has "
                                           "its key now")
            if expected is not None:
                stored = self.record(key).get("note", "")
                if stored not in (expected, note):
                    raise ConflictError(
                        f"the note on {key!r} was changed elsewhere since you started editing it",
                        "see it, then save yours over it if you mean to", current=stored)
            return self._modify([key], write, "edit note", lambda r: r.get("note", "") != note)

    def remove(self, keys: Iterable[str], *, skip_gone: bool = False) -> Change:
        """Delete papers (their text, tags and note) from the library. A paper left
        whose ``crossref`` names one of them takes what it inherited from it
        (:func:`~papershelf.records.inherit_crossref`): its export keeps the booktitle
        and year, and BibTeX does not report "A bad cross reference". The change holds
        those papers too (:attr:`~papershelf.changes.Change.deleted` tells them apart).
        ``skip_gone``: see :meth:`_modify`."""
        gone: list[str] = []
        choose = self._present(keys, gone) if skip_gone else self._still_required(self.require(keys))
        with self._writing() as change:
            keys = choose()
            for key in keys:
                change.remember(key)
            heirs = self._heirs_of(keys)
            for key in heirs:
                change.remember(key)
            indexes = self._shrinkable_indexes(keys, heirs)
            self._store(heirs)
            self._delete(keys)
            change.done("delete", [*keys, *heirs], gone=gone)
        for shard, index in indexes.items():
            if shard.number in self._shards:  # (a shard left empty is gone)
                self._view(shard).shrink_from(index)
        return change.result

    def _shrinkable_indexes(self, keys: Sequence[str], heirs: Iterable[str]
                            ) -> dict[Shard, TextIndex]:
        """The word indexes at hand of the shards from which deleting ``keys`` only takes
        papers (no heir of theirs is there), to shrink once they are gone. None for one
        shard in a process that has not searched: NumPy's import costs about what
        building that one again costs the next search."""
        changed = {self._where[key] for key in heirs}
        shards = [shard for shard in self._by_shard(keys) if shard not in changed]
        if self._catalog is None and len(shards) < 2:
            return {}
        return {shard: view.text_index() for shard in shards
                if (view := self._view(shard)).has_index()}

    def _heirs_of(self, keys: Sequence[str]) -> dict[str, tuple[Record, Record]]:
        """The papers not among ``keys`` whose ``crossref`` names one of them (BibTeX
        matches it up to case), each with its records as they are once it has taken
        what it inherits from there, and from where that one's ``crossref`` leads while
        it is among ``keys`` too. A crossref left naming a deleted paper (a cycle) or
        the paper itself is dropped."""
        if not self.has_crossrefs():
            return {}
        from papershelf.records import crossref_named, drop_crossref, inherit_crossref

        gone = {key.casefold(): key for key in keys}

        heirs: dict[str, tuple[Record, Record]] = {}
        for shard in self._shards_whose_texts_may_hold("crossref"):
            texts = shard.text_records()
            found = False
            for key in shard.keys_in_order():
                text = texts.get(key) or {}
                target = crossref_named(text)
                if key.casefold() in gone or target is None or target.casefold() not in gone:
                    continue
                record, text = copy_record(shard.records()[key]), copy_record(text)
                seen: set[str] = set()
                while target is not None and (parent := gone.get(target.casefold())) is not None \
                        and parent not in seen:
                    seen.add(parent)
                    home = self._where[parent]
                    inherit_crossref(record, text, home.records()[parent],
                                     home.text_records().get(parent) or {})
                    target = crossref_named(text)
                if target is not None and target.casefold() in (key.casefold(), *gone):
                    drop_crossref(text)
                heirs[key] = (record, text)
                found = True
            if not found:
                shard.texts_storage.forget()  # 3 MB of abstracts a long-lived process keeps
        return heirs

    def undo(self, change: Change) -> Change:
        """Revert what ``change`` did; returns the change that redoes it.

        Only what ``change`` itself did is taken back: what other processes changed
        since survives (see :mod:`papershelf.changes`). A paper it deleted that was
        imported again meanwhile gets its old tags, note and read state back (one whose
        key another paper took since comes back under a new key); a paper it created
        that was changed since stays. The returned change's ``kept`` names the papers
        where a later change won over what undo would have restored, its ``moved`` the
        deleted papers that came back under another key, its ``gone`` the papers another
        process deleted since (or gave another key): there was nothing left to undo.
        """
        with self._writing() as redo:
            restore: dict[str, tuple[Record, Record]] = {}
            deletions: list[str] = []
            kept: list[str] = []
            gone: list[str] = []
            moved: dict[str, str] = {}
            taken = self.taken_keys()
            for key in change.keys:
                before, after = change.before.get(key, (None, None)), change.after.get(key, (None, None))
                if before[0] is None:  # the change created the paper
                    if key not in self._where:
                        gone.append(key)
                        continue
                    if self._image(key, after[1] is not None) != after:
                        kept.append(key)  # changed since: deleting it would lose that
                    else:
                        redo.remember(key)
                        deletions.append(key)
                    continue
                if after[0] is not None and key not in self._where:
                    gone.append(key)  # deleted since: undoing an edit must not resurrect it
                    continue
                back = self._undeleted(key, before, taken) if after[0] is None \
                    else self._reverted(key, before, after)
                target, record, text, conflict = back
                if conflict:
                    kept.append(key)
                if target != key:
                    moved[key] = target
                redo.remember(target)
                restore[target] = (record, text)
            self._delete(deletions)
            self._store(restore)
            # Only the papers it changed: redoing must not touch one it left alone (a
            # paper kept for a later change, a key restored under another key).
            redo.done(f"undo {change.description}", list(redo.before), kept,
                      images={k: paper for k, paper in restore.items() if k not in self._where},
                      moved=moved, gone=gone)
        return redo.result

    # ----------------------------------------------------------------- internals

    @contextlib.contextmanager
    def waiting_at_most(self, seconds: float | None) -> Iterator[None]:
        """Within the block, a change waits at most ``seconds`` for another process
        holding the library's lock, then raises :class:`LibraryBusyError` having changed
        nothing (``None``: the library's own lock timeout)."""
        previous, self._write_wait = self._write_wait, seconds
        try:
            yield
        finally:
            self._write_wait = previous

    @contextlib.contextmanager
    def _writing(self, dry_run: bool = False, texts: bool = True) -> Iterator[ChangeBuilder]:
        """Hold the lock, catch up with other processes, and commit atomically.
        ``texts``: whether the change's images include the text records."""
        from papershelf.changes import ChangeBuilder

        with self._lock.held(self._write_wait):
            recover(self.root)
            self._sync()
            builder = ChangeBuilder(lambda key: self._image(key, texts))
            if dry_run:
                yield builder
                return
            try:
                with self._tx.open() as tx:
                    yield builder
                    wrote = not tx.empty  # (a change to no paper writes nothing)
            except BaseException as exc:
                try:
                    recover(self.root)  # finish the commit if it got past its commit point
                except LibraryError as unfinished:
                    if not (self.root / JOURNAL_NAME).exists():
                        raise
                    # This very change got past its commit point and could not finish: it
                    # is decided, and is completed once the library can be written.
                    raise LibraryError(
                        "the change is recorded, but could not be written in full: "
                        f"{getattr(exc, 'strerror', None) or exc}",
                        "make the library writable and run papershelf once: it completes the "
                        "change") from unfinished
                self._sync(force=True)
                if isinstance(exc, KeyboardInterrupt) and self._tx.failed_but_landed():
                    self.saved += 1
                    raise SavedInterrupt from exc
                raise
            self.saved += wrote
            self._sync()

    def _still_required(self, keys: list[str]) -> Callable[[], list[str]]:
        """A chooser of ``keys`` (found before the lock was taken) for :meth:`_modify`:
        they must still be there once it is."""
        def choose() -> list[str]:
            self._still_there(keys)
            return keys
        return choose

    def _present(self, keys: Iterable[str], gone: list[str]) -> Callable[[], list[str]]:
        """A chooser of ``keys`` for :meth:`_modify`: those still there once the lock is
        taken; the others, deleted by another process, are put in ``gone``."""
        asked = list(dict.fromkeys(keys))

        def choose() -> list[str]:
            gone[:] = [key for key in asked if key not in self._where]
            return [key for key in asked if key in self._where]
        return choose

    def _modify(self, keys: Iterable[str] | Callable[[], list[str]],
                change: Callable[[Record], None], description: str | Callable[[list[str]], str],
                needed: Callable[[Record], bool], *, skip_gone: bool = False) -> Change:
        """Apply ``change`` to the small records of ``keys`` that ``needed`` says need
        it. ``keys`` may be a function choosing them once the lock is held and the
        library read again (they cannot have gone since). So may ``description``, of the
        keys chosen, called then too, before ``needed`` and ``change``: it can decide
        what they do. ``skip_gone``: a key another process deleted is left out, named in
        the change's ``gone``, instead of raising :class:`UnknownKeyError` (an app acting
        on the papers it showed)."""
        gone: list[str] = []
        if callable(keys):
            choose = keys
        else:
            choose = self._present(keys, gone) if skip_gone else self._still_required(self.require(keys))
        with self._writing(texts=False) as builder:  # only small records change
            keys = choose()
            said = description if isinstance(description, str) else description(keys)
            after: dict[str, Image] = {}
            for shard, shard_keys in self._by_shard(keys).items():
                records = shard.records()
                wanted = [key for key in shard_keys if needed(records[key])]
                for key in wanted:
                    builder.remember(key, (records[key], None))
                after.update((key, (record, None))
                             for key, record in shard.update(wanted, change).items())
            builder.done(said, list(after), images=after, gone=gone)
        return builder.result

    def _reverted(self, key: str, before: Image, after: Image) -> tuple[str, Record, Record, bool]:
        """``key`` with what a change did to it (``before`` to ``after``) taken back, and
        whether a later change won somewhere."""
        from papershelf.changes import reverted

        shard = self._where[key]
        record, conflict = reverted(shard.records()[key], before[0], after[0])
        text, text_conflict = reverted(shard.text_records().get(key, {}), before[1], after[1])
        return key, record, text, conflict or text_conflict

    def _undeleted(self, key: str, before: Image, taken: TakenKeys
                   ) -> tuple[str, Record, Record, bool]:
        """Where and as what a paper deleted by a change comes back: its old records at
        its key (a new one if another paper took it since, up to case, then taken in
        ``taken``), or merged into the same paper (by title) imported again since under
        whatever key, with whether a newer value won there."""
        from papershelf.changes import restored
        from papershelf.model import unique_key
        from papershelf.text import normalize_title

        record, text = before[0] or {}, before[1] or {"abstract": ""}
        home = self._title_index().get(normalize_title(record["title"]))
        if home is None:
            if key in taken:
                key = unique_key(key, taken)
            taken.add(key)
            return key, copy_record(record), copy_record(text), False
        shard = self._where[home]
        merged, conflict = restored(shard.records()[home], record)
        merged_text, text_conflict = restored(shard.text_records().get(home, {}), text)
        return home, merged, merged_text, conflict or text_conflict

    def _delete(self, keys: Iterable[str]) -> None:
        for shard, shard_keys in self._by_shard(keys).items():
            shard.delete(shard_keys)

    def _by_shard(self, keys: Iterable[str]) -> dict[Shard, list[str]]:
        """``keys`` (of papers in the library) grouped by the shard holding each."""
        by_shard: dict[Shard, list[str]] = {}
        for key in keys:
            by_shard.setdefault(self._where[key], []).append(key)
        return by_shard

    def _store(self, papers: Mapping[str, tuple[Record, Record]]) -> None:
        """Write whole records: a paper that exists where it is, others in the last
        shards, as many as fit in each. A text record equal to the stored one is not
        written: its file, the shard's bulky one, is left alone (an undone tag changes
        no text)."""
        by_shard: dict[int, tuple[dict[str, Record], dict[str, Record]]] = {}
        new: list[tuple[str, tuple[Record, Record]]] = []
        for key, (record, text) in papers.items():
            shard = self._where.get(key)
            if shard is None:
                new.append((key, (record, text)))
                continue
            records, texts = by_shard.setdefault(shard.number, ({}, {}))
            records[key] = record
            if text != shard.text_records().get(key):
                texts[key] = text
        for number, (records, texts) in by_shard.items():
            self._shards[number].put(records, texts)
        while new:  # each put is seen by the next look at the last shard's size
            shard = self._tail_shard(len(new))
            room = SHARD_CAPACITY - len(shard.records())
            batch, new = new[:room], new[room:]
            shard.put({key: record for key, (record, _text) in batch},
                      {key: text for key, (_record, text) in batch})

    def _store_new(self, fresh: Mapping[str, tuple[Record, Record]]) -> None:
        if not fresh:
            return
        library = self._library_doc()
        seq = int(library.get("next_seq", 1))
        batch_number = int(library.get("next_batch", 1))
        pending = list(fresh.items())
        while pending:
            shard = self._tail_shard(len(pending))
            room = SHARD_CAPACITY - len(shard.records())
            batch, pending = pending[:room], pending[room:]
            records: dict[str, Record] = {}
            texts: dict[str, Record] = {}
            for key, (record, text) in batch:
                record["seq"] = seq
                record["batch"] = batch_number
                seq += 1
                records[key], texts[key] = record, text
            shard.put(records, texts)
        library["next_seq"] = seq
        library["next_batch"] = batch_number + 1
        library["schema"] = SCHEMA_VERSION
        self._put_library_doc(library)

    def preambles(self) -> list[str]:
        """The ``@preamble`` values imported ``.bib`` files held (each once, in the order
        first imported), as BibTeX exports write them: ``{...}`` or ``"..."``."""
        kept = self._library_doc().get("preambles")
        return [p for p in kept if isinstance(p, str)] if isinstance(kept, list) else []

    def has_crossrefs(self) -> bool:
        """Whether a paper was imported with a ``crossref`` field (ever: deleting it
        does not clear this). A BibTeX export of every paper then writes the entries
        they name after them (hand-edited ``crossref`` fields are not seen here)."""
        return self._library_doc().get("crossrefs") is True

    def with_crossref_targets(self, keys: Sequence[str]) -> list[str]:
        """``keys`` followed by the papers their ``crossref`` fields name, and those that
        theirs name, when not among them: what a BibTeX export of some papers must hold
        too, or BibTeX reports "A bad cross reference" and the fields the entry inherits
        (booktitle, year) are lost. A target not in the library is left out."""
        found = list(keys)
        if not self.has_crossrefs():
            return found
        from papershelf.exporters.bibtex import crossrefs_of
        from papershelf.records import ExportRecord

        chosen = {key.casefold() for key in found}
        by_folded: dict[str, str] | None = None
        pending = found
        while pending:
            # Read as the renderer reads them (no Paper built: an export of a query
            # matching most of the library reads every paper here).
            targets = crossrefs_of(paper for batch in self._iter(pending, 1000, ExportRecord, True)
                                   for paper in batch).values()
            if targets and by_folded is None:  # BibTeX matches a crossref up to case
                by_folded = {key.casefold(): key for key in self._where}
            pending = []
            for target in targets:
                key = by_folded.get(target.casefold()) if by_folded else None
                if key is not None and key.casefold() not in chosen:
                    chosen.add(key.casefold())
                    pending.append(key)
            found += pending
        return found

    def _note_flag(self, name: str) -> None:
        """Set the flag ``name`` of the library document (``crossrefs``, ``bib_keys``)."""
        library = self._library_doc()
        if library.get(name) is not True:
            library[name] = True
            self._put_library_doc(library)

    def keys_in_order(self) -> list[str]:
        """Every key in the order added (as :meth:`papers` gives them)."""
        return [key for shard in self.shards for key in shard.keys_in_order()]

    def _store_preambles(self, preambles: Sequence[str]) -> None:
        kept = self.preambles()
        new = [p for p in dict.fromkeys(preambles) if p not in kept]
        if not new:
            return
        library = self._library_doc()
        library["preambles"] = [*kept, *new]
        self._put_library_doc(library)

    def _library_doc(self) -> dict[str, Any]:
        """The library's own document in ``papershelf.json`` (schema, counters,
        preambles, the crossref flag), a new one if there is none yet."""
        meta: KeyedTable = self._meta_db.table("library")  # type: ignore[assignment]
        found = meta.get_doc("library")
        if found:
            return found
        return self._doc_worked_out() if self._where else {"schema": SCHEMA_VERSION, "next_seq": 1}

    def _doc_worked_out(self) -> dict[str, Any]:
        """The library's document when ``papershelf.json`` is gone but papers are there
        (deleted, or left out of a commit): numbers past every paper's, so that papers
        imported next are numbered after them (and listed first), not from 1 among
        them; and the crossref and ``.bib`` key flags set, as a paper may have one (an
        export of every paper then orders the entries by their crossrefs, and a key not
        found is looked for among kept ``.bib`` keys: either only takes longer).
        The ``@preamble`` values it held are lost. Worked out once for each state of
        the library until a change writes it back (an import)."""
        if self._worked_out is not None and self._worked_out[0] == self.version:
            return dict(self._worked_out[1])  # (a copy: callers change theirs to put it back)
        seq = batch = 0
        for shard in self.shards:
            for record in shard.records().values():
                number, imported = record.get("seq"), record.get("batch")
                if type(number) is int and number > seq:
                    seq = number
                if type(imported) is int and imported > batch:
                    batch = imported
        doc = {"schema": SCHEMA_VERSION, "next_seq": seq + 1, "next_batch": batch + 1,
               "crossrefs": True, "bib_keys": True}
        self._worked_out = (self.version, doc)
        return dict(doc)

    def _put_library_doc(self, library: dict[str, Any]) -> None:
        meta: KeyedTable = self._meta_db.table("library")  # type: ignore[assignment]
        meta.put_docs({"library": library})

    def _tail_shard(self, wanted: int) -> Shard:
        """The last shard if it has room, else a new one."""
        if self._shards:
            last = self._shards[max(self._shards)]
            if len(last.records()) < SHARD_CAPACITY:
                return last
            number = last.number + 1
        else:
            number = 1
        shard = Shard(self.root, number, self._tx)
        self._shards[number] = shard
        return shard

    def _image(self, key: str, texts: bool = True) -> Image:
        """The small and text records of ``key`` (``None``s if absent; the text ``None``
        too unless ``texts``). Not copies: a stored record is never changed in place
        (every write stores changed copies), so an image keeps what it saw, and copying
        100,000 records twice took 1.1 s of a 3.7 s bulk tag."""
        shard = self._where.get(key)
        records = None if shard is None else shard.records()
        if shard is None or records is None or key not in records:
            return (None, None)
        return (records[key], shard.text_records().get(key) if texts else None)

    def _title_index(self) -> dict[str, str]:
        """Normalised title -> key for every paper (of papers with one title, the last
        of the last shard): built once, again after any change, from each shard's
        titles as cached in ``.cache/titles/`` under the identity of its ``papers/``
        file (:meth:`Shard.cached_titles`), so only shards changed since are parsed."""
        if self._norms is None:
            cache = self.cache_dir / TITLES_CACHE_DIR
            norms: dict[str, str] = {}
            for shard in self.shards:
                norms.update(shard.cached_titles(shard.seen[0] if shard.seen else None, cache))
            self._norms = norms
        return self._norms

    def _check_meta(self) -> None:
        """Refuse a library of a newer schema, and a hand-damaged ``papershelf.json``."""
        meta = self._library_doc()
        schema = meta.get("schema", SCHEMA_VERSION)
        if isinstance(schema, int) and schema > SCHEMA_VERSION:
            raise LibraryError(
                f"the library {self.root} has schema version {schema}, newer than this "
                f"papershelf understands ({SCHEMA_VERSION})",
                "upgrade papershelf",
            )
        for name, value in (("schema", schema), ("next_seq", meta.get("next_seq", 1)),
                            ("next_batch", meta.get("next_batch", 1))):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise LibraryError(f"{self.root / META_FILE}: {name} is {value!r}, not a "
                                   "whole number from 1", DAMAGE_HINT)

    def _sync(self, force: bool = False) -> bool:
        """Align the in-memory view with the disk; return whether anything changed.

        Cheap when nothing changed: one ``listdir`` and two ``stat`` calls per shard.
        """
        try:
            names = os.listdir(self.root / PAPERS_DIR)
        except FileNotFoundError:
            names = []
        except NotADirectoryError:
            raise LibraryError(f"{self.root / PAPERS_DIR} is not a directory", DAMAGE_HINT) from None
        numbers = {int(n[:-5]) for n in names if n.endswith(".json") and n[:-5].isdigit()}
        changed: list[Shard] = []
        for number in numbers - self._shards.keys():
            self._shards[number] = Shard(self.root, number, self._tx)
        try:
            # A shard file that is gone takes its papers with it, whatever else fails.
            for number in set(self._shards) - numbers:
                shard = self._shards.pop(number)
                for key in shard.seen_keys:
                    if self._where.get(key) is shard:
                        del self._where[key]
                changed.append(shard)
            fresh: list[tuple[Shard, tuple[object, object], list[str], list[str]]] = []
            for shard in self._shards.values():
                if force:
                    shard.meta_storage.forget()
                    shard.texts_storage.forget()
                stamp = shard.disk_stamp()
                if force or stamp != shard.seen:
                    keys, capitals = shard.cached_keys(stamp[0], self.cache_dir / KEYS_CACHE_DIR,
                                                       use_cache=not force)
                    if keys and stamp[1] is None:
                        raise shard.texts_missing(len(keys))
                    fresh.append((shard, stamp, keys, capitals))
            # Every shard re-read (the first look at a library, a change to every shard).
            every = len(fresh) == len(self._shards)
            # Before the changed shards change: a failure leaves the view of them it had.
            self._check_held_once(fresh, every)
            if every:
                self._where.clear()
            else:
                for shard, _stamp, _keys, _capitals in fresh:
                    for key in shard.seen_keys:
                        if self._where.get(key) is shard:
                            del self._where[key]
            for shard, stamp, keys, capitals in fresh:
                self._where.update(dict.fromkeys(keys, shard))
                shard.seen_keys = keys
                shard.seen_capitalised = capitals
                shard.seen = stamp
                changed.append(shard)
        finally:
            if changed:  # catalogs and the title index follow the keys, even after a failure
                self._norms = None
                self.version += 1
        return bool(changed)

    def _check_held_once(self, fresh: Sequence[tuple[Shard, object, list[str], list[str]]],
                         every: bool) -> None:
        """Raise if a key of the re-read shards ``fresh`` (shard, stamp, keys, capitalised
        keys) is also in another shard, as a bad merge or a hand edit may leave it.
        ``every``: they are all the library's shards."""
        if every:
            # A key can only be twice among them. Counted in C, and looked for only
            # then: 20-35 ms at 100,000 papers, against 11 ms.
            lists = [keys for _shard, _stamp, keys, _capitals in fresh]
            if len(set().union(*lists)) == sum(map(len, lists)):
                return
        stale = {shard for shard, _stamp, _keys, _capitals in fresh}
        owner: dict[str, Shard] = {}
        for shard, _stamp, keys, _capitals in fresh:
            for key in keys:
                other = owner.setdefault(key, shard)
                if other is shard:
                    other = self._where.get(key, shard)
                    if other in stale:  # it moved: the stale shard lets go of it now
                        continue
                if other is not shard:
                    first, second = sorted((other, shard), key=lambda s: s.number)
                    raise LibraryError(
                        f"the paper {key!r} is stored twice, in {first.meta_storage.path} and "
                        f"{second.meta_storage.path}",
                        "delete it from one of them by hand, or restore them from git or a backup")


class TakenKeys:
    """Keys in use, compared as BibTeX compares them, case-insensitively: a key is taken
    when one in use equals it up to case. :meth:`add` takes one more (a key given to a
    paper of the import under way)."""

    def __init__(self, keys: Container[str], capitalised: Iterable[str]) -> None:
        # A key in use is either its own lower case, found in ``keys``, or has capitals:
        # those are few (only .bib keys can have them), and are kept lower-cased here.
        self._keys = keys
        capitals = list(capitalised)
        self._capitalised = len(capitals)
        self._lowered = {key.lower() for key in capitals}

    def may_clash(self) -> bool:
        """Whether two of the keys given at first may be equal up to case (a quick
        test: :meth:`Library.case_clashes` tells which, at 100,000 keys with capitals
        in 70 ms, where this takes 20)."""
        return len(self._lowered) < self._capitalised \
            or any(map(self._keys.__contains__, self._lowered))

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        lowered = key.lower()
        return lowered in self._keys or lowered in self._lowered

    def add(self, key: str) -> None:
        """Take ``key`` too."""
        self._lowered.add(key.lower())


def _writable(directory: Path) -> bool:
    """Whether files can be written in ``directory`` (made if missing)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(directory, os.W_OK)


def build_indexes(root: Path, views: Sequence[ShardView], helpers: Helpers | None = None
                  ) -> None:
    """Build the word indexes of ``views`` (of the library at ``root``) on every core, in
    forked workers. A process that must not fork, as it
    runs other threads (the TUI: :mod:`papershelf.forked`), has one of ``helpers`` fork
    them (:mod:`papershelf.index_process`), and builds here, one after another, only
    those the helper did not (all of them without ``helpers``). The views then load
    them from the cache."""
    from papershelf import forked

    # Workers hand their indexes over through the cache: where it cannot be written
    # (a read-only library), the search builds them here, as it would have anyway.
    if len(views) < 2 or not _writable(root / CACHE_DIR / "index"):
        return
    if helpers is not None and forked.workers_for(len(views)) == 1 \
            and sys.platform == "linux" and forked.usable_cores() > 1 and helpers.build(root):
        return
    _build_indexes(views)


def _build_indexes(views: Sequence[ShardView]) -> None:
    """Build and cache the word indexes of ``views`` on every core (those built by
    workers are cached for the next search; this process loads none of them)."""
    from papershelf.forked import on_every_core

    for _built in on_every_core(_build_index, views):
        pass


def _build_index(view: ShardView) -> None:
    """Build and cache a shard's word index (in a worker, the index stays there)."""
    view.text_index()


#: What a stored field of the wrong type makes the code raise (not an OSError, say).
SHAPE_ERRORS = (TypeError, AttributeError, KeyError, ValueError, OverflowError, IndexError)


def damage_behind(root: Path, exc: BaseException) -> LibraryError | None:
    """The hand-edited record behind ``exc``, an unexpected failure of an operation on
    the library at ``root``: an error naming the first paper whose stored fields are
    not of the types papershelf writes, or ``None`` (then ``exc`` may be a bug).

    Meant for after a failure: it reads every file of the library, straight from disk,
    without the lock (every write replaces a file whole) and without writing anything.
    """
    if not isinstance(exc, SHAPE_ERRORS):
        return None
    from papershelf.records import SMALL_FIELDS, TEXT_FIELDS, damaged_record

    for directory, table, fields in ((PAPERS_DIR, "papers", SMALL_FIELDS),
                                     (TEXTS_DIR, "texts", TEXT_FIELDS)):
        for path in sorted((root / directory).glob("[0-9]*.json")):
            try:
                data = load_json(path.read_bytes())
            except (OSError, ValueError):  # opening the library names these itself
                continue
            records = data.get(table, {}) if isinstance(data, dict) else None
            error = damaged_record(path, records, fields)
            if error is not None:
                return error
    return None


def _has_tag(record: Record, folded: str) -> bool:
    """Whether ``record`` is tagged ``folded`` (:func:`~papershelf.tags.tag_fold`)."""
    tags = record.get("tags")
    if not tags:  # most papers: no generator for them
        return False
    return any(tag_fold(t) == folded for t in tags)
