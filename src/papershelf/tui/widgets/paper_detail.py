"""The detail pane: everything about the paper under the cursor.

Paper text is put into :class:`~textual.content.Content` as plain text, never parsed
as markup, so a title like ``[bold]x[/]`` shows exactly as written, and without control
characters (a hand-edited library may hold some), which would drive the terminal, nor
bidirectional ones, which may show text reversed.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from papershelf.model import Paper, author_line
from papershelf.text import shown


def describe(paper: Paper) -> Content:
    """The detail text of ``paper``: title, key, tags, read state, links, abstract, note."""
    return Content.assemble(*(
        (shown(part[0]), part[1]) if isinstance(part, tuple) else shown(part)
        for part in _parts(paper)))


def _parts(paper: Paper) -> list[str | tuple[str, str]]:
    parts: list[str | tuple[str, str]] = [
        (paper.title, "bold $text-primary"), "\n\n",
        ("key    ", "$text-muted"), (paper.key, "$text-accent"), "\n",
        ("tags   ", "$text-muted"),
        (" ".join(f"#{t}" for t in paper.tags), "$text-secondary") if paper.tags else ("none", "dim"),
        "\n",
        ("state  ", "$text-muted"), ("read", "$text-success") if paper.read else ("unread", "$text-warning"),
        "\n",
    ]
    if paper.authors:
        parts += [("by     ", "$text-muted"), author_line(paper.authors, paper.fields), "\n"]
    if paper.year:
        parts += [("year   ", "$text-muted"), str(paper.year), "\n"]
    for n, link in enumerate(paper.links):
        parts += [("link   " if n == 0 else "       ", "$text-muted"), (link, "underline"), "\n"]
    parts += ["\n", (paper.abstract, "") if paper.abstract else ("No abstract.", "dim italic"), "\n"]
    if paper.note.strip():
        parts += ["\n", ("Note", "bold $text-secondary"), "\n", paper.note, "\n"]
    return parts


class PaperDetail(VerticalScroll, can_focus=False):
    """Scrollable details of one paper (or a hint when none is selected)."""

    #: The key of the paper shown (``None``: a hint).
    shown_key: str | None = None
    #: Lines to scroll once a paper just shown is laid out (:meth:`scroll_lines`), and
    #: whether one is waiting to be.
    _pending = 0
    _laying_out = False

    def compose(self) -> ComposeResult:
        """One static body."""
        yield Static(id="detail-body")

    def show(self, paper: Paper | None, empty: str = "No paper selected.") -> None:
        """Show ``paper`` (``None`` shows ``empty``); the same paper again (after a
        change, here or in another papershelf) keeps the place scrolled to."""
        body = self.query_one("#detail-body", Static)
        body.update(describe(paper) if paper is not None else Content.styled(empty, "dim"))
        key = paper.key if paper is not None else None
        if key is None or key != self.shown_key:
            self._pending = 0
            self.scroll_home(animate=False, immediate=True)
            if not self._laying_out:
                self._laying_out = True
                self.call_after_refresh(self._laid_out)
        self.shown_key = key

    def scroll_lines(self, lines: int) -> None:
        """Scroll ``lines`` down (up if negative), at once, so that keys in one burst each
        go on from the last; but for a paper shown a moment before, once it is laid out
        (scrolling stopped at the height of the paper before it), those of its keys
        added up."""
        if self._laying_out:  # (from the top, where a paper just shown starts)
            self._pending = max(0, self._pending + lines)
        else:
            self.scroll_relative(y=lines, animate=False, immediate=True)

    def _laid_out(self) -> None:
        lines, self._pending, self._laying_out = self._pending, 0, False
        if lines:
            self.scroll_relative(y=lines, animate=False, immediate=True)
