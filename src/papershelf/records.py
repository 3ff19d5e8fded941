"""How a paper is stored: a small record and a text record, and back to a Paper."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from papershelf.errors import LibraryError
from papershelf.links import extract_links
from papershelf.model import KEY_PATTERN, Entry, Paper, Source, paper_json
from papershelf.shard import Record, Shard
from papershelf.storage import DAMAGE_HINT
from papershelf.tags import drop_invisible, merge_tags, tag_fold


def stored_list(value: object) -> tuple[Any, ...]:
    """A stored list field (tags, links, authors) as a tuple. A null one reads as empty,
    and so does a text put there by hand (``"tags": "to-read"``, which
    :func:`quietly_damaged` names): iterated, it would read as its letters."""
    return tuple(value) if type(value) is list else ()


def record_to_paper(key: str, record: Record, text: Record | None) -> Paper:
    """Build the public :class:`Paper` from a small record and its text record (a
    null list or mapping, as a hand-edited file may hold, reads as empty; see
    :func:`stored_list`)."""
    # Called for every paper of an export: bound lookups and a list (not a generator)
    # for the sources save a third of the time.
    get = record.get
    text_get = text.get if text else _EMPTY.get
    sources = get("sources")
    return Paper(
        key=key,
        title=record["title"],
        abstract=text_get("abstract", ""),
        links=stored_list(get("links")),
        tags=stored_list(get("tags")),
        read=bool(get("read", False)),
        read_at=get("read_at"),
        note=get("note", ""),
        added=get("added", ""),
        sources=tuple([Source(s.get("file", ""), s.get("listed")) for s in sources]) if sources else (),
        authors=stored_list(get("authors")),
        year=get("year"),
        entry_type=get("type"),
        fields=dict(text_get("fields") or _EMPTY),
    )


def record_to_json(key: str, record: Record, text: Record | None) -> dict[str, Any]:
    """``record_to_paper(key, record, text).to_json()`` without building the
    :class:`Paper`: half the time in a JSON export of every paper. The lists and dicts
    returned are the record's own: dump them, do not change them."""
    get = record.get
    text_get = text.get if text else _EMPTY.get
    return paper_json(key, record["title"], text_get("abstract", ""), get("links") or [],
                      get("tags") or [], bool(get("read", False)), get("read_at"),
                      get("note", ""), get("added", ""),
                      [{"file": s.get("file", ""), "listed": s.get("listed")}
                       for s in get("sources") or ()],
                      get("authors") or [], get("year"), get("type"), text_get("fields") or {})


class ExportRecord:
    """What a BibTeX entry or a Markdown section is made of, read straight from a
    paper's stored records: a third of the time :func:`record_to_paper` takes to build
    the whole frozen :class:`Paper` (most of a first export's time besides rendering).
    The values are the record's own: do not change them."""

    __slots__ = (
        "abstract",
        "authors",
        "entry_type",
        "fields",
        "key",
        "links",
        "note",
        "read",
        "tags",
        "title",
        "year",
    )

    def __init__(self, key: str, record: Record, text: Record | None) -> None:
        get = record.get
        text_get = text.get if text else _EMPTY.get
        self.key: str = key
        self.title: str = record["title"]
        self.abstract: str = text_get("abstract", "")
        # The stored lists themselves (never changed in place), not copies, and inline
        # (100,000 of these are built for a first export): stored_list, as a function.
        links, tags, authors = get("links"), get("tags"), get("authors")
        self.links: Sequence[str] = links if type(links) is list else ()
        self.tags: tuple[str, ...] = tuple(tags) if type(tags) is list else ()  # compared with tuples
        self.note: str = get("note", "")
        self.read: bool = bool(get("read", False))
        self.authors: Sequence[str] = authors if type(authors) is list else ()
        self.year: str | None = get("year")
        self.entry_type: str | None = get("type")
        self.fields: Mapping[str, str] = text_get("fields") or _EMPTY


_EMPTY: Record = {}
T = TypeVar("T")
#: How a paper is built from its key, small record and text record.
Build = Callable[[str, Record, "Record | None"], T]


