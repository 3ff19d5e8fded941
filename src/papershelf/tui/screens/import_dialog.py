"""Import from inside the app: a file path, the clipboard, pasted text, or the samples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from papershelf.tui.widgets.fields import Field


@dataclass(frozen=True, slots=True)
class ImportRequest:
    """What the user asked to import: ``value`` is the path of a file, the text pasted,
    or, for the clipboard, the path typed in the dialog (kept if the clipboard fails)."""

    kind: Literal["file", "clipboard", "text", "samples"]
    value: str = ""


class PathInput(Field):
    """A path input that hands a multi-line paste (a copied listing) to its dialog."""

    @dataclass
    class TextPasted(Message):
        """Several lines were pasted: that is a listing, not a path."""

        text: str

    def _on_paste(self, event: events.Paste) -> None:
        # Textual calls Input's own handler after this one, unless the default is
        # prevented: calling it here too pasted a path twice.
        lines = event.text.splitlines()  # terminals paste line ends as CR, LF or CRLF
        if len([line for line in lines if line.strip()]) > 1:
            event.stop()
            event.prevent_default()
            self.post_message(self.TextPasted("\n".join(lines) + "\n"))


class ImportDialog(ModalScreen[ImportRequest | None]):
    """Choose what to import; ``path`` is typed in already (the path of an import that
    failed, to fix rather than retype)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without importing"),
        Binding("ctrl+v", "clipboard", "Clipboard", priority=True,
                tooltip="Import the clipboard's text"),
        Binding("ctrl+o", "samples", "Samples", priority=True, tooltip="Import the bundled samples"),
    ]

    def __init__(self, path: str = "") -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        """Path input and buttons."""
        with Vertical(id="dialog", classes="import-dialog"):
            yield Label(Content.styled("Import papers", "bold"), id="dialog-title")
            # The cursor after the path, not the path selected: it is there to be fixed.
            yield PathInput(self.path, placeholder="path to a page dump (.txt) or a .bib file",
                            id="import-path", select_on_focus=False)
            # The keys are said here, which wraps, not on the buttons: a row of buttons
            # named with their keys was cut off at 80 columns.
            yield Label(Content.styled(
                "enter imports the file · ctrl+v the clipboard · ctrl+o the samples · escape "
                "cancels · or paste a copied listing here (your terminal's paste)",
                "dim"), id="dialog-hint")
            with Horizontal(id="import-buttons"):
                yield Button("Import file", id="import-file", variant="primary")
                yield Button("Clipboard", id="import-clipboard")
                yield Button("Samples", id="import-samples")
                yield Button("Cancel", id="import-cancel")

    @on(Input.Submitted, "#import-path")
    @on(Button.Pressed, "#import-file")
    def _file(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        path = self.query_one("#import-path", Input).value.strip()
        if not path:
            self.notify("Type the path of a file to import first.", severity="warning")
            return
        self.dismiss(ImportRequest("file", path))

    @on(PathInput.TextPasted)
    def _pasted(self, event: PathInput.TextPasted) -> None:
        self.dismiss(ImportRequest("text", event.text))

    @on(Button.Pressed, "#import-clipboard")
    def action_clipboard(self) -> None:
        """Import the clipboard's text."""
        self.dismiss(ImportRequest("clipboard", self.query_one("#import-path", Input).value))

    @on(Button.Pressed, "#import-samples")
    def action_samples(self) -> None:
        """Import the bundled samples."""
        self.dismiss(ImportRequest("samples"))

    @on(Button.Pressed, "#import-cancel")
    def action_cancel(self) -> None:
        """Close without importing."""
        self.dismiss(None)
