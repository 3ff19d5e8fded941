"""The note editor: a multi-line text area; ctrl+s saves, escape cancels."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea


class NoteDialog(ModalScreen[str | None]):
    """Edit a note; dismisses with the new text, or ``None`` when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True, tooltip="Save the note"),
        Binding("escape", "cancel", "Cancel", priority=True, tooltip="Close without saving"),
    ]

    def __init__(self, title: str, note: str) -> None:
        super().__init__()
        self.paper_title = title
        self.note = note

    def compose(self) -> ComposeResult:
        """Title, editor, hint."""
        with Vertical(id="dialog", classes="note-dialog"):
            yield Label(Content.assemble(("Note on ", "dim"), (self.paper_title, "bold")),
                        id="dialog-title")
            yield TextArea(self.note, id="note-editor", soft_wrap=True, show_line_numbers=False)
            yield Label(Content.styled("ctrl+s saves · escape cancels", "dim"), id="dialog-hint")

    def on_mount(self) -> None:
        """Start typing at the end of the note."""
        editor = self.query_one(TextArea)
        editor.focus()
        editor.move_cursor(editor.document.end)

    def action_save(self) -> None:
        """Close with the edited text."""
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