def shard_papers(shard: Shard, build: Build[T], keys: Iterable[str] | None = None
                 ) -> Iterator[T]:
    """Every paper of ``shard`` in the order they were added (or those of ``keys`` still
    in it, in that order), as ``build`` makes it (a :class:`Paper`, or its JSON). The
    shard's text is dropped from memory once the last one is out, so a walk over every
    shard (an export of 100,000 papers) holds one shard's abstracts at a time, not
    150 MB."""
    records, texts = shard.records(), shard.text_records()
    for key in shard.keys_in_order() if keys is None else (k for k in keys if k in records):
        yield build(key, records[key], shard.text_of(texts, key))
    shard.texts_storage.forget()


def new_records(entry: Entry, added: str, tags: Iterable[str]) -> tuple[Record, Record]:
    """The small record and the text record of a newly imported ``entry``."""
    record: Record = {
        "title": entry.title,
        "added": added,
        "links": list(entry.links),
        "sources": [entry.source.to_json()] if entry.source else [],
        "tags": list(merge_tags([], tags)),
        "read": False,
        "read_at": None,
        "note": entry.note,
    }
    text: Record = {"abstract": entry.abstract}
    if entry.authors or entry.year or entry.entry_type:
        record["authors"] = list(entry.authors)
        record["year"] = entry.year
    if entry.entry_type:
        record["type"] = entry.entry_type
        text["fields"] = dict(entry.fields)
    return record, text


def merge_entry(record: Record, text: Record, entry: Entry, tags: Iterable[str],
                before: ImportedBefore) -> list[str]:
    """Fold a re-imported ``entry`` into an existing paper without losing anything.
    Returns what tells the entry apart as another version of the paper
    (:func:`_differing_fields`), if anything: then none of its fields are taken.

    Its keywords and annote give the paper only what no import read for it
    ``before`` (:func:`imported_before`, as the paper was before this entry came: before
    ``import --update`` took the entry's fields)."""
    differing = _merged(record, text, entry, tags, before)
    _remember_imported(text, entry, before)
    return differing


def _reread(links: list[str], incoming: Sequence[str], fields: Iterable[object]) -> list[str]:
    """``links`` with what this version reads of a link that an older version read on
    into the prose after it (``https://x/y—see``, two links joined by a Chinese comma)
    put before it, when the import brings that: else the wrong link stayed first, and
    ``o`` opened it. The old link stays, after them: a URL may hold what ends a link in
    prose (``ジャン＝ポール``). A ``.bib`` entry's ``url`` or DOI (``fields``: the
    paper's and the entry's, as written) keeps its place."""
    if not incoming or all(link in incoming for link in links):
        return links
    again = {link: reread for link in links if link not in incoming
             if (reread := _read_too_far(link)) and all(part in incoming for part in reread)}
    if again:
        from papershelf.importers.bibtex import entry_links, evaluate

        for values in fields:
            if isinstance(values, dict):
                for link in entry_links({str(name).lower(): evaluate(value, {})[0]
                                         for name, value in values.items() if isinstance(value, str)}):
                    again.pop(link, None)
    if not again:
        return links
    fixed: list[str] = []
    moved: dict[str, int] = {}  # stored further down, put before the link it was read from
    for link in links:
        if moved.get(link):
            moved[link] -= 1  # (that copy only: another one stays)
            continue
        for part in again.get(link, ()):
            if part not in fixed:
                fixed.append(part)
                if part in links:
                    moved[part] = moved.get(part, 0) + 1
        fixed.append(link)
    return fixed


def _read_too_far(link: str) -> tuple[str, ...]:
    """What this version reads of ``link`` where it differs by text beyond ASCII cut off
    (where versions before 2026-11-24 read on), else nothing."""
    if link.isascii():
        return ()
    reread = extract_links(link)
    if not reread or reread == (link,) or not link.startswith(reread[0]) \
            or link[len(reread[0]):].isascii():
        return ()
    return reread


