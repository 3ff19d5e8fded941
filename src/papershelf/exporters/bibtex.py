"""BibTeX export: one entry per paper that BibTeX and pdflatex accept whatever its text.

Page-dump papers become ``@misc`` with ``title``, ``key`` (a short title, for
author-year styles to cite a paper with no author by: :func:`short_title`), ``abstract``,
``url`` (first link), ``keywords`` (tags) and ``annote`` (the user's note: ``note`` is
printed in the bibliography by every standard style, ``annote`` by none). Papers imported from ``.bib``
keep their type and original fields, except that title, abstract, keywords and annote
follow the library's current title, tags and note. Text is escaped by
:mod:`papershelf.latex` (bibtexparser escapes nothing, and its encoding middleware
escapes intentional braces); the original fields keep their LaTeX as written, but
their non-ASCII characters are spelled in LaTeX and their control characters dropped
(:func:`~papershelf.latex.encode_raw`): output is ASCII, which pdflatex reads whatever
the document's font encoding.

Entries are laid out as bibtexparser's writer lays them out (two-space indent, a comma
after every field), but written here: building its model and library for each entry
cost 8 µs of the 40 µs a paper takes to export, 0.8 s of a first export of 100,000
papers. A test holds the two layouts equal.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from urllib.parse import quote

from papershelf.exporters.bibtex_order import crossref_order
from papershelf.importers.bibtex import (
    concatenated,
    crossref_target,
    evaluate,
    keywords_to_tags,
    untaggable_keywords,
)
from papershelf.latex import balanced, decode, encode, encode_raw, encode_title, percent_encoded
from papershelf.model import Paper
from papershelf.records import ExportRecord, blank_value, field_named
from papershelf.text import STOPWORDS, collapse_whitespace, fold

#: A paper as the renderer reads it: the public object, or its stored records.
Citable = Paper | ExportRecord

_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_:.+-]*")
#: Characters a URL must not carry into a ``.bib`` field (braces, backslash, spaces).
_URL_UNSAFE = re.compile(r"[{}\\\s\"]")
#: The fields whose content the library owns for a ``.bib`` paper.
_MANAGED = ("title", "abstract", "keywords", "annote")
#: The order of a ``.bib`` paper's fields in its entry (its file's order is not kept: a
#: record's fields are stored sorted): what says which work it is first, as Google
#: Scholar writes them, the fields of its own (``file``, ``timestamp``, ...) next in
#: alphabetical order, and the long ones last. A page dump's entry has its fields in
#: the same order, so that an export imported again exports the same.
_FIELDS_FIRST = (
    "title", "author", "editor", "booktitle", "journal", "series", "volume", "number",
    "pages", "chapter", "edition", "year", "month", "date", "publisher", "organization",
    "institution", "school", "address", "howpublished", "type", "note", "key", "crossref",
    "eprint", "eprinttype", "archiveprefix", "primaryclass", "doi", "isbn", "issn", "url",
    "urldate")
_FIELDS_LAST = ("abstract", "keywords", "annote")
_FIELD_RANK = {name: rank for rank, name in enumerate(_FIELDS_FIRST)} | {
    name: len(_FIELDS_FIRST) + 1 + rank for rank, name in enumerate(_FIELDS_LAST)}


def safe_url(url: str) -> str:
    """``url`` with characters that would break a BibTeX field, and non-ASCII ones,
    percent-encoded."""
    return _URL_UNSAFE.sub(lambda m: quote(m.group(0), safe=""), percent_encoded(url))


#: What separates keywords, as an import reads them (tags never hold one).
_KEYWORD_SEPARATOR = re.compile(r"[,;]")


def _keywords(tags: Sequence[str]) -> str:
    """The ``keywords`` value of ``tags``: each as :func:`encode` writes it, a separator
    its spelling gained (``、`` and ``，`` are commas in ASCII) made a ``-``, so that an
    import reads the same tags back."""
    return ", ".join(_KEYWORD_SEPARATOR.sub("-", encode(tag)) for tag in tags)


def tags_read_back(tags: Sequence[str]) -> tuple[str, ...]:
    """The tags an import reads from the ``keywords`` an export writes for ``tags``
    (``学习`` comes back as ``XueXi``)."""
    return keywords_to_tags(_keywords(tags))


def paper_fields(paper: Citable) -> list[tuple[str, str]]:
    """The fields of ``paper``'s entry as ``(name, value as written)``, in output order."""
    raw = {k.lower(): v for k, v in paper.fields.items() if _FIELD_NAME.fullmatch(k.lower())} \
        if paper.entry_type else {}
    managed = {
        "title": "{" + encode_title(paper.title) + "}",
        "abstract": "{" + encode(paper.abstract) + "}" if paper.abstract else None,
        "keywords": "{" + _keywords(paper.tags) + "}" if paper.tags else None,
        "annote": "{" + encode(paper.note) + "}" if paper.note else None,
    }
    if raw:  # a .bib paper keeps its own values while they still say the same
        managed = {
            "title": _keep_or(raw, "title", paper.title, managed["title"])
            if _marked_up(raw.get("title", "")) or _in_capitals(raw.get("title", ""))
            else managed["title"],
            "abstract": _keep_or(raw, "abstract", paper.abstract, managed["abstract"]),
            "keywords": _keep_keywords(raw, paper.tags, managed["keywords"]),
            "annote": _keep_or(raw, "annote", paper.note, managed["annote"], collapse=False),
        }
    out = [] if "title" in raw else [("title", managed.pop("title") or "")]
    if not raw and paper.authors:
        out.append(("author", "{" + " and ".join(encode(a) for a in paper.authors) + "}"))
    if not raw and paper.year:
        out.append(("year", "{" + encode(paper.year) + "}"))
    named = _named(raw, str(paper.entry_type).lower()) if raw else bool(paper.authors)
    key = None if named else key_of_title(paper.title)
    if key:
        out.append(("key", key))
    for name, value in raw.items():
        if name == "key" and key:
            continue  # (a blank one of its own, which _named saw as none)
        if name not in _MANAGED:
            out.append((name, _encode_raw_value(value, name) if balanced(value) else _reencode(value)))
        elif managed.get(name):
            out.append((name, managed.pop(name) or ""))
    if not raw and paper.links:
        # A page dump's links are all its text has: the first is its url. A .bib entry
        # names its own; its other links were read from text (its abstract, or a page
        # dump's of the same paper), a code repository as often as not, which plainnat
        # would print as the article's URL.
        out.append(("url", "{" + safe_url(paper.links[0]) + "}"))
    out.extend((name, text) for name in _MANAGED[1:] if (text := managed.get(name)))
    if raw:  # (a page dump's are in order: keywords or a note the .bib lacked are not)
        values = dict(out)
        return [(name, values[name]) for name in _in_order(tuple(values))]
    return out


