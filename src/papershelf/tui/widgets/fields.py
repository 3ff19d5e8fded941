"""Text fields that apply the keys of one burst in the order they were typed."""

from __future__ import annotations

from textual import events
from textual.widget import Widget
from textual.widgets import Input, TextArea


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
    """A one-line input whose keys apply in the order typed (see :func:`run_own_binding`)."""

    async def _on_key(self, event: events.Key) -> None:
        self._restart_blink()  # as Input's own _on_key, which a bound key now skips
        await run_own_binding(self, event)


class Editor(TextArea):
    """A multi-line editor whose keys apply in the order typed (see :func:`run_own_binding`)."""

    async def _on_key(self, event: events.Key) -> None:
        self._restart_blink()  # as TextArea's own _on_key, which a bound key now skips
        await run_own_binding(self, event)
