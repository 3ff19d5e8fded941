"""A one-line prompt: tag names (with completion) and file paths."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Label, Static

from papershelf.tags import tag_fold
from papershelf.text import one_line
from papershelf.tui.widgets.fields import CompletingField


class TagSuggester(Suggester):
    """Completes what is typed from ``choices`` compared as tags are
    (:func:`~papershelf.tags.tag_fold`): ``CAFE`` with a combining accent completes to
    ``café``, as Textual's own casefold would not."""

    def __init__(self, choices: Sequence[str]) -> None:
        super().__init__(case_sensitive=True)  # folded here, not by Textual
        self._folded = [(tag_fold(choice), choice) for choice in choices]

    async def get_suggestion(self, value: str) -> str | None:
        """The first choice that starts with ``value`` (folded), as spelt, after the ``#``
        typed before it if any (the field shows what follows what is typed)."""
        first = next(iter(self.completions(value)), None)
        if first is None:
            return None
        shown = first if first.startswith("#") else value[: len(value) - len(value.lstrip("#"))] + first
        # The field shows what follows what is typed: none for "f" completed as "#foo"
        return shown if tag_fold(shown).startswith(tag_fold(value)) else None

    def completions(self, value: str) -> list[str]:
        """Every choice that starts with ``value`` (folded; a ``#`` before it, as tags
        show, left out), as spelt, in order."""
        wanted = tag_fold(value.lstrip("#"))
        # (a "#" kept before a tag too: versions before 2026-11-24 took "#foo" as a tag)
        return [choice for folded, choice in self._folded if folded.lstrip("#").startswith(wanted)]


class PromptDialog(ModalScreen[str | None]):
    """Ask for one line of text; dismisses with it (stripped) or ``None`` on escape.

    ``choices`` are completed inline as you type (``tab`` or ``right`` accepts) and
    listed below the input, filtered by what was typed; both compare as tags do
    (:func:`~papershelf.tags.tag_fold`). ``check`` says what is wrong
    with a value (``None``: nothing); the dialog then stays open with what was typed.
    ``empty`` is what it says to ``enter`` with nothing typed, staying open (``None``:
    that closes it, as ``escape`` does).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without changing anything"),
    ]

    def __init__(self, title: Content, placeholder: str = "", value: str = "",
                 choices: Sequence[str] = (), counts: dict[str, int] | None = None,
                 check: Callable[[str], str | None] | None = None, *,
                 select: bool = True, unmatched: str = "new tag", empty: str | None = None) -> None:
        super().__init__()
        self.empty = empty
        #: What the list of choices says when what is typed matches none.
        self.unmatched = unmatched
        #: Whether ``value`` starts selected (a default, to type over) or not (what the
        #: user typed before, to fix: the cursor after it).
        self.select = select
        self.check = check
        self.prompt_title = title
        self.placeholder = placeholder
        self.value = value
        self.choices = list(choices)
        self._folded = [tag_fold(choice) for choice in self.choices]
        self.counts = counts or {}

    def compose(self) -> ComposeResult:
        """Title, input, the matching choices and a hint."""
        with Vertical(id="dialog", classes="prompt-dialog"):
            yield Label(self.prompt_title, id="dialog-title")
            suggester = TagSuggester(self.choices) if self.choices else None
            yield CompletingField(self.value, placeholder=self.placeholder, suggester=suggester,
                                  id="prompt-input", select_on_focus=self.select)
            if self.choices:
                yield Static(self._choices_text(self.value), id="prompt-choices")
            hint = "enter accepts · tab completes (again: the next) · escape cancels" if self.choices \
                else "enter accepts · escape cancels"  # nothing to complete from
            yield Label(Content.styled(hint, "dim"), id="dialog-hint")

    def _choices_text(self, typed: str) -> Content:
        wanted = tag_fold(typed.strip().lstrip("#"))
        shown = [c for c, folded in zip(self.choices, self._folded, strict=True) if wanted in folded][:30]
        if not shown:
            return Content.styled(self.unmatched if wanted else "", "dim")
        parts: list[str | tuple[str, str]] = []
        for choice in shown:
            parts.append((f"#{one_line(choice)}", "$text-secondary"))
            if choice in self.counts:
                parts.append((f" {self.counts[choice]}", "dim"))
            parts.append("  ")
        return Content.assemble(*parts)

    @on(Input.Changed, "#prompt-input")
    def _typed(self, event: Input.Changed) -> None:
        if self.choices:
            # While tab goes through the completions, the list stays on what was typed.
            typed = self.query_one("#prompt-input", CompletingField).typed
            self.query_one("#prompt-choices", Static).update(self._choices_text(typed))

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if not value and self.empty is not None:
            self.notify(self.empty, severity="warning", markup=False)
            return
        problem = self.check(value) if value and self.check is not None else None
        if problem:
            self.notify(problem, severity="error", markup=False)
            return
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        """Close without a value."""
        self.dismiss(None)
