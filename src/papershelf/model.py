"""The paper record and its citation key.

Pure functions and frozen dataclasses only: everything else in papershelf builds on
these, so this module imports nothing beyond the standard library. Text rules (folding,
words, a title's identity) are in :mod:`papershelf.text`, tag rules in
:mod:`papershelf.tags`: commands that only change tags or notes need not load these
dataclasses.
"""

from __future__ import annotations

import copyreg
import operator
import re
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from papershelf.text import ascii_spelling

KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:.-]*")
KEY_MAX_LENGTH = 40

_STOPWORDS = frozenset(
    "a an the of for and or in on at to via by from with without into is are as its "
    "towards toward than do does how what when why can".split()
)
#: A key's characters in ASCII text: letters (in lower case), digits and dots kept,
#: separators (whitespace, ``/``, ``-``) to spaces, the rest dropped.
_KEY_CHARS = str.maketrans({chr(c): chr(c).lower() if chr(c).isalnum() or chr(c) == "." else
                            " " if chr(c).isspace() or chr(c) in "/-" else None for c in range(128)})
_DOTS = re.compile(r"\.{2,}")

C = TypeVar("C", bound=type)


def _pickled_as_fields(cls: C) -> C:
    """Pickle (and copy) instances of exactly the frozen, slotted dataclass ``cls`` as a
    call with their field values. Its default (a state set field by field) took twice
    as long to load the entries of a ``.bib`` that forked parsers send back. Registered
    with :mod:`copyreg` for ``cls`` alone: a subclass, which may hold more, keeps the
    default."""
    names = cls.__slots__  # type: ignore[attr-defined]
    values = operator.attrgetter(*names)
    one = len(names) == 1  # then attrgetter gives the value, not a tuple

    def reduce(obj: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, (values(obj),) if one else values(obj)

    copyreg.pickle(cls, reduce)
    return cls


@_pickled_as_fields
@dataclass(frozen=True, slots=True)
class Source:
    """Where a paper came from: the imported file's name and the listing date."""

    file: str
    listed: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The SPEC's JSON shape: ``{"file": ..., "listed": ...}``."""
        return {"file": self.file, "listed": self.listed}


@_pickled_as_fields
@dataclass(frozen=True, slots=True)
class Entry:
    """One paper as an importer found it, before the library gives it a key.

    ``bib_key``, ``entry_type`` and ``fields`` are only set for ``.bib`` imports;
    ``fields`` then holds every original field (raw BibTeX values) for export.
    """

    title: str
    abstract: str = ""
    links: tuple[str, ...] = ()
    source: Source | None = None
    authors: tuple[str, ...] = ()
    year: str | None = None
    bib_key: str | None = None
    entry_type: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Paper:
    """A paper in the library: immutable text plus the user's state."""

    key: str
    title: str
    abstract: str = ""
    links: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    read: bool = False
    read_at: str | None = None
    note: str = ""
    added: str = ""
    sources: tuple[Source, ...] = ()
    authors: tuple[str, ...] = ()
    year: str | None = None
    entry_type: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The SPEC's JSON shape of a paper (what ``--json`` prints)."""
        return paper_json(self.key, self.title, self.abstract, list(self.links), list(self.tags),
                          self.read, self.read_at, self.note, self.added,
                          [s.to_json() for s in self.sources], list(self.authors), self.year,
                          self.entry_type, dict(self.fields))


#: A raw ``author`` or ``editor`` field ending in BibTeX's ``and others`` ("et al."; the
#: ``and`` in any case, ``others`` as BibTeX's styles compare it: ``Others`` is a name).
_AND_OTHERS = re.compile(r"\s[aA][nN][dD]\s+others\s*[}\"]?\s*$")


def author_line(authors: Sequence[str], fields: Mapping[str, str]) -> str:
    """``authors`` as shown (``Last, First; Last, First``: a comma cannot also separate
    them), then "et al." where the ``.bib`` said ``and others``, which names no one."""
    raw = fields.get("author") or fields.get("editor") or ""
    others = isinstance(raw, str) and _AND_OTHERS.search(raw) is not None
    return "; ".join([*authors, "et al."] if others and authors else authors)


def paper_json(key: str, title: str, abstract: str, links: list[str], tags: list[str],
               read: bool, read_at: str | None, note: str, added: str,
               sources: list[dict[str, Any]], authors: list[str], year: str | None,
               entry_type: str | None, fields: dict[str, str]) -> dict[str, Any]:
    """The SPEC's JSON shape of a paper from its parts (the one place that lays it out,
    for :meth:`Paper.to_json` and for exports straight from the stored records)."""
    data: dict[str, Any] = {
        "key": key,
        "title": title,
        "abstract": abstract,
        "links": links,
        "tags": tags,
        "read": read,
        "read_at": read_at,
        "note": note,
        "added": added,
        "sources": sources,
    }
    if authors or year or entry_type:
        data["authors"] = authors
        data["year"] = year
    if entry_type:
        data["type"] = entry_type
        data["fields"] = fields
    return data


def now_iso() -> str:
    """The current UTC time as the SPEC writes it: ``2026-11-22T10:00:00+00:00``."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _key_words(text: str) -> list[str]:
    """ASCII words of ``text`` for a key: letters, digits and inner dots.

    Words are split at whitespace, ``/`` and ``-``; other characters are dropped.
    """
    ascii_text = ascii_spelling(text).encode("ascii", "ignore").decode()
    words = []
    for raw in ascii_text.translate(_KEY_CHARS).split():
        word = raw.strip(".")
        if ".." in word:
            word = _DOTS.sub(".", word)
        if word:
            words.append(word)
    return words


def _join_within(words: Iterable[str], limit: int) -> str:
    """Join ``words`` with ``-`` without exceeding ``limit`` characters."""
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > limit:
            if not out:
                out = word[:limit].rstrip(".")
            break
        out = candidate
    return out


def base_key(title: str) -> str:
    """A readable key made from the title's words (before any collision suffix).

    A short name before a colon wins (``LanguageBind: ...`` gives ``languagebind``);
    otherwise the first four significant words are joined with ``-``.
    """
    head, sep, _ = title.partition(":")
    head_words = _key_words(head) if sep else []
    if 0 < len(head_words) <= 3:
        words = head_words
    else:
        all_words = _key_words(title)
        significant = [w for w in all_words if w not in _STOPWORDS]
        words = (significant or all_words)[:4]
    key = _join_within(words, KEY_MAX_LENGTH)
    return key if key and KEY_PATTERN.fullmatch(key) else "paper"


def unique_key(wanted: str, taken: Container[str], suffixes: dict[str, int] | None = None) -> str:
    """``wanted`` itself when free, else ``wanted-2``, ``wanted-3``, ... (at most 40 chars).

    ``suffixes`` (kept by the caller across calls while no key is freed) remembers the
    first suffix not yet tried for each wanted key, so that n papers wanting the same
    key cost n lookups, not n squared.
    """
    wanted = wanted[:KEY_MAX_LENGTH]
    if wanted not in taken:
        return wanted
    n = suffixes.get(wanted, 2) if suffixes is not None else 2
    while True:
        suffix = f"-{n}"
        candidate = wanted[: KEY_MAX_LENGTH - len(suffix)].rstrip("-.:_") + suffix
        if candidate not in taken:
            if suffixes is not None:
                suffixes[wanted] = n + 1
            return candidate
        n += 1


def is_valid_key(key: str) -> bool:
    """Whether ``key`` has the SPEC's key shape."""
    return len(key) <= KEY_MAX_LENGTH and KEY_PATTERN.fullmatch(key) is not None


def why_key_changed(bib_key: str) -> str:
    """Why an imported paper could not keep its ``.bib`` key ``bib_key``."""
    if not is_valid_key(bib_key):
        return f"a key holds only letters, digits and _ : . -, at most {KEY_MAX_LENGTH}"
    # (a paper is known by its title: a new version with another one, a preprint's
    # article renamed, is another paper, and --update, which matches titles, skips it)
    return "that key is taken, up to case, by a paper of another title"


