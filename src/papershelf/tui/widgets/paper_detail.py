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

#: The width of the labels before the key, tags, state, authors, year and links; a
#: value too long for one line goes on under its first character, not under the label.
LABEL_WIDTH = 7
#: Narrower than this beside the label, values wrap under it (at 9 columns, two letters a
#: line and blank lines where a space fell).
MIN_VALUE_WIDTH = 16


def describe(paper: Paper, width: int = 0) -> Content:
    """The detail text of ``paper``: title, key, tags, read state, links, abstract, note.
    ``width``: the width it is shown at, for labelled values that wrap (0: not known
    yet; they wrap under their label)."""
    return Content.assemble(*_parts(paper, width))


def _parts(paper: Paper, width: int) -> list[str | Content]:
    def label(name: str, value: str, style: str = "", *, whole: bool = False) -> list[str | Content]:
        """``whole``: a value not to be cut (a link, copied with the mouse) goes on a line
        of its own when it does not fit beside its label."""
        text = Content.styled(shown(value), style)
        if whole and width and text.cell_length > width - LABEL_WIDTH:
            return [Content.styled(name, "$text-muted"), "\n", text, "\n"] if name else [text, "\n"]
        if width - LABEL_WIDTH >= MIN_VALUE_WIDTH:
            text = Content("\n" + " " * LABEL_WIDTH).join(text.wrap(width - LABEL_WIDTH))
        return [Content.styled(name.ljust(LABEL_WIDTH), "$text-muted"), text, "\n"]

    parts: list[str | Content] = [Content.styled(shown(paper.title), "bold $text-primary"), "\n\n"]
    parts += label("key", paper.key, "$text-accent")
    parts += label("tags", " ".join(f"#{t}" for t in paper.tags), "$text-secondary") if paper.tags \
        else label("tags", "none", "dim")
    parts += label("state", "read", "$text-success") if paper.read \
        else label("state", "unread", "$text-warning")
    if paper.authors:
        parts += label("by", author_line(paper.authors, paper.fields))
    if paper.year:
        parts += label("year", str(paper.year))
    for n, link in enumerate(paper.links):
        parts += label("" if n else "link", link, "underline", whole=True)
    parts += ["\n", shown(paper.abstract) if paper.abstract
              else Content.styled("No abstract.", "dim italic"), "\n"]
    if paper.note.strip():
        parts += ["\n", Content.styled("Note", "bold $text-secondary"), "\n", shown(paper.note), "\n"]
    return parts


class DetailBody(Static):
    """The text of the detail pane, laid out again for its width when that changes."""

    #: The paper shown (``None``: a hint), and the width it was laid out for.
    paper: Paper | None = None
    _width = 0

    def show(self, paper: Paper | None, empty: str) -> None:
        """Show ``paper``, or the hint ``empty``."""
        self.paper, self._width = paper, self.size.width
        self.update(describe(paper, self._width) if paper is not None else Content.styled(empty, "dim"))

    def on_resize(self) -> None:
        """Wrap the labelled values again, under their first character, at a new width
        (not at a new height: that follows the text shown)."""
        if self.paper is not None and self.size.width != self._width:
            self.show(self.paper, "")


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
        yield DetailBody(id="detail-body")

    def show(self, paper: Paper | None, empty: str = "No paper selected.") -> None:
        """Show ``paper`` (``None`` shows ``empty``); the same paper again (after a
        change, here or in another papershelf) keeps the place scrolled to."""
        self.query_one(DetailBody).show(paper, empty)
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
