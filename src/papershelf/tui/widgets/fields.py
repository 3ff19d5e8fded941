"""Text fields that apply the keys of one burst in the order they were typed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from time import monotonic
from typing import Any, ClassVar, Protocol, runtime_checkable

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input, TextArea

from papershelf.text import shown
from papershelf.tui.key_order import HOLD_LIMIT, handed_back

#: What TextArea reads as a line break (those of :meth:`str.splitlines`: CR, as a
#: terminal sends Enter, form feeds from pdftotext, ...), to keep as one in a paste.
_LINE_BREAK = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


async def run_own_binding(field: Widget, event: events.Key) -> None:
    """Run ``field``'s own (not priority) binding of the key now, if it has one.

    Textual types a printable key at once, but runs a bound key (backspace, left,
    ctrl+u...) only after it has bubbled up to the app, by which time the characters
    typed behind it in the same burst (fast typing, a macro, keys over ssh) are in
    already: "ab", backspace, "c" gave "ab", and ``ctrl+u /tmp/x.bib`` gave
    ``mp/x.bib`` (Textual issue #6605). The field's own bindings come first in the
    app's binding chain anyway, and priority bindings have run before the key is
    handed to it, so what runs is the same, in order; a key the field does not bind
    still bubbles up.
    """
    for binding in field._bindings.key_to_bindings.get(event.key, ()):
        if not binding.priority and await field.app.run_action(binding.action, field):
            # Textual calls each class's _on_key along the MRO: preventing the
            # default keeps Input's or TextArea's from handling the key again.
            event.stop()
            event.prevent_default()
            return


class Field(Input):
    """A one-line input whose keys apply in the order typed (see :func:`run_own_binding`).

    Its submit (enter) may close its dialog or move the focus, in a message still on its
    way: until the screen has handled it, the keys behind it wait (:meth:`holds_key`),
    to go where the focus is then.
    """

    _submitted: Message | None = None
    _submitted_at = 0.0

    def on_mount(self) -> None:
        """Watch for the screen to handle a submit."""
        self.screen.message_signal.subscribe(self, self._handled, immediate=True)

    def holds_key(self, key: str) -> bool:
        """Whether a submit is still on its way (any key waits for it)."""
        return self._submitted is not None and monotonic() - self._submitted_at < HOLD_LIMIT

    def _handled(self, message: Message) -> None:
        if message is self._submitted:
            self._submitted = None

    async def _on_key(self, event: events.Key) -> None:
        if handed_back(self, event):
            return
        self._restart_blink()  # as Input's own _on_key, which a bound key now skips
        await run_own_binding(self, event)

    async def action_submit(self) -> None:
        """Submit, as Input does; the keys behind wait for the screen to handle it."""
        message = self.Submitted(self, self.value,
                                 self.validate(self.value) if "submitted" in self.validate_on else None)
        self._submitted, self._submitted_at = message, monotonic()
        self.post_message(message)


class FilterField(Field):
    """The filter box: a :class:`Field` whose footer says how to get back to the list
    (the list's keys type into it meanwhile, so the footer had nothing else), and
    whose placeholder is the longest of ``placeholders`` that fits its width (at 80
    columns, beside the count, the whole one was cut after ``tag:NAME,``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "List", tooltip="Back to the paper list (so do down and escape)"),
    ]

    def __init__(self, placeholders: Sequence[str], **kwargs: Any) -> None:
        super().__init__(placeholder=placeholders[0], **kwargs)
        self.placeholders = placeholders

    def fitting_placeholder(self) -> str:
        """The longest placeholder that fits the width the box has now."""
        width = self.content_size.width
        return next((text for text in self.placeholders if len(text) <= width), self.placeholders[-1])

    def render_line(self, y: int) -> Strip:
        """Draw the longest placeholder that fits the width the box is drawn at: taken at
        a resize, it could be the one of a width the box had before the count beside it
        was laid out (a loaded machine drew the short one at 80 columns)."""
        fitting = self.fitting_placeholder()
        if fitting != self.placeholder:  # (without a refresh: this is the drawing)
            self.set_reactive(FilterField.placeholder, fitting)
        return super().render_line(y)


@runtime_checkable
class Completions(Protocol):
    """A suggester that can list every completion of what is typed, in order."""

    def completions(self, value: str) -> list[str]:
        """Every completion of ``value``, the suggested one first."""
        ...


class CompletingField(Field):
    """A :class:`Field` whose ``tab`` (and ``right`` at the end) takes its suggester's
    completion of what is typed; ``tab`` again goes on to the next completion (when the
    suggester lists them: :class:`Completions`), as a shell's menu completion does.

    The inline suggestion is worked out in the background, a step behind the typing:
    in one burst, "vis", tab (or right), "x" gave "visx", the suggestion of "vis" not
    being there yet when the key came. So these keys ask the suggester itself, in
    their place among the keys.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete", tooltip="Take the suggested completion; again: the next one"),
    ]

    #: What was typed before ``tab`` and the completion ``tab`` put in, while the value
    #: is still that completion: the next ``tab`` goes on from it.
    _tabbed: tuple[str, str] | None = None

    @property
    def _before_tab(self) -> str | None:
        """What was typed before ``tab`` completed it, while the value is that completion."""
        return self._tabbed[0] if self._tabbed is not None and self._tabbed[1] == self.value \
            else None

    @property
    def typed(self) -> str:
        """What was typed: the value, or what it was before ``tab`` completed it."""
        before = self._before_tab
        return self.value if before is None else before

    async def action_complete(self) -> None:
        """Complete what is typed; right after a completion, take the next one."""
        typed = self._before_tab
        if typed is not None and isinstance(self.suggester, Completions):
            found = self.suggester.completions(typed)
            if self.value in found and len(found) > 1:
                self._put(typed, found[(found.index(self.value) + 1) % len(found)])
                return
        await self._completed()

    # Async where Input's is not: Textual awaits an action that returns a coroutine.
    async def action_cursor_right(self, select: bool = False) -> None:  # type: ignore[override]
        """At the end, complete as tab does; else move (or select) as Input does."""
        if select or not self.cursor_at_end or not await self._completed():
            super().action_cursor_right(select)

    async def _completed(self) -> bool:
        """Put the suggester's completion of what is typed in; whether there was one."""
        if self.suggester is None or not self.value:
            return False
        typed = self.value if self.suggester.case_sensitive else self.value.casefold()
        if isinstance(self.suggester, Completions):  # what is shown may differ (a tag's #)
            completion = next(iter(self.suggester.completions(typed)), None)
        else:
            completion = await self.suggester.get_suggestion(typed)
        if completion:
            self._put(self.value, completion)
        return bool(completion)

    def _put(self, typed: str, completion: str) -> None:
        self.value = completion
        self.cursor_position = len(completion)
        self._tabbed = (typed, completion)


class Editor(TextArea):
    """A multi-line editor whose keys apply in the order typed (see :func:`run_own_binding`),
    and whose pastes lose their control characters."""

    async def _on_paste(self, event: events.Paste) -> None:
        # (TextArea's own handler, after this one, inserts it.) Control characters (an
        # escape sequence copied off a terminal) showed as they were until the note was
        # saved, which drops them; what TextArea takes for a line break stays one.
        event.text = shown(_LINE_BREAK.sub("\n", event.text))

    async def _on_key(self, event: events.Key) -> None:
        if handed_back(self, event):
            return
        self._restart_blink()  # as TextArea's own _on_key, which a bound key now skips
        await run_own_binding(self, event)