def _merged(record: Record, text: Record, entry: Entry, tags: Iterable[str],
            before: ImportedBefore) -> list[str]:
    record["sources"] = sources = record.get("sources") or []  # a null list reads as empty
    if entry.source and not listed_in(record, entry):
        sources.append(entry.source.to_json())
    had = record.get("tags") or ()
    read = _not_read_earlier(had, entry, _not_spelled_from(had, _not_stored_before(had, entry.tags)))
    new = [tag for tag in read if tag_fold(tag) not in before.keywords]
    record["tags"] = list(merge_tags(had, (*new, *tags)))
    note_again = before.read_annote(entry.fields.get("annote"))
    record["links"] = links = _reread(record.get("links") or [], entry.links,
                                      (text.get("fields"), entry.fields))
    for link in entry.links:
        if link not in links:
            links.append(link)
    differing = _differing_fields(record, text, entry) if entry.entry_type else []
    if entry.abstract and not text.get("abstract"):
        text["abstract"] = entry.abstract
    if entry.note and not record.get("note") and not note_again:
        record["note"] = entry.note
    if differing:
        return differing
    if entry.authors and not record.get("authors"):
        record["authors"] = list(entry.authors)
    if entry.year and not record.get("year"):
        record["year"] = entry.year
    if entry.authors or entry.year:
        record.setdefault("authors", [])
        record.setdefault("year", None)
    if entry.entry_type:
        _merge_fields(record, text, entry.entry_type, entry.fields)
    return []


def _kept_field(text: Record, name: str) -> str | None:
    """The paper's own ``.bib`` field ``name`` (any case): what it was first imported with."""
    fields = text.get("fields")
    return field_named(fields, name) if isinstance(fields, dict) else None


def _read_list(text: Record, name: str) -> list[str]:
    """A list of texts the paper's text record keeps (:func:`_remember_imported`)."""
    found = text.get(name)
    return [v for v in found if isinstance(v, str)] if isinstance(found, list) else []


