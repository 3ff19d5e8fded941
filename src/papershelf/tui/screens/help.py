"""The help screen: every key of the app."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from papershelf.tui.commands import ACTIONS, LIST_KEYS, key_label

QUERY_HELP = (
    ("words", "fuzzy, typo-tolerant, prefix-friendly; every word must match"),
    ("-word", "papers without the word; a - negates phrases and filters too"),
    ('"a phrase"', "matches literally"),
    ("tag:NAME -tag:NAME", "with / without a tag"),
    ("is:read is:unread", "read state"),
    ("has:note has:link", "papers with a note / a link"),
    ("key:KEY", "keys starting with KEY"),
)


def help_sections() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every key, then the query language: each section's title and its (key, what it
    does) rows."""
    keys: list[tuple[str, str]] = [(key_label(a), a.help) for a in ACTIONS]
    keys += list(LIST_KEYS)
    return [("Keys", keys), ("Filter (same query language as papershelf list)", list(QUERY_HELP))]


class HelpScreen(ModalScreen[None]):
    """Every key, every action."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", tooltip="Close the help"),
        Binding("j,down", "scroll('down')", "Down", show=False, tooltip="Scroll down"),
        Binding("k,up", "scroll('up')", "Up", show=False, tooltip="Scroll up"),
        Binding("pagedown,space", "scroll('page_down')", "Page down", show=False),
        Binding("pageup", "scroll('page_up')", "Page up", show=False),
        Binding("home", "scroll('home')", "Top", show=False),
        Binding("end", "scroll('end')", "Bottom", show=False),
    ]

    def compose(self) -> ComposeResult:
        """The key list in a scrollable dialog."""
        with Vertical(id="dialog", classes="help-dialog"):
            yield Label(Content.styled("papershelf help", "bold"), id="dialog-title")
            with VerticalScroll(id="help-scroll"):
                for number, (title, rows) in enumerate(help_sections()):
                    yield Label(Content.styled(title, "bold $text-primary"),
                                classes="help-heading" + (" help-later" if number else ""))
                    width = max(len(key) for key, _ in rows) + 2
                    for key, text in rows:
                        # A row of its own, so that a long text wraps under itself at
                        # narrow widths, not under the keys.
                        with Horizontal(classes="help-row"):
                            yield Static(Content.styled(key, "bold $text-accent"),
                                         classes="help-key").set_styles(f"width: {width};")
                            yield Static(Content(text), classes="help-text")
            yield Label(Content.styled("j k scroll · escape, ? or q closes", "dim"), id="dialog-hint")

    def action_scroll(self, where: str) -> None:
        """Scroll the key list (it never takes the focus, so the keys come here)."""
        scroll = self.query_one("#help-scroll", VerticalScroll)
        # At once, as the detail pane's J and K (see MainScreen.action_scroll_detail_down).
        if where.startswith("page_"):
            page = scroll.scrollable_content_region.height
            scroll.scroll_relative(y=page if where == "page_down" else -page, animate=False,
                                   immediate=True)
        else:
            getattr(scroll, f"scroll_{where}")(animate=False, immediate=True)

    def action_close(self) -> None:
        """Back to the list."""
        self.dismiss(None)