#: The fields the author-year styles (plainnat's ``presort`` and ``calc.label``) sort and
#: cite an entry of each type by before its ``key``; other types: ``author``.
#: (And an entry's own ``key``. Not a ``crossref``: an ``inproceedings`` inherits no
#: author from its proceedings, and would inherit the key this gives them.)
_NAMED_BY = {kind: (*names, "key") for kind, names in {
    "book": ("author", "editor"), "inbook": ("author", "editor"),
    "proceedings": ("editor", "organization"), "manual": ("author", "organization")}.items()}
_NAMED_BY_AUTHOR = ("author", "key")


def _named(raw: Mapping[str, str], kind: str) -> bool:
    """Whether a ``.bib`` paper's fields (``raw``, of an entry of type ``kind``, lower
    case) give what a style sorts and cites it by (:data:`_NAMED_BY`)."""
    for name in _NAMED_BY.get(kind, _NAMED_BY_AUTHOR):
        if (value := raw.get(name)) and not blank_value(value):
            return True
    return False


@functools.lru_cache(maxsize=1024)
def _in_order(names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` (of fields) in the order of an entry (:data:`_FIELD_RANK`); a few sets
    of names recur over a library, so each is sorted once."""
    unknown = len(_FIELDS_FIRST)
    return tuple(sorted(names, key=lambda name: (_FIELD_RANK.get(name, unknown), name)))


#: The most characters of a short title (:func:`short_title`), and of its LaTeX: BibTeX
#: cuts a label at 500 characters, even inside ``{\\"o}``, and the entry is lost.
SHORT_TITLE_CHARS = 48
_KEY_LATEX_CHARS = 200


def short_title(title: str) -> str:
    """What an author-year style cites a paper with no author by: its name before a
    colon (``LanguageBind``, ``2.5 Years in Class``), else its title, cut after five
    words (less a function word they end with) if longer than six, and at
    :data:`SHORT_TITLE_CHARS` characters. Written as ``key``, which such styles
    (plainnat, and the conference styles made from it) print where the author would be
    and sort by; without it, ``\\citet`` printed the first three letters of the
    entry's key (``lan``) and BibTeX warned ``to sort, need author or key``."""
    head, colon, _rest = title.partition(": ")
    if colon and 0 < len(head.split()) <= 5 and len(head.strip()) <= SHORT_TITLE_CHARS:
        return head.strip()
    words = title.split()
    if len(words) <= 6 and len(title) <= SHORT_TITLE_CHARS:
        return " ".join(words)
    words = words[:5]
    while len(words) > 1 and (fold(words[-1]) in STOPWORDS  # (not "Pretraining for...")
                              or len(" ".join(words)) > SHORT_TITLE_CHARS):
        words.pop()
    return " ".join(words).rstrip(",;:")[:SHORT_TITLE_CHARS] + "..."


def key_of_title(title: str) -> str | None:
    """The ``key`` field of a paper with no author: its :func:`short_title`, in braces
    of its own, as plainnat copies it into ``\\bibitem[KEY()]``: there a ``]`` (``[Re]
    Reproducing ...``) ended the label, and natbib refused the whole bibliography, and a
    ``(`` split it. ``None`` for a title with nothing to cite it by."""
    short = short_title(title)
    if not short.strip(" ."):
        return None  # (a hand-edited title of nothing: no label either way)
    latex = encode(short)
    while len(latex) > _KEY_LATEX_CHARS:  # (rare: each character spelled long, as emoji are)
        short = short[: len(short) // 2]
        latex = encode(short + "...")
    return "{{" + latex + "}}"


#: What a field value's text holds when its writer wrote LaTeX: braces (a capital kept,
#: ``{\\"u}``), a command, math or a tie (``Figure~1``, which a title written anew
#: would make a plain space).
_MARKUP = re.compile(r"[{}\\$~]")
#: What is no markup of its writer's, though written as LaTeX: an escaped character
#: (``Q\\&A``, ``99\\%``) and an accented letter (``Schr{\\"o}dinger``, ``\\'{e}``,
#: ``{\\ss}``), as Google Scholar and Mendeley write every ``&`` and accent. Not a
#: capital braced alone (``\\'{E}cole``): BibTeX keeps that one a capital, which the
#: title written anew (``{\\'E}cole``) would not.
_PLAIN_LATEX = re.compile(r"""\\[&%_#$]"""
                          r"""|\{\\[`'^"~=.](?:[A-Za-z]|\{[A-Za-z]\})\}"""
                          r"""|\\[`'^"~=.](?:\{[a-z]\}|[A-Za-z])"""
                          r"""|\{\\(?:ss|[oO]|ae|AE|oe|OE|aa|AA|[lL]|i|j)\}""")


