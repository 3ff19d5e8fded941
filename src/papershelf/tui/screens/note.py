"""The note editor: a multi-line text area; ctrl+s saves, escape cancels.

Text typed and not saved is never dropped unasked: the first escape (or ctrl+q) says so,
and the next one drops it.

Saving hands the text, and the note the editor started from, to whoever opened it; the
editor stays open until they report back. :meth:`NoteDialog.saved` closes it;
:meth:`NoteDialog.conflict` (another papershelf changed the note meanwhile) keeps the
text typed and says so, and the next ctrl+s saves it over the other note.

The editor shows the note without control characters (a hand-edited library may hold
some, which would drive the terminal): that is the text saved, but only once it is
edited; the stored note, controls and all, is still the one a save checks against.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea

from papershelf.text import one_line, shown
from papershelf.tui.key_order import HOLD_LIMIT
from papershelf.tui.widgets.fields import Editor

HINT = Content.styled("ctrl+s saves · escape cancels", "dim")
SAVING = Content.styled("saving as soon as the library is free… · escape closes, it still saves", "dim")
CHANGED_ELSEWHERE = Content.styled(
    "The note was changed elsewhere meanwhile: ctrl+s again saves yours over it, escape keeps theirs.",
    "bold $text-warning")
UNSAVED = Content.styled(
    "This note is not saved: ctrl+s saves it, escape drops it, ctrl+q quits without it.",
    "bold $text-warning")

#: Saves a note: called with the editor, the text and the stored note it started from.
Save = Callable[["NoteDialog", str, str], None]


class NoteDialog(ModalScreen[None]):
    """Edit a note; ``save`` stores it (see the module).

    ``changed_elsewhere``: open as after a :meth:`conflict` with that note stored.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True, tooltip="Save the note"),
        Binding("escape", "cancel", "Cancel", priority=True,
                tooltip="Close without saving (with text typed, the second time)"),
    ]

    def __init__(self, title: str, note: str, save: Save, *,
                 key: str, changed_elsewhere: str | None = None) -> None:
        super().__init__()
        #: The key of the paper (names the file its text is kept in if the terminal closes).
        self.key = key
        self.paper_title = title
        self.note = note
        #: The stored note the text will replace: a save finding another fails.
        self.base = note if changed_elsewhere is None else changed_elsewhere
        self._save = save
        self._saving = False
        #: Since when a ctrl+s or escape is deciding whether the dialog closes: the
        #: keys behind it wait (``None``: none is).
        self._closing_since: float | None = None
        self._warn = changed_elsewhere is not None
        #: Whether the user was told what escape drops, and what ctrl+q drops: those
        #: that were no longer ask. (The conflict hint tells what escape does.)
        self._told = {"escape": self._warn, "quit": False}

    def compose(self) -> ComposeResult:
        """Title, editor, hint."""
        with Vertical(id="dialog", classes="note-dialog"):
            yield Label(Content.assemble(("Note on ", "dim"), (one_line(self.paper_title), "bold")),
                        id="dialog-title")
            # tab indents, as in any editor (the dialog has nothing else to focus)
            yield Editor(shown(self.note), id="note-editor", soft_wrap=True, show_line_numbers=False,
                           tab_behavior="indent")
            yield Label(CHANGED_ELSEWHERE if self._warn else HINT, id="dialog-hint")

    def on_mount(self) -> None:
        """Start typing at the end of the note."""
        editor = self.query_one(TextArea)
        editor.focus()
        editor.move_cursor(editor.document.end)

    @property
    def text(self) -> str:
        """The text in the editor."""
        return self.query_one(TextArea).text

    def _edited(self) -> bool:
        """Whether the text is other than the stored note as the editor shows it."""
        return self.text != shown(self.base)

    # ctrl+s and escape are priority keys, which Textual runs as it reads them. The app
    # hands them on only once the keys typed before them are in (key_order); deciding
    # behind the editor's queue as well keeps it so should a key still be there.

    def holds_key(self, key: str) -> bool:
        """Whether a save or a cancel is deciding whether the dialog closes: the keys
        typed behind it (``n``, ``c``, ctrl+s: another note) wait, not to go into this
        one. A save to a busy library lets them go after :data:`HOLD_LIMIT`."""
        return self._closing_since is not None and monotonic() - self._closing_since < HOLD_LIMIT

    def action_save(self) -> None:
        """Save the text (unless unchanged: then just close), once the keys typed
        before are in."""
        self._closing_since = monotonic()
        self._behind_typed(self._save_typed)

    def _save_typed(self) -> None:
        if self._saving or not self.is_current:  # (a second ctrl+s of one burst)
            return
        if not self._edited():
            self.dismiss()
            return
        self._saving = True
        self._hint(SAVING)
        self._save(self, self.text, self.base)

    def action_cancel(self) -> None:
        """Close without saving (a save already under way still happens); with text
        typed and not saved, only the second time."""
        self._closing_since = monotonic()
        self._behind_typed(self._cancel_typed)

    def _behind_typed(self, then: Callable[[], None]) -> None:
        """Run ``then`` once the keys handed to the editor before are in (at once if the
        editor is gone: the dialog is closing, and ``then`` sees it is not current)."""
        editors = self.query(TextArea)
        (editors.first() if editors else self).call_later(then)

    def _cancel_typed(self) -> None:
        if not self.is_current:  # (a second escape of one burst)
            return
        if self._holds_back("escape"):
            self._closing_since = None
        else:
            self.dismiss()

    def holds_back_quit(self) -> bool:
        """Whether quitting now would lose typed text: the first time, say so (and the
        next quit goes ahead)."""
        return self._holds_back("quit")

    def _holds_back(self, how: str) -> bool:
        """Whether closing ``how`` (escape, quit) would drop typed text the user was not
        told about: if so, tell them (the next escape or quit goes ahead)."""
        if self._told[how] or self.unsaved_text() is None:
            return False
        self._told = {"escape": True, "quit": True}
        self._hint(UNSAVED)
        return True

    def unsaved_text(self) -> str | None:
        """The text typed and not saved (nor being saved), ``None`` if there is none."""
        if self._saving or not self.query(TextArea) or not self._edited():
            return None
        return self.text

    def saved(self) -> None:
        """The text is stored: close."""
        self.dismiss()

    def conflict(self, stored: str) -> None:
        """The note was changed elsewhere to ``stored``: keep the text, warn, and let the
        next ctrl+s save over ``stored``."""
        self.base = stored
        self._saving = False
        self._closing_since = None
        self._told["escape"] = True  # the hint says what escape does now
        self._hint(CHANGED_ELSEWHERE)

    def failed(self) -> None:
        """Saving failed (the error is shown elsewhere): keep the text, to try again."""
        self._saving = False
        self._closing_since = None
        self._hint(HINT)

    def _hint(self, content: Content) -> None:
        self.query_one("#dialog-hint", Label).update(content)
