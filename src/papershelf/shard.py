"""A shard of the library: two TinyDB files keyed by citation key.

``papers/NNNN.json`` holds the small, often-changing records (title, tags, read state,
note, sources); ``texts/NNNN.json`` the bulky, rarely-changing text (abstract, original
BibTeX fields). Both go through :class:`~papershelf.storage.JSONFileStorage`, so every
write is staged in the library's open transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Table

from papershelf.errors import LibraryError
from papershelf.storage import DAMAGE_HINT, JSONFileStorage, TransactionSource, load_json

PAPERS_DIR = "papers"
#: The table of a ``papers/`` file (``{"papers": {key: record}}``).
PAPERS_TABLE = "papers"
TEXTS_DIR = "texts"

Record = dict[str, Any]


def copy_record(record: Record) -> Record:
    """A deep copy of a JSON record."""
    import orjson

    return orjson.loads(orjson.dumps(record))  # type: ignore[no-any-return]


class KeyedTable(Table):
    """A TinyDB table whose document ids are citation keys (strings).

    TinyDB types document ids as ``int``; these helpers keep the one place where a
    string id crosses that boundary.
    """

    document_id_class = str  # type: ignore[assignment]

    def _get_next_id(self) -> int:
        raise LibraryError("internal: papers are always inserted under their key")

    def get_doc(self, key: str) -> Record | None:
        """The document stored under ``key``, as a plain dict."""
        doc = self.get(doc_id=key)  # type: ignore[call-overload]
        return dict(doc) if doc is not None else None

    def put_docs(self, docs: Mapping[str, Record]) -> None:
        """Insert or replace documents by key (one table rewrite however many)."""
        if not docs:
            return

        def put(table: dict[str, Record]) -> None:
            # A shallow copy each, as TinyDB's insert stores; no Document objects (a
            # remove then an insert_multiple took twice as long for a 5,000-paper import).
            table.update((key, dict(doc)) for key, doc in docs.items())

        self._update_table(put)  # type: ignore[arg-type]

    def remove_docs(self, keys: Iterable[str]) -> None:
        """Remove the documents of ``keys`` that exist."""
        raw = self._read_table()
        present = [k for k in keys if k in raw]
        if present:
            self.remove(doc_ids=present)  # type: ignore[arg-type]


class KeyedDB(TinyDB):
    """TinyDB with :class:`KeyedTable` tables."""

    table_class = KeyedTable


class Shard:
    """One numbered shard: a small-records database and a texts database."""

    def __init__(self, root: Path, number: int, transactions: TransactionSource) -> None:
        self.number = number
        name = f"{number:04d}.json"
        self.meta_db = KeyedDB(root / PAPERS_DIR / name, storage=JSONFileStorage,
                               transactions=transactions)
        self.texts_db = KeyedDB(root / TEXTS_DIR / name, storage=JSONFileStorage,
                                transactions=transactions)
        self.meta: KeyedTable = self.meta_db.table(PAPERS_TABLE)  # type: ignore[assignment]
        self.texts: KeyedTable = self.texts_db.table("texts")  # type: ignore[assignment]
        #: What the library last indexed: the files' identity and the keys they held.
        self.seen: tuple[object, object] | None = None
        self.seen_keys: list[str] = []
        #: Those of :attr:`seen_keys` with capitals (see :func:`capitalised`).
        self.seen_capitalised: list[str] = []

    @property
    def meta_storage(self) -> JSONFileStorage:
        """The storage of ``papers/NNNN.json``."""
        storage = self.meta_db.storage
        assert isinstance(storage, JSONFileStorage)
        return storage

    @property
    def texts_storage(self) -> JSONFileStorage:
        """The storage of ``texts/NNNN.json``."""
        storage = self.texts_db.storage
        assert isinstance(storage, JSONFileStorage)
        return storage

    def records(self) -> dict[str, Record]:
        """The raw small records by key (read-only: change them through the tables)."""
        data = self.meta_storage.read() or {}
        records: dict[str, Record] = data.get(PAPERS_TABLE, {})
        return records

    def text_records(self) -> dict[str, Record]:
        """The raw text records by key (read-only)."""
        data = self.texts_storage.read() or {}
        texts: dict[str, Record] = data.get("texts", {})
        return texts

    def texts_missing(self, papers: int) -> LibraryError:
        """The error for this shard's ``texts/`` file gone while its ``papers/`` file holds
        ``papers`` papers: read as having none, their abstracts and BibTeX fields would
        be lost silently, from what is shown and exported (and saved so by the next
        change)."""
        return LibraryError(
            f"{self.texts_storage.path} is missing, but {self.meta_storage.path} holds "
            f"{papers} paper{'s' if papers != 1 else ''}: their abstracts and BibTeX fields are in it",
            'restore it from git or a backup (a file holding {"texts": {}} keeps the papers '
            "without them)")

    def text_of(self, texts: Mapping[str, Record], key: str) -> Record | None:
        """The text record of the paper ``key`` in ``texts`` (:meth:`text_records`);
        ``None`` when the file holds none at all (the way out :meth:`texts_missing`
        gives). Raises when it holds others' but not this one (a bad merge): shown or
        exported without it, the paper would lose its abstract and BibTeX fields
        silently."""
        text = texts.get(key)
        if text is None and texts:
            raise LibraryError(
                f"{self.texts_storage.path} has no record of the paper {key!r}, which "
                f"{self.meta_storage.path} holds: its abstract and BibTeX fields are in it",
                f'restore it from git or a backup (a record "{key}": {{"abstract": ""}} keeps '
                "the paper without them)")
        return text

    def keys_in_order(self) -> list[str]:
        """The keys of this shard in the order their papers were added."""
        records = self.records()
        return sorted(records, key=lambda k: records[k].get("seq", 0))

    def put(self, records: Mapping[str, Record], texts: Mapping[str, Record]) -> None:
        """Insert or replace whole records (one table rewrite per file)."""
        self.meta.put_docs(records)
        self.texts.put_docs(texts)

    def delete(self, keys: Sequence[str]) -> None:
        """Remove the papers ``keys`` from both files."""
        self.meta.remove_docs(keys)
        self.texts.remove_docs(keys)

    def update(self, keys: Sequence[str], change: Callable[[Record], None]) -> dict[str, Record]:
        """Replace the small records of ``keys`` by changed copies; return them.

        ``change`` sets fields of a shallow copy: it must never change a field's value
        in place. Records are never changed in place, so a :class:`Catalog` built
        earlier keeps seeing the state it was built from.
        """
        records = self.records()
        changed = {key: dict(records[key]) for key in keys}
        for record in changed.values():
            change(record)
        self.put(changed, {})
        return changed

    def cached_keys(self, stamp: object, cache_dir: Path, use_cache: bool = True
                    ) -> tuple[list[str], list[str]]:
        """The keys in the ``papers/`` file, whose identity is ``stamp``, and those of them
        with capitals (:func:`capitalised`): from the key cache in ``cache_dir`` when it
        was written for that very file, else parsed (and cached there)."""
        if not isinstance(stamp, tuple):  # no file
            unstamped = list(self.records())
            return unstamped, capitalised(unstamped)
        path = cache_dir / f"{self.number:04d}.keys"
        wanted = list(stamp)
        if use_cache:
            cached = _read_keys(path, wanted)
            if cached is not None:
                return cached
        records = self.records()
        if not self.meta_storage.written_here:  # changed behind our back: by hand, a merge
            from papershelf.records import quietly_damaged

            data = self.meta_storage.read()
            if isinstance(data, dict) and PAPERS_TABLE not in data:  # ({} written over it)
                raise LibraryError(f"{self.meta_storage.path} holds no {PAPERS_TABLE!r} table, "
                                   "which papershelf always writes (empty when it has no paper)",
                                   DAMAGE_HINT)
            error = quietly_damaged(self.meta_storage.path, records)
            if error is not None:
                raise error
        keys = list(records)
        capitals = capitalised(keys)
        if self.meta_storage.disk_stamp() == stamp:  # what was parsed is what the stamp names
            _write_keys(path, wanted, keys, capitals)
        return keys, capitals

    def cached_titles(self, stamp: object, cache_dir: Path) -> dict[str, str]:
        """Normalised title (:func:`~papershelf.text.normalize_title`) -> key for the papers
        of the ``papers/`` file whose identity is ``stamp`` (of papers with one title, the
        last of the file): from the title cache in ``cache_dir`` when it was written for
        that very file by the same rules, else worked out from the records (and cached
        under the identity of the file they were read from). Normalising the 100,000
        titles of a library took 0.6 s of each import, parsing them 0.4 s more."""
        from papershelf.text import normalize_title, title_rules

        rules = title_rules()
        path = cache_dir / f"{self.number:04d}.json"
        # (a write of the shard staged in the change under way is what its records are)
        if isinstance(stamp, tuple) and rules is not None and not self.meta_storage.staged():
            try:
                cached = load_json(path.read_bytes())
                titles = cached["titles"]
                if cached["stamp"] == list(stamp) and cached["rules"] == rules \
                        and isinstance(titles, dict):
                    return titles
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                pass
        records = self.records()
        read = self.meta_storage.read_stamp()  # the identity of the file just read
        titles = {normalize_title(record["title"]): key for key, record in records.items()}
        if read is not None and rules is not None:
            write_cache(path, {"stamp": list(read), "rules": rules, "titles": titles})
        return titles

    def disk_stamp(self) -> tuple[object, object]:
        """Identity of both files on disk; it changes whenever either is replaced."""
        return (self.meta_storage.disk_stamp(), self.texts_storage.disk_stamp())


def _read_keys(path: Path, stamp: list[object]) -> tuple[list[str], list[str]] | None:
    """The keys and capitalised keys cached at ``path`` for the file ``stamp`` names, or
    ``None`` (no cache, another file's, or one cut short)."""
    try:
        data = path.read_bytes()
        head, _, body = data.partition(b"\n")
        header = load_json(head)
        lines = body.decode().split("\n") if body else []
        count = header["keys"]
        if header["stamp"] == stamp and header["size"] == len(body) \
                and isinstance(count, int) and 0 <= count <= len(lines) \
                and count + header["capitalised"] == len(lines):
            return lines[:count], lines[count:]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def _write_keys(path: Path, stamp: list[object], keys: list[str], capitals: list[str]) -> None:
    """Cache ``keys`` for the file ``stamp`` names: a JSON header line (the stamp, how
    many keys, capitalised keys and bytes follow), then the keys a line each, then the
    capitalised ones. Splitting lines took 5 ms for the 50 shards of 100,000 papers,
    where parsing the keys as JSON took 12 ms of every command. A key with a line
    break (a hand edit: papershelf makes none), or a lone empty key, is not cached:
    the lines would not give it back."""
    import orjson

    with contextlib.suppress(OSError):
        path.with_suffix(".json").unlink(missing_ok=True)  # the cache's old format
    if keys == [""] or any("\n" in key for key in keys):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return
    body = "\n".join(keys + capitals).encode()
    header = orjson.dumps({"stamp": stamp, "keys": len(keys), "capitalised": len(capitals),
                           "size": len(body)})
    write_cache(path, header + b"\n" + body)


def capitalised(keys: Iterable[str]) -> list[str]:
    """The keys of ``keys`` with capitals. BibTeX tells keys apart case-insensitively, so
    a new key must differ from these in more than case; every other key is its own
    lower case, and a dict lookup finds it. Kept in the key cache: working them out
    from 100,000 keys at each import would take 7 ms."""
    return [key for key in keys if key.lower() != key]


def write_cache(path: Path, data: Record | bytes) -> bool:
    """Write a derived cache file in place, in one piece: no temporary file for a
    crash to leave behind. A reader takes whatever is incomplete (does not parse, or
    is shorter than it says), or names other files than its own, for a miss; a
    read-only library just goes uncached. Returns whether the file was written."""
    import orjson

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else orjson.dumps(data))
    except OSError:
        # A write cut short (a full disk) leaves a file whose header may still match:
        # readers would see a miss, but one whose header is checked alone would not.
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return False
    return True
