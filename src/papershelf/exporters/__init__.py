"""Exporters: papers to BibTeX, Markdown and JSON.

:func:`stream` writes any of them piece by piece from batches of papers, so an export
of a whole library never holds it in memory twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from papershelf.model import Paper

FORMATS = ("bibtex", "markdown", "json")


def stream(batches: Iterable[list[Paper]], fmt: str) -> Iterator[str]:
    """The export of ``batches`` of papers in format ``fmt``, in pieces to write out in
    order. Joined, the pieces are what exporting all the papers at once would give."""
    if fmt == "json":
        import orjson

        first = True
        for batch in batches:
            for paper in batch:
                # Each element indented as orjson indents the elements of a list.
                element = orjson.dumps(paper.to_json(), option=orjson.OPT_INDENT_2).decode()
                yield ("[\n  " if first else ",\n  ") + element.replace("\n", "\n  ")
                first = False
        yield "[]\n" if first else "\n]\n"
    elif fmt == "markdown":
        from papershelf.exporters.markdown import MARKDOWN_TITLE, paper_to_markdown

        yield f"# {MARKDOWN_TITLE}\n\n"
        first = True
        for batch in batches:
            for paper in batch:
                yield ("" if first else "\n") + paper_to_markdown(paper)
                first = False
    else:
        from papershelf.exporters.bibtex import to_bibtex

        first = True
        for batch in batches:
            text = to_bibtex(batch)
            if text:
                yield text if first else "\n" + text
                first = False