def _marked_up(value: str) -> bool:
    """Whether a field ``value`` (as written, in its braces or quotes) holds LaTeX of its
    writer's, or characters other than ASCII. A plain ASCII title
    (Google Scholar's, ``BERT: Pre-training of ...``, also with ``Q\\&A`` or
    ``Schr{\\"o}dinger``: :data:`_PLAIN_LATEX`) is written as a page-dump paper's,
    so that its capitals (``BERT``) are kept as well; any other is kept as written (the
    writer's braces, and capitals of raw characters, which BibTeX did not lowercase)."""
    inner = value.strip()
    if inner[:1] in "{\"" and inner[-1:] == {"{": "}", '"': '"'}.get(inner[:1]):
        inner = inner[1:-1]
    return not inner or not inner.isascii() or bool(_MARKUP.search(_PLAIN_LATEX.sub("", inner)))


def _in_capitals(value: str) -> bool:
    """Whether a field ``value`` is written in capitals only (``DEEP RESIDUAL LEARNING``,
    as some Google Scholar records are): kept as written, for styles to lowercase as
    they did before, not each word braced to print in capitals. Not a title of one or
    two words: that is a name (``JAX``, ``CUDA Graphs``), which must print as written."""
    return len(value.split()) >= 3 and any(ch.isupper() for ch in value) \
        and not any(ch.islower() for ch in value)


