"""The paper record, its citation key, title identity and tag rules.

Pure functions and frozen dataclasses only: everything else in papershelf builds on
these, so this module imports nothing beyond the standard library.
"""

from __future__ import annotations

import copyreg
import operator
import re
import unicodedata
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from papershelf.errors import quoted

KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:.-]*")
KEY_MAX_LENGTH = 40

_STOPWORDS = frozenset(
    "a an the of for and or in on at to via by from with without into is are as its "
    "towards toward than do does how what when why can".split()
)
#: ASCII text folded and split in one pass: capitals to lower case, all but letters and
#: digits to spaces (what ``fold`` then a split at non-alphanumerics would do).
_ASCII_FOLD_SPLIT = str.maketrans({chr(c): chr(c).lower() if chr(c).isalnum() else " "
                                   for c in range(128)})
_WORD = re.compile(r"[^\W_]+")
#: A key's characters in ASCII text: letters (in lower case), digits and dots kept,
#: separators (whitespace, ``/``, ``-``) to spaces, the rest dropped.
_KEY_CHARS = str.maketrans({chr(c): chr(c).lower() if chr(c).isalnum() or chr(c) == "." else
                            " " if chr(c).isspace() or chr(c) in "/-" else None for c in range(128)})
_DOTS = re.compile(r"\.{2,}")
#: A ``;`` too: a ``.bib``'s ``keywords`` may be split at it, so such a tag would not
#: come back from an export.
_TAG_FORBIDDEN = re.compile(r"[\s,;\"'{}\[\]\\\x00-\x1f\x7f-\x9f]")
#: Control characters but tab and line feed (C0, DEL and C1): they would move or recolour
#: the cursor of a terminal showing the text.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

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


def fold(text: str) -> str:
    """Case-fold and strip accents, so ``Schrödinger`` compares equal to ``schrodinger``."""
    if text.isascii():
        return text.lower()
    # Decomposed before case-folding too: compatibility forms fold to capitals otherwise
    # (bold "𝐀" to "A", "ℂ" to "C"). Again after it, for what case-folding composes.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    # Test each distinct character once, then drop the marks in one C-speed pass: a
    # per-character generator took 65 ms over the non-ASCII abstracts of 5,000 papers.
    marks = {ord(ch): None for ch in set(decomposed) if unicodedata.combining(ch)}
    return decomposed.translate(marks) if marks else decomposed


def collapse_whitespace(text: str) -> str:
    """``text`` with every run of whitespace one space and none at either end (what
    ``" ".join(text.split())`` gives), handed back as it is when it is so already."""
    # Printable text holds no whitespace but " ": str.isprintable is false for every
    # other separator and for control characters. A third of the time of a split and a
    # join for an abstract.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def drop_controls(text: str) -> str:
    """``text`` without control characters, tabs and line feeds kept (a carriage return
    goes too: CRLF line ends become LF)."""
    return text if text.isprintable() else _CONTROLS.sub("", text)


def words(text: str) -> list[str]:
    """The words of ``text``, folded: runs of letters and digits."""
    if text.isascii():
        return text.translate(_ASCII_FOLD_SPLIT).split()
    folded = fold(text)
    if folded.isascii():
        return folded.translate(_ASCII_FOLD_SPLIT).split()
    return _WORD.findall(folded)


def normalize_title(title: str) -> str:
    """The identity of a paper: its title case-folded, whitespace and punctuation collapsed.

    Two entries are the same paper exactly when their normalised titles are equal.
    """
    return " ".join(words(title))


def _key_words(text: str) -> list[str]:
    """ASCII words of ``text`` for a key: letters, digits and inner dots.

    Words are split at whitespace, ``/`` and ``-``; other characters are dropped.
    """
    ascii_text = fold(text).encode("ascii", "ignore").decode()
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
    return "that key is taken, up to case"


def is_utf8(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8: Python reads bytes that are not UTF-8
    (from a terminal, a pipe or a command line) into lone surrogates, which it cannot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def tag_problem(tag: str) -> str | None:
    """Why ``tag`` is not a valid tag, or ``None`` when it is."""
    if not tag:
        return "a tag cannot be empty"
    if not is_utf8(tag):
        return f"tag {quoted(tag.encode('utf-8', 'replace').decode())} is not UTF-8 text"
    if tag.startswith("-"):
        return f"tag {quoted(tag)} cannot start with '-'"
    if _TAG_FORBIDDEN.search(tag):
        return (f"tag {quoted(tag)} cannot contain spaces, commas, semicolons, quotes, brackets, "
                "backslashes or control characters")
    if len(tag) > 64:
        return f"tag {quoted(tag, 21)} is longer than 64 characters"
    return None


def merge_tags(tags: Iterable[str], extra: Iterable[str]) -> tuple[str, ...]:
    """``tags`` plus those of ``extra`` not already present (case-insensitively)."""
    out = list(tags)
    seen = {t.casefold() for t in out}
    for tag in extra:
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    return tuple(out)


def without_tag(tags: Iterable[str], tag: str) -> tuple[str, ...]:
    """``tags`` minus ``tag`` (case-insensitively)."""
    wanted = tag.casefold()
    return tuple(t for t in tags if t.casefold() != wanted)
