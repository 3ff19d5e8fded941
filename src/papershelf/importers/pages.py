"""The page-dump importer: paper listings copied from a web page as plain text.

Two layouts occur (SPEC, "The page-dump format"): blank-line separated paragraphs
(title, blank, abstract, blank, ...) and compact (title line, abstract line, ...).
Both reduce to one sequence of text *units* that alternate title and abstract once
the page chrome is dropped; a date line such as ``Mar 14`` becomes the listing date
of the papers below it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from papershelf.model import Entry, Source

#: Lines of page chrome, compared case-insensitively after stripping.
CHROME = frozenset(
    {
        "new",
        "subscribe",
        "daily papers",
        "get trending papers in your email inbox!",
        "get trending papers in your email inbox once a day!",
        "byak and the research community",
    }
)
#: Chrome that a copy can glue to the first title (``SubscribeLanguageBind: ...``).
_GLUED_PREFIX = re.compile(r"^(?:Subscribe|Daily Papers)(?=[A-Z0-9])")
_DATE_LINE = re.compile(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:,?\s+\d{4})?",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://[^\s<>\"{}\\|^`]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?'\""
#: A unit longer than this is never a title (the longest sample title is 145 chars).
TITLE_MAX = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class Failure:
    """A piece of the input that is not a paper, with its line number and why."""

    line: int
    reason: str


@dataclass(slots=True)
class ParseResult:
    """What an importer found in one input: papers and the pieces it skipped."""

    entries: list[Entry] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Unit:
    line: int
    text: str
    listed: str | None


def extract_links(text: str) -> tuple[str, ...]:
    """http(s) links in ``text``, in order, without duplicates, trailing punctuation
    or LaTeX braces (``\\url{https://x}.`` gives ``https://x``)."""
    if "://" not in text:  # most abstracts: no need for the (case-blind) regex scan
        return ()
    links: list[str] = []
    for match in _URL.finditer(text):
        url = _trim_url(match.group(0))
        if len(url) > len("https://") and url not in links:
            links.append(url)
    return tuple(links)


def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        unbalanced = (last == ")" and url.count("(") < url.count(")")) or (
            last == "]" and url.count("[") < url.count("]")
        )
        if last in _URL_TRAILING or unbalanced:
            url = url[:-1]
        else:
            break
    return url


def clean_line(line: str) -> str:
    """One line with control characters removed and whitespace collapsed."""
    # Most lines are printable: no control character to remove, and no whitespace but
    # " ", often already single. str.split() splits at the whitespace regex \s matches.
    if line.isprintable():
        if "  " not in line and not line.startswith(" ") and not line.endswith(" "):
            return line
    else:
        line = _CONTROL.sub("", line)
    return " ".join(line.split())


def _blocks(text: str) -> Iterator[list[tuple[int, str]]]:
    """Runs of non-blank lines (numbered from 1), split at blank lines."""
    block: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = clean_line(raw)
        if line:
            block.append((number, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


def _units(text: str) -> Iterator[_Unit]:
    """Titles and abstracts in order, chrome dropped, each with its listing date.

    A block of several lines is the compact layout (one unit per line) unless it looks
    hard-wrapped (three or more lines of 40-99 characters), when it is one paragraph.
    """
    listed: str | None = None
    for block in _blocks(text):
        lines = []
        for number, line in block:
            line = _GLUED_PREFIX.sub("", line)
            if line.casefold() in CHROME:
                continue
            if _DATE_LINE.fullmatch(line):
                listed = line
                continue
            lines.append((number, line))
        if not lines:
            continue
        wrapped = len(lines) >= 3 and all(40 <= len(line) < 100 for _, line in lines[:-1])
        if wrapped:
            yield _Unit(lines[0][0], " ".join(line for _, line in lines), listed)
        else:
            for number, line in lines:
                yield _Unit(number, line, listed)


def _is_title(unit: _Unit) -> bool:
    return len(unit.text) <= TITLE_MAX


def parse_page_dump(text: str, file: str) -> ParseResult:
    """Parse a copied paper listing; ``file`` names the source in each paper.

    Units are paired as (title, abstract). When a title is followed by another
    title and then an abstract, the first title had no abstract: it is reported as
    a failure and pairing resumes, so one damaged paper never shifts the rest.
    """
    units = list(_units(text))
    result = ParseResult()
    i = 0
    while i < len(units):
        unit = units[i]
        if not _is_title(unit):
            result.failures.append(Failure(unit.line, "text without a title line above it"))
            i += 1
            continue
        following = units[i + 1] if i + 1 < len(units) else None
        after = units[i + 2] if i + 2 < len(units) else None
        resync = (
            following is not None
            and _is_title(following)
            and after is not None
            and not _is_title(after)
        )
        if following is None or resync:
            result.failures.append(
                Failure(unit.line, f"title without an abstract: {unit.text[:60]!r}")
            )
            i += 1
            continue
        abstract = following.text
        result.entries.append(
            Entry(
                title=unit.text,
                abstract=abstract,
                links=extract_links(abstract),
                source=Source(file=file, listed=unit.listed),
            )
        )
        i += 2
    return result
