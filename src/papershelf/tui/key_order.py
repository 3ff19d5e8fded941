"""Keys of one burst go where the keys before them have sent the focus.

Textual hands each key to the focused widget as soon as it reads it. A burst (fast
typing, a paste of keys, keys over ssh) is read at once, so every key of it goes to
the widget focused *before* the first one has run: ``t`` then ``vis`` opened the tag
prompt, but ``vis`` had already gone to the list, reached the app with the prompt on
top, and was dropped; ``escape`` then ``j`` in the filter box typed ``j`` into it.

:class:`KeysInOrder` notes the screen each key was read on. A key that comes back up
to the app unhandled after that screen has been covered or closed is held, with every
key read after it, and handed out again, in order, once the screen now on top is
mounted and its focused widget is ready (a :class:`KeyHolder` waiting for the outcome
of a key it passed on is not).
"""

from __future__ import annotations

from time import monotonic
from typing import Any, Protocol, runtime_checkable
from weakref import WeakKeyDictionary

from textual import events
from textual.app import App
from textual.screen import Screen
from textual.widget import Widget

#: Seconds keys wait at most for a screen to mount or a field to settle; past it they
#: go to whatever has the focus, so that a key can never be held for good.
HOLD_LIMIT = 1.0
#: How often held keys check whether they can go (a new screen mounts in a few ms).
POLL = 0.002


@runtime_checkable
class KeyHolder(Protocol):
    """A widget that can ask for the keys behind one to wait."""

    @property
    def holds_keys(self) -> bool:
        """Whether keys for this widget should wait (the outcome of an earlier key,
        which may close its screen or move the focus, is not known yet)."""


class KeysInOrder(App[None]):
    """An app whose keys apply in the order typed, across screens and focus changes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_on: WeakKeyDictionary[events.Key, Screen[Any]] = WeakKeyDictionary()
        self._held: list[events.Key] = []
        self._held_since = 0.0

    async def on_event(self, event: events.Event) -> None:
        """Note the screen a key is read on; keys read while others are held wait
        behind them."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._held:
                self._held.append(event)
                return
            self._read_on[event] = self.screen
        await super().on_event(event)

    async def _on_key(self, event: events.Key) -> None:
        # A key back up at the app, unhandled: if the screen it was read on has been
        # covered or closed since, it was meant for what is on top now.
        read_on = self._read_on.get(event)
        if read_on is not None and read_on is not self.screen:
            event.prevent_default()  # not App's _on_key: the bindings of the wrong screen
            self.hold(event)

    def hold(self, event: events.Key) -> None:
        """Hand ``event`` (and the keys behind it) again to what has the focus once it
        is ready to take them."""
        if not self._held:
            self._held_since = monotonic()
            self.call_later(self._deliver_held)
        self._held.append(events.Key(event.key, event.character))

    def _keys_can_go(self) -> bool:
        if monotonic() - self._held_since > HOLD_LIMIT:
            return True
        if not self.screen.is_mounted:
            return False
        focused = self.focused
        return not (isinstance(focused, KeyHolder) and focused.holds_keys)

    async def _deliver_held(self) -> None:
        while self._held:
            if not self._keys_can_go():
                self.set_timer(POLL, self._deliver_held)
                return
            event = self._held.pop(0)
            self._read_on[event] = self.screen
            await super().on_event(event)  # as when read: priority bindings, then the focus
            self._held_since = monotonic()


def handed_back(widget: Widget, event: events.Key, *, wait: bool = False) -> bool:
    """Hand ``event`` back to the app, to go where the focus is once things settle, if
    ``wait`` (``widget`` :attr:`~KeyHolder.holds_keys`) or if ``widget`` has lost the
    focus since the key was read (an earlier key of the burst closed its dialog or
    moved the focus). Whether it did."""
    app = widget.app
    if not isinstance(app, KeysInOrder) or (not wait and app.focused is widget):
        return False
    event.stop()
    event.prevent_default()  # Textual calls each class's _on_key: not the base's either
    app.hold(event)
    return True