def annote_id(annote: str) -> str:
    """How :func:`_remember_imported` keeps an ``annote`` read (as written): a short
    hash, as a note may be long and is kept in full as the paper's note anyway."""
    import hashlib

    return hashlib.blake2b(annote.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def annote_ids(annote: str) -> tuple[str, ...]:
    """The :func:`annote_id` of an ``annote`` read, as written and as papershelf's export
    writes it while the note still says it (non-ASCII and ``_`` spelled in LaTeX): a
    re-import of that export brings the same annote, not a new one."""
    from papershelf.latex import encode_raw

    return annote_id(annote), annote_id(encode_raw(annote, "annote"))


class ImportedBefore(NamedTuple):
    """What ``.bib`` imports read for a paper: the tags of its keywords, case-folded
    (:func:`~papershelf.tags.tag_fold`), and its annotes (:func:`annote_id`)."""

    keywords: frozenset[str]
    annotes: frozenset[str]

    def read_annote(self, annote: str | None) -> bool:
        """Whether an import read ``annote`` (a field as written) for the paper before."""
        return annote is not None and annote_id(annote) in self.annotes


def _in_own_fields(text: Record, entry: Entry | None = None) -> ImportedBefore:
    """What the paper's own ``.bib`` fields say an import read (its first entry's, or
    those ``import --update`` took); ``entry``: the entry being imported, whose tags
    are those of keywords written as its own (the same file again) are."""
    kept = _kept_field(text, "keywords")
    if kept is None:
        keywords: frozenset[str] = frozenset()
    elif entry is not None and kept == entry.fields.get("keywords"):
        keywords = frozenset(map(tag_fold, entry.tags))
    else:
        keywords = _keyword_tags(kept)
    annote = _kept_field(text, "annote")
    return ImportedBefore(keywords, frozenset(() if annote is None else annote_ids(annote)))


@functools.lru_cache(maxsize=1024)
def _keyword_tags(raw: str) -> frozenset[str]:
    """The tags a raw ``keywords`` value gives, case-folded (each paper's is read twice
    as an import merges it: before and after)."""
    from papershelf.importers.bibtex import evaluate, keywords_to_tags

    return frozenset(tag_fold(tag) for tag in keywords_to_tags(evaluate(raw, {})[0]))


def imported_before(text: Record, entry: Entry | None = None) -> ImportedBefore:
    """What ``.bib`` imports read for the paper of ``text``: a tag removed since, or a
    note emptied, does not come back when a ``.bib`` (a Zotero export kept up to date,
    another file, another version of the paper) is imported again; a keyword new to the
    paper does come. Its own fields, and the lists kept beside them
    (:func:`_remember_imported`). ``entry``: see :func:`_in_own_fields`."""
    own = _in_own_fields(text, entry)
    # (as written, not hashed, by the versions 9ff214c-933841a of one hour: read as hashes)
    annotes = {a if _ANNOTE_ID.fullmatch(a) else annote_id(a) for a in _read_list(text, "imported_annotes")}
    return ImportedBefore(own.keywords | set(_read_list(text, "imported_keywords")), own.annotes | annotes)


_ANNOTE_ID = re.compile("[0-9a-f]{16}")


def _remember_imported(text: Record, entry: Entry, before: ImportedBefore) -> None:
    """Keep in the paper's text record what imports read for it, ``before`` and from
    ``entry``, as far as its own fields do not say it (``imported_keywords``,
    ``imported_annotes``: sorted, never exported). The first entry of a paper imported
    from a ``.bib`` needs none; a paper whose fields ``import --update`` replaced keeps
    what the old ones said."""
    annote = entry.fields.get("annote")
    own = _in_own_fields(text, entry)
    wanted = {
        "imported_keywords": before.keywords.union(map(tag_fold, entry.tags)) - own.keywords,
        "imported_annotes": before.annotes.union(() if annote is None else annote_ids(annote))
        - own.annotes,
    }
    for name, values in wanted.items():
        if values:
            text[name] = sorted(values)
        else:
            text.pop(name, None)


#: Fields that do not tell another version of a paper: those an export writes from the
#: paper itself (its title, abstract, tags and note), whatever the ones kept say, and
#: the crossrefs an import points at the keys their targets have here. (The ``key`` an
#: export writes from the title is no field an import keeps.)
_NO_SIGN_OF_A_VERSION = frozenset({"title", "abstract", "keywords", "annote", "crossref", "xref"})


def take_entry(record: Record, text: Record, entry: Entry) -> bool:
    """For ``import --update``: give a paper (``record``, ``text``) what its re-imported
    ``.bib`` ``entry`` says of it (another version: the article of a preprint, a
    corrected entry): its type and fields (the paper's fields the entry lacks go), and
    its title, authors, year and abstract where the entry has them. Tags, note and read
    state stay the paper's; links and sources are merged as by any re-import.

    What the entry says as the paper says it, in papershelf's export's spelling (in
    ASCII: its own export of 机器学习 reads back as JiQiXueXi), or leaves empty
    (``author = {}``), keeps the paper's own; so do the fields that tell no version
    (:data:`_NO_SIGN_OF_A_VERSION`: a crossref an import pointed at its target's key
    here, keywords an export wrote from the tags). Whether anything changed."""
    assert entry.entry_type is not None
    fields = text.get("fields")
    own = {name.casefold(): (name, value) for name, value in fields.items()
           if isinstance(value, str) and not blank_value(value)} if isinstance(fields, dict) else {}
    updates: Record = {}
    if str(record.get("type")).casefold() != entry.entry_type.casefold():
        updates["type"] = entry.entry_type
    if not _same_text(record.get("title"), entry.title):
        updates["title"] = entry.title
    new_abstract = bool(entry.abstract) and not _same_text(text.get("abstract"), entry.abstract)
    follows = {"title": "title" in updates, "abstract": new_abstract}
    taken: dict[str, str] = {}
    kept_own: set[str] = set()
    for name, value in entry.fields.items():
        folded = name.casefold()
        mine = own.get(folded)
        if mine is not None and (blank_value(value) or _same_printed(mine[1], value, folded) or (
                folded in _NO_SIGN_OF_A_VERSION and not follows.get(folded))):
            taken[mine[0]] = mine[1]
            kept_own.add(folded)
        elif not blank_value(value):
            taken[name] = value
    if entry.authors and not kept_own & {"author", "editor"} and record.get("authors") != list(entry.authors):
        updates["authors"] = list(entry.authors)
    if entry.year and "year" not in kept_own and record.get("year") != entry.year:
        updates["year"] = entry.year
    # the same fields: none taken from the entry, none of the paper's gone (but those
    # that tell no version)
    from_entry = {name.casefold() for name in taken} - kept_own
    same_fields = not from_entry - _NO_SIGN_OF_A_VERSION and own.keys() - _NO_SIGN_OF_A_VERSION <= kept_own
    if not updates and not new_abstract and same_fields:
        return False
    record.update(updates)
    text["fields"] = taken
    if new_abstract:
        text["abstract"] = entry.abstract
    return True


def blank_value(value: str) -> bool:
    """Whether a raw field value holds nothing (``{}``, ``""``, spaces)."""
    return not value.strip(" \t\r\n{}\"")


def _same_text(mine: object, theirs: str) -> bool:
    """Whether the text ``theirs`` of an entry is ``mine``, or ``mine`` as an export
    writes it and an import reads it back (spelled in ASCII)."""
    if mine == theirs:
        return True
    from papershelf.latex import decode, encode

    return isinstance(mine, str) and decode(encode(mine)) == theirs


def another_note(record: Record, entry: Entry, before: ImportedBefore) -> bool:
    """Whether ``entry`` brings a note (``annote``) other than the paper's own, and other
    than the one the paper was imported with (edited since, in papershelf); ``before``:
    what imports read for the paper (:func:`imported_before`)."""
    mine = record.get("note")
    if not entry.note or not isinstance(mine, str) or not mine.strip():
        return False
    if comparable(entry.note) == comparable(mine):
        return False
    # Not one an import read: the note the paper was imported with, as written or as an
    # export writes it (its own fields' annote is among them: annote_ids), said then.
    return not before.read_annote(entry.fields.get("annote"))


def listed_in(record: Record, entry: Entry) -> bool:
    """Whether ``record`` came (also) from the file ``entry`` is read from, listed as
    it is (the file imported again)."""
    return entry.source is not None and entry.source.to_json() in (record.get("sources") or ())


#: The fields that tell versions of a paper apart (the preprint and the article, two
#: editions), compared as BibTeX prints them; the others differ between sources and
#: exports of one version (author order, month macros, URLs percent-encoded, a
#: retargeted crossref, Zotero's urldate and file), and are only added when missing.
_VERSION_FIELDS = ("journal", "booktitle", "volume", "number", "pages", "edition", "doi")
#: Fields of a preprint's entry (Zotero writes one as a misc), which an export of a
#: page-dump paper (a misc too) does not have.
_PREPRINT_FIELDS = frozenset({"publisher", "eprint", "archiveprefix", "howpublished",
                              "primaryclass", "doi", "journal"})
_DASHES = re.compile(r"-+|\u2013|\u2014")


def _differing_fields(record: Record, text: Record, entry: Entry) -> list[str]:
    """What tells the ``.bib`` ``entry`` apart from the paper (``record``, ``text``) with
    fields of its own, as another version of it: its type (``misc`` aside), year, or
    one of :data:`_VERSION_FIELDS`, where both have one."""
    fields = text.get("fields")
    if not record.get("type") or not isinstance(fields, dict):
        return []  # a page-dump paper: the entry's fields are all new
    own = {name.casefold(): value for name, value in fields.items() if isinstance(value, str)}
    theirs = {name.casefold(): value for name, value in entry.fields.items()}
    kind, entry_type = str(record["type"]).casefold(), (entry.entry_type or "").casefold()
    # A misc of an export of a page-dump paper is no version; a preprint's misc is one.
    wildcard = (kind == "misc" and own.keys().isdisjoint(_PREPRINT_FIELDS)) or \
        (entry_type == "misc" and theirs.keys().isdisjoint(_PREPRINT_FIELDS))
    differing = ["type"] if kind != entry_type and not wildcard else []
    year = record.get("year")
    if isinstance(year, str) and entry.year and year.strip() != entry.year.strip():
        differing.append("year")
    differing += [name for name in _VERSION_FIELDS if name in own and name in theirs
                  and not _same_printed(own[name], theirs[name], name)]
    return differing


def _same_printed(mine: str, theirs: str, name: str) -> bool:
    """Whether two raw values of field ``name`` print the same, ``theirs`` perhaps as
    papershelf's export writes ``mine`` (in ASCII: its Greek capitals are Latin ones)."""
    if mine == theirs:  # (most re-imports: no decoding needed)
        return True
    printed = _as_printed(theirs, name)
    if _as_printed(mine, name) == printed:
        return True
    from papershelf.latex import encode_raw

    return _as_printed(encode_raw(mine, name), name) == printed


def _as_printed(raw: str, name: str) -> str:
    """A raw field value as BibTeX prints it, give or take case, spacing and dashes, and
    spelled in ASCII as an export spells it (计算机学报 is JiSuanJiXueBao; a DOI
    percent-encoded)."""
    from papershelf.importers.bibtex import evaluate
    from papershelf.latex import decode

    text = decode(evaluate(raw, {})[0])
    if name == "doi":  # percent-encoded, or a URL (https://doi.org/10...)
        from urllib.parse import unquote

        from papershelf.importers.bibtex import bare_doi

        text = bare_doi(unquote(text))
    return comparable(text)


def comparable(text: str) -> str:
    """``text`` as two spellings of one text compare: in ASCII as an export spells it,
    case-folded, spaces collapsed, dashes one ``-``."""
    if not text.isascii():
        from anyascii import anyascii

        text = anyascii(text)
    return _DASHES.sub("-", " ".join(text.casefold().split()))


def _merge_fields(record: Record, text: Record, entry_type: str,
                  entry_fields: Mapping[str, str]) -> None:
    """The BibTeX type and fields of a re-imported ``.bib`` entry: all of them for a
    paper with none; for a paper with fields of its own (from another ``.bib``, or an
    export imported back), those it lacks, so that its export names the authors and
    year ``show`` does; a ``misc`` type (what an export gives a page-dump paper) gives way
    to the entry's."""
    fields = text.get("fields")
    if not record.get("type") or not isinstance(fields, dict):
        record["type"] = entry_type
        text["fields"] = dict(entry_fields)
        return
    have = {name.casefold() for name in fields}
    fields.update((name, value) for name, value in entry_fields.items()
                  if name.casefold() not in have)
    kind = record["type"]
    if isinstance(kind, str) and kind.casefold() == "misc" and entry_type.casefold() != "misc":
        record["type"] = entry_type


#: Fields a paper does not take from the entry its ``crossref`` names: what the
#: library keeps for that entry itself (its title, abstract, tags and note), and the
#: link, which is the entry's own.
_NOT_INHERITED = frozenset({"title", "abstract", "keywords", "annote", "crossref"})


def inherit_crossref(record: Record, text: Record, target: Record, target_text: Record
                     ) -> list[str]:
    """Give a paper (``record``, ``text``) whose ``crossref`` names the paper
    (``target``, ``target_text``) about to be deleted what it inherits from it, as
    BibTeX fills it in: the fields it lacks, and the year. Its ``crossref`` then names
    the target's own, or is dropped. Returns the names of the fields taken."""
    fields = text["fields"]
    have = {name.casefold() for name in fields}
    target_fields = target_text.get("fields")
    target_fields = target_fields if isinstance(target_fields, dict) else {}
    taken = [name for name, value in target_fields.items()
             if isinstance(value, str) and name.casefold() not in have
             and name.casefold() not in _NOT_INHERITED]
    fields.update((name, target_fields[name]) for name in taken)
    further = field_named(target_fields, "crossref")
    if further is None:
        drop_crossref(text)
    else:
        fields[next(name for name in fields if name.casefold() == "crossref")] = further
    if not record.get("year") and isinstance(target.get("year"), str):
        record["year"] = target["year"]
    return taken


def field_named(fields: Mapping[str, object], wanted: str) -> str | None:
    """The field ``wanted`` (lower-case) of ``fields``, named in any case, as written;
    ``None`` without one."""
    # Run for every paper an export renders (its crossref): a plain loop (next() of a
    # generator took 1.3 µs a paper of ten fields, this 0.8 µs, as the loop it replaced).
    for name, value in fields.items():
        if name.lower() == wanted and isinstance(value, str):
            return value
    return None


def crossref_named(text: Record) -> str | None:
    """The key the ``crossref`` field of the text record ``text`` names, ``None`` without
    one (or with one whose braces do not balance)."""
    from papershelf.importers.bibtex import crossref_target
    from papershelf.latex import balanced

    fields = text.get("fields")
    raw = field_named(fields, "crossref") if isinstance(fields, dict) else None
    return crossref_target(raw) if raw is not None and balanced(raw) else None


def drop_crossref(text: Record) -> None:
    """Remove the ``crossref`` field of the text record ``text`` (which has fields)."""
    fields = text["fields"]
    for name in [name for name in fields if name.casefold() == "crossref"]:
        del fields[name]


def _not_read_earlier(tags: Sequence[str], entry: Entry, read: Sequence[str]) -> Sequence[str]:
    """The tags ``read`` from ``entry``'s keywords, less those whose reading by versions
    before 2026-11-23 the paper has (``\\texttt{PyTorch}`` gave ``texttt``): those
    are the paper's already, read then."""
    raw = entry.fields.get("keywords")
    if not read or raw is None or "\\" not in raw:
        return read
    from papershelf.importers.bibtex import keywords_read_earlier

    have = set(map(tag_fold, tags))
    again = {tag_fold(now) for now, then in keywords_read_earlier(raw) if tag_fold(then) in have}
    return [tag for tag in read if tag_fold(tag) not in again]


def _not_stored_before(tags: Sequence[str], read: Sequence[str]) -> Sequence[str]:
    """The tags ``read`` from a file, less those that are one of ``tags`` as versions
    before this one stored it and an import now reads it: they took ``#ml`` as a tag
    (an export writes it as the keyword ``\\#ml``, read now as ``ml``), and kept a
    zero-width joiner that joins nothing (``coder`` and one, read now as ``coder``)."""
    old = {tag_fold(now) for tag in tags
           if tag.startswith("#") or not tag.isprintable()
           if (now := drop_invisible(tag.lstrip("#"))) != tag}
    return [tag for tag in read if tag_fold(tag) not in old] if old else read


def _not_spelled_from(tags: Sequence[str], read: Sequence[str]) -> Sequence[str]:
    """The tags ``read`` from a file, less those that are how an export spells one of
    ``tags``: a paper tagged ``学习`` is exported with ``keywords = {XueXi}``, and
    importing that file again must not add ``XueXi`` to it."""
    spelled_from = [tag for tag in tags if not tag.isascii()]
    if not spelled_from or not read:
        return read
    from papershelf.exporters.bibtex import tags_read_back  # only for non-ASCII tags

    spelled = set(map(tag_fold, tags_read_back(spelled_from)))
    return [tag for tag in read if tag_fold(tag) not in spelled]


# ------------------------------------------------------------------ stored types


def _text(value: object) -> bool:
    return isinstance(value, str)


def _optional_text(value: object) -> bool:
    return value is None or isinstance(value, str)


def _whole_number(value: object) -> bool:  # as NumPy's int64 columns hold it
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def _flag(value: object) -> bool:
    return isinstance(value, bool)


def _texts(value: object) -> bool:  # a null list reads as empty
    return value is None or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def _sources(value: object) -> bool:
    return value is None or (isinstance(value, list) and all(
        isinstance(s, dict) and _text(s.get("file", "")) and _optional_text(s.get("listed"))
        for s in value))


def _text_fields(value: object) -> bool:
    return value is None or (isinstance(value, dict)
                             and all(isinstance(v, str) for v in value.values()))


Check = tuple[Callable[[object], bool], str]
#: What each field of a small record (``papers/NNNN.json``) holds, as papershelf writes it.
SMALL_FIELDS: dict[str, Check] = {
    "title": (_text, "text"), "added": (_text, "text"), "note": (_text, "text"),
    "read": (_flag, "true or false"), "read_at": (_optional_text, "text or null"),
    "seq": (_whole_number, "a whole number"), "batch": (_whole_number, "a whole number"),
    "tags": (_texts, "a list of texts"), "links": (_texts, "a list of texts"),
    "authors": (_texts, "a list of texts"), "year": (_optional_text, "text or null"),
    "type": (_optional_text, "text or null"), "sources": (_sources, "a list of sources"),
}
#: The same for a text record (``texts/NNNN.json``).
TEXT_FIELDS: dict[str, Check] = {
    "abstract": (_text, "text"), "fields": (_text_fields, "an object of texts"),
    "bib_keys": (_texts, "a list of texts"), "imported_keywords": (_texts, "a list of texts"),
    "imported_annotes": (_texts, "a list of texts"),
}


def stored_problem(record: object, fields: dict[str, Check]) -> str | None:
    """What a hand edit left wrong in a stored record, checked against ``fields``
    (:data:`SMALL_FIELDS` or :data:`TEXT_FIELDS`), or ``None``. Checked when a file
    changed behind papershelf's back (:meth:`papershelf.shard.Shard.cached_keys`) and
    after an operation failed (:func:`papershelf.library.damage_behind`), not on every
    read, which would cost every command time."""
    if not isinstance(record, dict):
        return "is not a JSON object"
    if fields is SMALL_FIELDS and "title" not in record:
        return "has no title"
    for name, (holds, what) in fields.items():
        if name in record and not holds(record[name]):
            return f"has {name} {_as_written(record[name])}, which should be {what}"
    return None


def _as_written(value: object) -> str:
    """A stored value as the file has it: a text quoted (cut at 40 characters), other
    values as JSON (``null``, ``5``, ``["a"]``), not as Python (``None``)."""
    if isinstance(value, str):
        return repr(value[:40])
    import json

    written = json.dumps(value, ensure_ascii=False)
    return written if len(written) <= 40 else written[:39] + "…"


def damaged_record(path: Path, records: object, fields: dict[str, Check]) -> LibraryError | None:
    """The error naming the first of ``records`` (the table of the file at ``path``)
    that a hand edit left wrong, or ``None``."""
    if not isinstance(records, dict):
        table = "papers" if fields is SMALL_FIELDS else "texts"
        return LibraryError(f"{path}: {table} is not a JSON object", DAMAGE_HINT)
    for key, record in records.items():
        problem = stored_problem(record, fields)
        if problem:
            return LibraryError(f"{path}: the paper {key!r} {problem}", DAMAGE_HINT)
    return None


def _unreadable_key(keys: Collection[str]) -> str | None:
    """The first of ``keys`` that BibTeX cannot read (not as
    :data:`papershelf.model.KEY_PATTERN` has them), ``None`` if none: looked for one by
    one only when one pass over them all says there is one."""
    joined = "\n".join(keys)
    # (a key with a line break would read as two good ones)
    if not keys or (joined.count("\n") == len(keys) - 1 and _KEYS.fullmatch(joined + "\n")):
        return None
    return next(key for key in keys if "\n" in key or not KEY_PATTERN.fullmatch(key))


_LIST_OR_NULL = (list, type(None))
_join = "".join
#: Keys a line each, each as :data:`papershelf.model.KEY_PATTERN` has them.
_KEYS = re.compile(f"(?:{KEY_PATTERN.pattern}\n)*")


def quietly_damaged(path: Path, records: object) -> LibraryError | None:
    """:func:`damaged_record` for the hand edits that would be read without an error,
    and so go on unnoticed, in the small records of the file at ``path``: a text where
    a list goes (``"tags": "to-read"`` reads as the tags t, o, -, ...) or a list of other
    than texts (``[1, 2]``, which a JSON export wrote as it was), a key BibTeX cannot
    read (``Bad Key!``: an export would not compile), a title or note
    that is not text (``list --json`` would print it), a read flag or a sequence number
    of another type. About 0.65 ms per 1,000 papers (0.51 before the lists' elements were
    checked; a shard of 2,048, best of 5), where checking every field takes 2.2 ms;
    what else is wrong fails an operation, whose error then names it
    (:func:`papershelf.library.damage_behind`)."""
    if not isinstance(records, dict):
        return damaged_record(path, records, SMALL_FIELDS)
    bad = _unreadable_key(records)
    if bad is not None:
        return LibraryError(f"{path}: the paper {_as_written(bad)} has a key BibTeX cannot "
                            "read (letters, digits and _ : . - only, a letter or digit first)",
                            DAMAGE_HINT)
    suspects = {}
    for key, record in records.items():
        if type(record) is not dict:
            suspects[key] = record
            continue
        get = record.get
        if (type(get("title")) is not str or type(get("note", "")) is not str
                or type(get("tags")) not in _LIST_OR_NULL or type(get("links")) not in _LIST_OR_NULL
                or type(get("authors")) not in _LIST_OR_NULL
                or type(get("read", False)) is not bool or type(get("seq", 0)) is not int
                or type(get("batch", 0)) is not int):
            suspects[key] = record
            continue
        try:  # an element that is not text ("tags": [1, 2]): a join is the quickest check
            _join(get("tags") or ()), _join(get("links") or ()), _join(get("authors") or ())
        except TypeError:
            suspects[key] = record
    return damaged_record(path, suspects, SMALL_FIELDS) if suspects else None
