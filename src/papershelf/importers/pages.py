"""The page-dump importer: paper listings copied from a web page as plain text.

Two layouts occur (SPEC, "The page-dump format"): blank-line separated paragraphs
(title, blank, abstract, blank, ...) and compact (title line, abstract line, ...).
Both reduce to one sequence of text *units* that alternate title and abstract once
the page chrome is dropped; a date line such as ``Mar 14`` becomes the listing date
of the papers below it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from papershelf.errors import quoted
from papershelf.links import extract_links
from papershelf.model import Entry, Source
from papershelf.text import (
    INVISIBLE,
    SEPARATORS,
    collapse_whitespace,
    drop_controls,
    has_word,
    lf_line_ends,
)

#: Lines of page chrome, compared case-insensitively and without white space: a copy
#: from another browser (or a page of another width) gives ``by AK and the research
#: community`` or ``Daily  Papers``. A daily page adds its navigation and the parts of
#: each paper's card (``Submitted by``, ``Upvote``, ``·``).
CHROME = frozenset(
    {
        "new",
        "subscribe",
        "dailypapers",
        "gettrendingpapersinyouremailinbox!",
        "gettrendingpapersinyouremailinboxonceaday!",
        "byakandtheresearchcommunity",
        "previous",
        "next",
        "trending",
        "daily",
        "weekly",
        "monthly",
        "submittedby",
        "upvote",
        "·",
    }
)
#: No chrome line is longer than this (so longer lines skip the comparison).
_CHROME_MAX = 80
#: Chrome that a copy can glue to the first title (``SubscribeLanguageBind: ...``).
_GLUED_PREFIX = re.compile(r"^(?:Subscribe|Daily Papers)(?=[A-Z0-9])")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DAY = rf"{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?"
#: A month's name or abbreviation, no other word (``Decoder 2024`` is no month).
_MONTH_NAME = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
               r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
#: A listing date (``Mar 14``, ``Mar 14, 2025``) or the period of a weekly or monthly
#: page (``Week 11``, ``March 2025``).
_DATE_LINE = re.compile(
    rf"{_DAY}|{_MONTH_NAME}\s+\d{{4}}|week\s+\d{{1,2}}(?:,?\s+\d{{4}})?", re.IGNORECASE)
#: Chrome with a number or a name in it, on a paper's card: a count of upvotes,
#: comments or GitHub stars (``42``, ``1.2k``, ``GitHub 1.2k``; not ``2024.``, the end of a
#: hard-wrapped abstract), ``· 5 authors``,
#: ``Submitted by akhaliq``, ``Published on Mar 14``.
_CHROME_LINE = re.compile(
    r"(?:github|stars?|upvotes?|comments?)?\s*[+-]?\d(?:[\d,.]*\d)?\s*[km]?"
    r"|·?\s*\d+\s+authors?|submitted\s+by\s+\S+"
    rf"|(?:published|submitted)\s+on\s+{_DAY}",
    re.IGNORECASE,
)
_SUBMITTED_BY = re.compile(r"submitted\s*by", re.IGNORECASE)
#: The user name under a ``Submitted by`` line: one word.
_SUBMITTER = re.compile(r"\S{1,40}")
#: A unit longer than this is never a title (the longest sample title is 145 chars).
TITLE_MAX = 500
#: A sentence ending inside a unit: a word, a period, the next sentence's capital
#: (``U.S. Newspapers`` and ``Humans vs. Machines`` end none).
_SENTENCE_END = re.compile(r"[a-z]{3}\. [A-Z]")
#: What may close a sentence after its period.
_CLOSERS = ")]\"'\u2019\u201d"

#: How a unit reads (:func:`_kind`): as a title, as an abstract that may still be a
#: title, as nothing but an abstract; ``_END`` stands for the end of the units.
_END, _TITLE, _ABSTRACT_LIKE, _ABSTRACT = range(4)


@dataclass(frozen=True, slots=True)
class Failure:
    """A piece of the input that is not a paper, with its line number and why."""

    line: int
    reason: str


def shifted(failures: list[Failure], lines: int) -> list[Failure]:
    """``failures`` of a piece of a file numbered from the file's start, ``lines`` before
    the piece."""
    return [Failure(f.line + lines, f.reason) for f in failures]


@dataclass(slots=True)
class ParseResult:
    """What an importer found in one input: papers, the pieces it skipped and, from a
    ``.bib``, its ``@preamble`` values (as exported: ``{...}`` or ``"..."``, ASCII) and
    the names of the ``@string`` macros it defines."""

    entries: list[Entry] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    preambles: list[str] = field(default_factory=list)
    macros: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Unit:
    line: int
    text: str
    listed: str | None
    wrapped: bool = False  # the lines of a hard-wrapped paragraph: prose, likely no title


#: What a line is cleaned of: the invisible characters a copy from a browser may hold
#: (:data:`~papershelf.text.INVISIBLE` and the zero-width space browsers put in long
#: words; kept, a line of nothing else was no blank line, the papers around it read as
#: one block, and ``new`` no chrome), dropped; the separators :func:`_lines` leaves
#: inside a line (:data:`~papershelf.text.SEPARATORS`), made spaces.
_CLEANED = {**INVISIBLE, ord("\u200b"): None, **SEPARATORS}


def clean_line(line: str) -> str:
    """One line with control and invisible characters (:data:`~papershelf.text.INVISIBLE`) removed, the
    separators a line may hold (:data:`_CLEANED`) made spaces, and whitespace collapsed."""
    # Most lines are printable: no control or invisible character to remove (and the
    # test is not made twice: it takes a fifth of the time of reading a listing's lines).
    if line.isprintable():
        return collapse_whitespace(line, printable=True)
    return collapse_whitespace(drop_controls(line.translate(_CLEANED)))


def _lines(text: str) -> list[str]:
    """The lines of ``text``, split at line feeds and carriage returns only, as editors
    number them: :meth:`str.splitlines` also splits at form feeds, U+2028 and other
    separators, which text copied from a page may hold in the middle of an abstract."""
    lines = lf_line_ends(text).split("\n")
    if lines[-1] == "":  # a final line feed ends the last line; it starts none
        lines.pop()
    return lines


def _blocks(lines: list[str]) -> Iterator[list[tuple[int, str]]]:
    """Runs of non-blank lines (numbered from 1), split at blank lines."""
    block: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, start=1):
        line = clean_line(raw)
        if line:
            block.append((number, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


@dataclass(slots=True)
class _Units:
    """The units of a text, how many lines it has, and the last date line in it."""

    units: list[_Unit]
    lines: int
    last_date: str | None


def is_chrome(line: str) -> bool:
    """Whether ``line`` is a line of page chrome (:data:`CHROME`, :data:`_CHROME_LINE`)."""
    return len(line) <= _CHROME_MAX and ("".join(line.casefold().split()) in CHROME
                                         or _CHROME_LINE.fullmatch(line) is not None)


def _units(text: str) -> _Units:
    """Titles and abstracts in order, chrome dropped, each with its listing date (``None``
    before the first date line).

    A block of several lines is the compact layout (one unit per line) unless it looks
    hard-wrapped (three or more lines of 40-99 characters, :func:`_reads_on`), when it
    is one paragraph.
    """
    lines = _lines(text)
    units: list[_Unit] = []
    listed: str | None = None
    submitted_by = False  # the line before was "Submitted by": this one names the user
    for block in _blocks(lines):
        kept = []
        for number, line in block:
            line = _GLUED_PREFIX.sub("", line)
            if submitted_by and _SUBMITTER.fullmatch(line):
                submitted_by = False
                continue
            submitted_by = _SUBMITTED_BY.fullmatch(line) is not None
            if is_chrome(line):
                continue
            if _DATE_LINE.fullmatch(line):
                listed = line
                continue
            kept.append((number, line, listed))  # compact: a date line may sit between papers
        if not kept:
            continue
        if len(kept) >= 3 and all(40 <= len(line) < 100 for _, line, _ in kept[:-1]) \
                and _reads_on([line for _, line, _ in kept]):
            units.append(_Unit(kept[0][0], " ".join(line for _, line, _ in kept), kept[0][2], True))
        else:
            units.extend(_Unit(number, line, date) for number, line, date in kept)
    return _Units(units, len(lines), listed)


def _reads_on(lines: list[str]) -> bool:
    """Whether ``lines`` read as one paragraph, not as papers of the compact layout
    with short abstracts, where every line starts a title or an abstract and abstract
    lines end with a period: lines go on in lower case (a third of them or more), or
    none ends with a period (a hard-wrapped title)."""
    lower = sum(line[0].islower() for line in lines[1:])
    return 3 * lower >= len(lines) - 1 or not any(line.endswith(".") for line in lines)


def _kind(unit: _Unit) -> int:
    """How ``unit`` reads: an abstract is prose, sentences ending in a period; a title
    is a line that ends no sentence (it may ask a question), at most :data:`TITLE_MAX`
    characters.

    ``_ABSTRACT``: longer than ``TITLE_MAX``, or sentences with a period at the end;
    ``_ABSTRACT_LIKE`` (a title ending with a period, or a one-sentence abstract): one
    sentence ending in a period, sentences without one at the end, or a hard-wrapped
    paragraph; ``_TITLE``: the rest (a title, or an abstract cut off in its first
    sentence)."""
    text = unit.text
    if len(text) > TITLE_MAX:
        return _ABSTRACT
    sentences = ". " in text and _SENTENCE_END.search(text) is not None
    period = text.rstrip(_CLOSERS).endswith(".")
    if sentences and period:
        return _ABSTRACT
    if sentences or period or unit.wrapped:
        return _ABSTRACT_LIKE
    return _TITLE


def parse_page_dump(text: str, file: str) -> ParseResult:
    """Parse a copied paper listing; ``file`` names the source in each paper.

    Units are paired as (title, abstract), each unit read as a title or an abstract
    by its shape (:func:`_kind`), not its length alone. When a title is followed by
    another title and then an abstract, the first title had no abstract: it is reported
    as a failure and pairing resumes, so one damaged paper never shifts the rest.

    A big listing is cut into pieces at blank lines and the pieces are parsed on every
    core (:mod:`papershelf.forked`), each with its line numbers and listing date carried
    on from the pieces before it. The pairing never straddles a cut that is followed
    by a title and then an abstract (a title there is always paired with what follows
    it), so the pieces give what one parse gives; if a piece does not start that way,
    the listing is parsed again in one go.
    """
    spans = _pieces(text)
    if len(spans) > 1:
        result = _parse_in_pieces(text, spans, file)
        if result is not None:
            return result
    return _paired(_units(text).units, file)


#: A paper as pairing finds it: title, abstract, links, listing date. Plain tuples
#: cross from a forked parser three times faster than entries.
_Found = tuple[str, str, tuple[str, ...], str | None]


def _paired(units: list[_Unit], file: str) -> ParseResult:
    """The papers of ``units``: each title with the abstract after it."""
    found, failures = _pairs(units)
    return ParseResult(_entries(found, file), failures)


def _pairs(units: list[_Unit]) -> tuple[list[_Found], list[Failure]]:
    """Each title of ``units`` with the abstract after it, and what could not be paired.

    A unit pairs with the next one unless it is nothing but an abstract, or the next one
    reads as a title where this one reads as an abstract, or the next one reads as a
    title and the one after it as an abstract (it is that one's title). After the end
    of ``units`` comes a title as far as this goes, so a piece of a listing that ends
    before a title pairs as the whole listing does."""
    found: list[_Found] = []
    failures: list[Failure] = []
    # Most abstracts are longer than any title: no need to read them.
    kinds = [_ABSTRACT if len(unit.text) > TITLE_MAX else _kind(unit) for unit in units]
    kinds += (_END, _END)
    i = 0
    while i < len(units):
        kind, following = kinds[i], kinds[i + 1]
        if kind != _ABSTRACT and (following >= _ABSTRACT_LIKE or (
                following == _TITLE and kind == _TITLE and kinds[i + 2] <= _TITLE)):
            unit, abstract = units[i], units[i + 1].text
            if has_word(unit.text):
                found.append((unit.text, abstract, extract_links(abstract), unit.listed))
            else:
                failures.append(Failure(unit.line, f"{quoted(unit.text)}: a title needs a letter "
                                                   "or a digit"))
            i += 2
            continue
        unit = units[i]
        if kind >= _ABSTRACT_LIKE:
            failures.append(Failure(unit.line, "text without a title line above it"))
        else:
            failures.append(Failure(unit.line, f"title without an abstract: {unit.text[:60]!r}"))
        i += 1
    return found, failures


def _entries(found: list[_Found], file: str, listed_before: str | None = None) -> list[Entry]:
    """Entries of the papers ``found`` in ``file``; those listed under no date line get
    ``listed_before`` (the date a piece before them ended with)."""
    sources: dict[str | None, Source] = {}  # one per date: entries share it (it is frozen)
    entries = []
    for title, abstract, links, listed in found:
        listed = listed or listed_before
        source = sources.get(listed) or sources.setdefault(listed, Source(file=file, listed=listed))
        entries.append(Entry(title=title, abstract=abstract, links=links, source=source))
    return entries


#: Where a listing may be cut: a blank line, then what looks like a title line (no
#: ``. `` in it, no period at its end), a blank line and an abstract longer than any
#: title (``\r\n`` line ends as well). A piece that does not start with a title and its
#: abstract after all sends the listing to one parse.
_CUT = re.compile(
    rf"\n\r?\n(?=[^\r\n]{{1,{TITLE_MAX}}}\r?\n\r?\n[^\r\n]{{{TITLE_MAX + 1}}})"
    r"(?=(?:[^\r\n.]|\.(?! ))*[^\r\n.]\r?\n)"
)


def _pieces(text: str) -> list[tuple[int, int]]:
    """Where ``text`` is cut before titles (:data:`_CUT`) into two pieces per usable core,
    or more to keep them short (:func:`~papershelf.importers.piece_count`; the whole
    text when it is small), as ``(start, end)`` of each piece."""
    from papershelf.importers import piece_count

    # Two pieces a worker: this process makes entries of the first while later ones are
    # parsed (100,000 papers: 1.63-1.69 s against 1.79-1.94 s with one piece a worker).
    count = piece_count(len(text), per_worker=2)
    cuts = [0]
    for i in range(1, count):
        found = _CUT.search(text, max(cuts[-1], len(text) * i // count))
        if found is None:
            break
        cuts.append(found.end())  # the piece starts on the line after the blank one
    cuts.append(len(text))
    return [(start, end) for start, end in itertools.pairwise(cuts) if start < end]


@dataclass(slots=True)
class _Piece:
    """A piece of a listing parsed: its papers and failures (lines counted from the
    piece's start; listing dates unknown before its first date line), its line count,
    and its last date line."""

    found: list[_Found]
    failures: list[Failure]
    lines: int
    last_date: str | None


def _parse_piece(piece: tuple[str, int, int]) -> _Piece | None:
    """The piece ``text[start:end]`` parsed; ``None`` unless it is the first or starts
    with a title and then an abstract. (A worker cuts its piece out of the text it
    inherited: the listing is in memory once, not twice.)"""
    text, start, end = piece
    units = _units(text[start:end])
    if start > 0 and (len(units.units) < 2 or _kind(units.units[0]) != _TITLE
                      or _kind(units.units[1]) < _ABSTRACT_LIKE):
        return None
    return _Piece(*_pairs(units.units), units.lines, units.last_date)


def _parse_in_pieces(text: str, spans: list[tuple[int, int]], file: str) -> ParseResult | None:
    """The pieces of ``text`` at ``spans`` parsed on every core and put together as one
    parse gives them, or ``None`` if one of them does not start with a title and then an
    abstract."""
    from papershelf.forked import on_every_core

    result = ParseResult()
    lines, listed = 0, None
    parsed = on_every_core(_parse_piece, [(text, start, end) for start, end in spans])
    try:
        for part in parsed:
            if part is None:
                return None
            result.entries += _entries(part.found, file, listed)
            result.failures += shifted(part.failures, lines)
            lines += part.lines
            listed = part.last_date or listed
    finally:
        parsed.close()  # stops the workers still parsing later pieces
    return result
