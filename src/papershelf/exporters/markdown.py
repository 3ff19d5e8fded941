"""Markdown export: a readable reading list, one section per paper."""

from __future__ import annotations

import re
from collections.abc import Iterable

from papershelf.model import Paper

MARKDOWN_TITLE = "Reading list"
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")


def escape(text: str) -> str:
    """``text`` with Markdown's special characters backslash-escaped."""
    return _SPECIAL.sub(r"\\\1", text)


def paper_to_markdown(paper: Paper) -> str:
    """One paper as a Markdown section."""
    lines = [f"## {escape(paper.title)}", ""]
    lines.append(f"- key: `{paper.key}`")
    lines.append(f"- read: {'yes' if paper.read else 'no'}")
    if paper.tags:
        lines.append(f"- tags: {', '.join(escape(t) for t in paper.tags)}")
    if paper.authors:
        lines.append(f"- authors: {escape(', '.join(paper.authors))}")
    if paper.year:
        lines.append(f"- year: {escape(paper.year)}")
    for link in paper.links:
        lines.append(f"- link: <{link}>")
    if paper.abstract:
        lines += ["", escape(paper.abstract)]
    if paper.note.strip():
        lines += ["", *(f"> {escape(line)}" if line else ">" for line in paper.note.splitlines())]
    return "\n".join(lines) + "\n"


def to_markdown(papers: Iterable[Paper], title: str = MARKDOWN_TITLE) -> str:
    """A Markdown document listing ``papers``."""
    sections = [paper_to_markdown(p) for p in papers]
    return f"# {title}\n\n" + "\n".join(sections)