def _keep_or(raw: Mapping[str, str], name: str, current: str, fresh: str | None,
             *, collapse: bool = True) -> str | None:
    """The original value of ``name`` while it still says ``current``, else ``fresh``."""
    if fresh is not None and raw.get(name) == fresh:
        return fresh  # written as it would be anew: no need to decode it to compare
    if name in raw and balanced(raw[name]):
        text = evaluate(raw[name], {})[0]
        said = collapse_whitespace(current) if collapse else current
        if any(decode(text, collapse=collapse, **reading) == said for reading in _readings(text)):
            return encode_raw(raw[name], name)
    return fresh


def _readings(text: str) -> Iterator[dict[str, bool]]:
    """How :func:`decode` read ``text`` (its options), now and in earlier versions, whose
    libraries hold its text as they read it: a macro's arguments dropped
    (``\\texttt{PyTorch}`` was ``\\texttt``), and before that, URLs read as LaTeX too."""
    yield {}
    if "\\" in text:
        yield {"arguments_shown": False}
    if "://" in text:
        yield {"arguments_shown": False, "urls_as_written": False}


def _keep_keywords(raw: Mapping[str, str], tags: tuple[str, ...], fresh: str | None) -> str | None:
    """The original ``keywords`` while they still name ``tags``, else ``fresh`` with
    the original keywords that make no tag (:func:`untaggable_keywords`)."""
    if "keywords" in raw and balanced(raw["keywords"]):
        text = evaluate(raw["keywords"], {})[0]
        if any(keywords_to_tags(text, **reading) == tags for reading in _readings(text)):
            written = encode_raw(raw["keywords"], "keywords")
            # Spelled in ASCII, a keyword's 、 is a comma, which an import splits at:
            # such keywords are written as the tags are (ShenDu-XueXi).
            if written == raw["keywords"] \
                    or keywords_to_tags(evaluate(written, {})[0]) == tags_read_back(tags):
                return written
        if kept := untaggable_keywords(text):
            return "{" + ", ".join([*([fresh[1:-1]] if fresh else []), *map(encode, kept)]) + "}"
    return fresh


def _encode_raw_value(value: str, name: str) -> str:
    """:func:`encode_raw` of a field's value, part by part if ``#`` joins parts (months
    kept as macros: ``jun # "--" # aug``), as a ``#`` between them is no text."""
    parts = [written for written, _ in concatenated(value.strip())] if "#" in value else [value]
    return " # ".join(encode_raw(part, name) for part in parts)


def _reencode(value: str) -> str:
    """An unbalanced original value rewritten as escaped text (it would break BibTeX)."""
    return "{" + encode(decode(evaluate(value, {})[0])) + "}"


def entry_type(paper: Citable) -> str:
    """The entry type ``paper`` is written as: its own, lowercased, if BibTeX can read it,
    else ``misc``."""
    kind = paper.entry_type
    return kind.lower() if kind and _TYPE.fullmatch(kind) else "misc"


def render_entry(paper: Citable, key: str | None = None) -> str:
    """The BibTeX entry of ``paper`` (under ``key`` if given), ending with a newline."""
    fields = "".join([f"  {name} = {value},\n" for name, value in paper_fields(paper)])
    return f"@{entry_type(paper)}{{{key or paper.key},\n{fields}}}\n"


def to_bibtex(papers: Iterable[Paper], renames: Mapping[str, str] | None = None) -> str:
    """BibTeX for ``papers``, one entry each, in the given order (deterministic) but for
    the papers a ``crossref`` names (:func:`crossref_order`); the keys of ``renames``
    are written as it says (:meth:`papershelf.library.Library.case_renames`)."""
    renames = renames or {}
    by_key = {paper.key: paper for paper in papers}
    return "\n".join(render_entry(by_key[key], renames.get(key))
                     for key in crossref_order(list(by_key), crossrefs_of(by_key.values())))


def crossrefs_of(papers: Iterable[Citable]) -> dict[str, str]:
    """The keys of those of ``papers`` with a ``crossref`` field, each to the key it
    names (:func:`crossref_of`)."""
    return {paper.key: target for paper in papers if (target := crossref_of(paper))}


def crossref_of(paper: Citable) -> str | None:
    """The key the ``crossref`` field of a ``.bib`` paper names, ``None`` without one."""
    raw = field_named(paper.fields, "crossref") if paper.entry_type else None
    return crossref_target(raw) or None if raw is not None and balanced(raw) else None
