"""Markdown export: a readable reading list, one section per paper."""

from __future__ import annotations

import re
from collections.abc import Iterable

from papershelf.model import Paper

MARKDOWN_TITLE = "Reading list"
#: ``&`` starts an entity (``&lt;`` would show as ``<``), ``~`` a strikethrough (GFM).
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!&~])")
#: What starts a list, a thematic break or a heading underline at the start of a line.
_LIST_DASH = re.compile(r"^(\s*)([-+=])", re.MULTILINE)
_LIST_NUMBER = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)


def escape(text: str) -> str:
    """``text`` with Markdown's special characters backslash-escaped, and the list
    markers a line starts with (``- ``, ``1. ``) too."""
    text = _SPECIAL.sub(r"\\\1", text)
    return _LIST_NUMBER.sub(r"\1\\\2", _LIST_DASH.sub(r"\1\\\2", text))


def paper_to_markdown(paper: Paper) -> str:
    """One paper as a Markdown section."""
    lines = [f"## {escape(paper.title)}", ""]
    lines.append(f"- key: `{paper.key}`")
    lines.append(f"- read: {'yes' if paper.read else 'no'}")
    if paper.tags:
        lines.append(f"- tags: {', '.join(escape(t) for t in paper.tags)}")
    if paper.authors:
        lines.append(f"- authors: {escape('; '.join(paper.authors))}")  # "Last, First" each
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


def to_markdown(papers: Iterable[Paper], title: str = MARKDOWN_TITLE) -> str:
    """A Markdown document listing ``papers``."""
    sections = [paper_to_markdown(p) for p in papers]
    return f"# {title}\n\n" + "\n".join(sections)
