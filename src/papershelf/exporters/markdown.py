"""Markdown export: a readable reading list, one section per paper."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from papershelf.model import author_line

if TYPE_CHECKING:
    from papershelf.model import Paper
    from papershelf.records import ExportRecord

MARKDOWN_TITLE = "Reading list"
#: Markdown's special characters, each to be backslash-escaped (``&`` starts an entity:
#: ``&lt;`` would show as ``<``; ``~`` a strikethrough in GFM).
_SPECIALS = "\\`*_{}[]<>#|!&~"
_SPECIAL = str.maketrans({ch: "\\" + ch for ch in _SPECIALS})
#: A numbered list's marker at the start of a line (``1.``, ``2)``).
_LIST_NUMBER = re.compile(r"(\s*\d+)([.)])")


def escape(text: str) -> str:
    """``text`` with Markdown's special characters backslash-escaped, and the list
    markers a line starts with (``- ``, ``1. ``) too."""
    # A translation table, and a look at each line's start: the regular expressions this
    # replaced (MULTILINE ``^`` tried at every character) took 6 s of the 9 s an export
    # of 100,000 papers took, six times what this takes. Most abstracts hold no special
    # character: fifteen searches for one (each at memchr speed) cost a tenth of the
    # translation, which copies the text a character at a time.
    if any(map(text.__contains__, _SPECIALS)):
        text = text.translate(_SPECIAL)
    if "\n" not in text:
        return _line_start_escaped(text)
    return "\n".join(map(_line_start_escaped, text.split("\n")))


def _line_start_escaped(line: str) -> str:
    """``line`` with what would start a list, a thematic break or a heading underline
    (``-``, ``+``, ``=``, ``1.``, ``1)``) escaped."""
    body = line.lstrip()
    if not body:
        return line
    if body[0] in "-+=":
        cut = len(line) - len(body)
        return f"{line[:cut]}\\{line[cut:]}"
    if body[0].isdigit() and (number := _LIST_NUMBER.match(line)):
        return f"{number[1]}\\{line[number.end(1):]}"
    return line


def paper_to_markdown(paper: Paper | ExportRecord) -> str:
    """One paper as a Markdown section."""
    lines = [f"## {escape(paper.title)}", ""]
    lines.append(f"- key: `{paper.key}`")
    lines.append(f"- read: {'yes' if paper.read else 'no'}")
    if paper.tags:
        lines.append(f"- tags: {', '.join(escape(t) for t in paper.tags)}")
    if paper.authors:
        lines.append(f"- authors: {escape(author_line(paper.authors, paper.fields))}")
    if paper.year:
        lines.append(f"- year: {escape(paper.year)}")
    for link in paper.links:
        lines.append(f"- link: <{link}>")
    if paper.abstract:
        lines += ["", escape(paper.abstract)]
    if paper.note.strip():
        lines += ["", *_quoted(paper.note)]
    return "\n".join(lines) + "\n"


def _quoted(note: str) -> list[str]:
    """``note`` as the lines of a block quote that shows its line breaks: a line another
    follows ends with a backslash (a hard break; a bare line break shows as a space), and
    leading spaces go (four would start a code block showing the escapes)."""
    lines = [line.strip() for line in note.splitlines()]
    return [f"> {escape(line)}" + ("\\" if following else "") if line else ">"
            for line, following in zip(lines, [*lines[1:], ""], strict=True)]


def to_markdown(papers: Iterable[Paper | ExportRecord], title: str = MARKDOWN_TITLE) -> str:
    """A Markdown document listing ``papers``."""
    sections = [paper_to_markdown(p) for p in papers]
    return f"# {title}\n\n" + "\n".join(sections)
