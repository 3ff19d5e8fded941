"""The paper list: a line-API scroll view that draws only the rows on screen.

No widget per row and no table holding every row: the list keeps the search results
(a NumPy array of ordinals into the catalog) and renders a row when Textual asks for
it, through a small cache. Showing 100,000 papers costs the same as showing ten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from time import monotonic
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from papershelf.records import stored_list
from papershelf.search import Results
from papershelf.shard import Record
from papershelf.text import one_line
from papershelf.tui.key_order import HOLD_LIMIT

READ_MARK, UNREAD_MARK, MARKED = "✓", "●", "▌"


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells (with an ellipsis) or padded to it."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


class PaperList(ScrollView, can_focus=True):
    """The papers matching the filter: read mark, title, tags; a cursor and marks."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "paper-list--cursor",
        "paper-list--marked",
        "paper-list--unread",
        "paper-list--read",
        "paper-list--tags",
        "paper-list--empty",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("home", "cursor_home", "First", show=False),
        Binding("end", "cursor_end", "Last", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
    ]

    cursor: reactive[int] = reactive(0, init=False)
    """Row of the cursor in the results."""

    @dataclass
    class Highlighted(Message):
        """The cursor moved to another paper (``key`` is ``None`` when the list is empty)."""

        paper_list: PaperList
        key: str | None

        @property
        def control(self) -> PaperList:
            """The list that sent the message."""
            return self.paper_list

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.results: Results | None = None
        self.empty_text = "No papers match the filter."
        self._overrides: dict[str, Record] = {}
        self._marked: frozenset[str] = frozenset()
        self._generation = 0
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        self._last_key: str | None = None
        self._awaited = self._shown_search = 0  # numbers of searches (see await_results)
        self._awaited_since = 0.0
        #: Keys that do not act on the papers shown (help, quit...): they never wait.
        self.free_keys: frozenset[str] = frozenset()

    # ------------------------------------------------------------ data

    def __len__(self) -> int:
        return 0 if self.results is None else len(self.results)

    def key_at(self, row: int) -> str:
        """The key of the paper on ``row``."""
        assert self.results is not None
        return self.results.catalog.keys[int(self.results.ordinals[row])]

    def record_at(self, row: int) -> Record:
        """The small record of the paper on ``row`` (with changes made since the search)."""
        key = self.key_at(row)
        override = self._overrides.get(key)
        if override is not None:
            return override
        assert self.results is not None
        return self.results.catalog.records[int(self.results.ordinals[row])]

    @property
    def current_key(self) -> str | None:
        """The key under the cursor."""
        return self.key_at(self.cursor) if 0 <= self.cursor < len(self) else None

    @property
    def current_ordinal(self) -> int | None:
        """The catalog ordinal under the cursor."""
        if self.results is None or not 0 <= self.cursor < len(self):
            return None
        return int(self.results.ordinals[self.cursor])

    def shown_keys(self) -> list[str]:
        """Keys of every paper shown, in order."""
        return [] if self.results is None else self.results.keys()

    def await_results(self, search: int) -> None:
        """Search number ``search`` has started: until its results (or a later one's)
        are shown, keys about the papers shown wait (:meth:`holds_key`)."""
        self._awaited, self._awaited_since = search, monotonic()

    def stop_awaiting(self) -> None:
        """No results are coming (the search failed): keys need not wait."""
        self._awaited = self._shown_search

    def holds_key(self, key: str) -> bool:
        """Whether ``key`` should wait for the results of the latest search: ``/unet``,
        enter, ``j`` in one burst moved the cursor, then the results came and put it
        back on the first row; ``delete``, ``j`` moved from the deleted paper to the next,
        which the results then showed in its place. Keys that do not act on the papers
        shown (:attr:`free_keys`) go."""
        return (self._awaited > self._shown_search and key not in self.free_keys
                and monotonic() - self._awaited_since < HOLD_LIMIT)

    def show(self, results: Results, keep: str | None = None, search: int = 0) -> None:
        """Show new results (of search number ``search``, see :meth:`await_results`).
        For the same query as before (the library changed), keep the cursor on ``keep``
        when it is still listed, else on the first paper after it that still is (as
        :meth:`~papershelf.search.Results.row_after` finds it); for another query, put it
        on the best match, the first row. When the filter is cleared (every paper
        listed), the cursor stays on ``keep``: the paper found, now among the rest."""
        before = self.results
        new_query = before is None or results.query.text != before.query.text
        cleared = before is not None and not results.query.text.strip()
        self.results = results
        self._shown_search = max(self._shown_search, search)
        self._overrides.clear()
        self._invalidate()
        self.virtual_size = Size(0, len(results))
        row = 0 if new_query else self.cursor
        if keep is not None and (cleared or not new_query):
            found = results.row_of(keep)
            if found is None and not new_query and before is not None:
                was = before.row_of(keep)
                found = results.row_after(before, self.cursor if was is None else was)
            if found is not None:
                row = found
        row = max(0, min(row, len(results) - 1))
        if row != self.cursor:
            self.cursor = row
        else:
            self._scroll_to_cursor()
            self._announce()
        self.refresh()

    def patch(self, records: Mapping[str, Record | None]) -> None:
        """Show changed records right away, before the next search result arrives."""
        for key, record in records.items():
            if record is not None:
                self._overrides[key] = record
        self._invalidate()
        self.refresh()

    def set_marked(self, marked: frozenset[str]) -> None:
        """Draw ``marked`` papers as marked."""
        if marked != self._marked:
            self._marked = marked
            self._invalidate()
            self.refresh()

    # ------------------------------------------------------------ cursor

    def watch_cursor(self, old: int, new: int) -> None:
        """Redraw the two rows, keep the cursor visible, announce the paper."""
        self.refresh_line(old)
        self.refresh_line(new)
        self._scroll_to_cursor()
        self._announce()

    def _announce(self) -> None:
        key = self.current_key
        if key != self._last_key:
            self._last_key = key
            self.post_message(self.Highlighted(self, key))

    def _scroll_to_cursor(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = round(self.scroll_y)
        # Forced: Textual scrolls only a widget whose scrollbar is shown, and results
        # longer than the ones before (one row: no scrollbar) get it at the next layout.
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, force=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, force=True)

    def move_to(self, row: int) -> None:
        """Put the cursor on ``row`` (clamped)."""
        if len(self):
            self.cursor = max(0, min(row, len(self) - 1))

    def action_cursor_down(self) -> None:
        """Next paper."""
        self.move_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        """Previous paper."""
        self.move_to(self.cursor - 1)

    def action_cursor_home(self) -> None:
        """First paper."""
        self.move_to(0)

    def action_cursor_end(self) -> None:
        """Last paper."""
        self.move_to(len(self) - 1)

    def action_page_down(self) -> None:
        """One screen down."""
        self.move_to(self.cursor + max(1, self.scrollable_content_region.height - 1))

    def action_page_up(self) -> None:
        """One screen up."""
        self.move_to(self.cursor - max(1, self.scrollable_content_region.height - 1))

    def on_click(self, event: events.Click) -> None:
        """Clicking a row moves the cursor there."""
        offset = event.get_content_offset(self)
        if offset is not None:
            self.move_to(round(self.scroll_y) + offset.y)

    # ------------------------------------------------------------ drawing

    def _invalidate(self) -> None:
        self._generation += 1
        self._cache.clear()

    def notify_style_update(self) -> None:
        """The theme or CSS changed: drop rendered rows."""
        super().notify_style_update()
        self._invalidate()

    def on_resize(self) -> None:
        """A smaller window must not leave the cursor out of view."""
        self.call_after_refresh(self._scroll_to_cursor)

    def on_focus(self) -> None:
        """The cursor looks different with focus."""
        self._invalidate()
        self.refresh()

    def on_blur(self) -> None:
        """The cursor looks different without focus."""
        self._invalidate()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """Row ``y`` of the visible region."""
        width = self.scrollable_content_region.width
        row = round(self.scroll_y) + y
        base = self.rich_style
        if row >= len(self):
            if row == 0 and self.results is not None:
                empty = self.get_component_rich_style("paper-list--empty")
                return Strip([Segment(fit(f" {self.empty_text}", width), base + empty)], width)
            return Strip.blank(width, base)
        key = self.key_at(row)
        cache_key = (key, row == self.cursor, key in self._marked, width, self.has_focus,
                     self._generation)
        strip = self._cache.get(cache_key)
        if strip is None:
            strip = self._render_row(self.record_at(row), row == self.cursor, key in self._marked,
                                     width, base)
            self._cache[cache_key] = strip
        return strip

    def _render_row(self, record: Record, is_cursor: bool, marked: bool, width: int,
                    base: Style) -> Strip:
        style = base
        if marked:
            style += self.get_component_rich_style("paper-list--marked")
        if is_cursor:
            style += self.get_component_rich_style("paper-list--cursor")
        read = bool(record.get("read"))
        state = self.get_component_rich_style("paper-list--read" if read else "paper-list--unread",
                                              partial=True)
        tag_style = self.get_component_rich_style("paper-list--tags", partial=True)
        tags = " ".join(f"#{one_line(t)}" for t in stored_list(record.get("tags")))
        tags = fit(tags, min(cell_len(tags), max(0, width // 3))) if tags else ""
        head = f"{MARKED if marked else ' '}{READ_MARK if read else UNREAD_MARK} "
        title_width = width - cell_len(head) - (cell_len(tags) + 2 if tags else 1)
        segments = [
            Segment(head[0], style),
            Segment(head[1], style + state),
            Segment(" ", style),
            Segment(fit(one_line(str(record.get("title", ""))), title_width),
                    style + (state if read else Style())),
        ]
        if tags:
            segments += [Segment(" ", style), Segment(tags, style + tag_style)]
        segments.append(Segment(" ", style))
        return Strip(segments).adjust_cell_length(width, style)
