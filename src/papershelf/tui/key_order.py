"""Keys of one burst apply one after another, each where the keys before it sent the focus.

Textual hands each key to the focused widget as soon as it reads it, and runs a
priority binding (``/``, ``ctrl+s``) right then. A burst (fast typing, keys over ssh)
is read at once, so every key of it went to the widget focused *before* the first one
had run: ``t`` then ``vis`` opened the tag prompt, but ``vis`` had gone to the list and
was dropped; ``escape`` then ``j`` in the filter box typed ``j`` into it; ``jjj/v`` put
the filter on before the cursor had moved.

:class:`KeysInOrder` hands a key on only once the one before it is done with: stopped
by the widget it went to, or back up at the app, where the screen's bindings run. Keys
read meanwhile wait, in order, and so do keys while the screen on top is not mounted
yet or a :class:`KeyHolder` (the focused widget, or the screen) is waiting for the
outcome of an earlier key (a submit, a save, a search's results). A key that comes back
unhandled after the screen it was read on was covered or closed goes to what is on top.
Nothing waits longer than :data:`HOLD_LIMIT`. A key typed on its own, with nothing
before it under way, goes at once, as in any Textual app.
"""

from __future__ import annotations

from time import monotonic
from typing import Any, Protocol, runtime_checkable
from weakref import WeakKeyDictionary

from textual import events
from textual.app import App
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget

#: Seconds a key waits at most for the key before it, a screen to mount or a holder to
#: settle; past it, it goes to whatever has the focus, so that no key is held for good.
HOLD_LIMIT = 1.0
#: How often waiting keys look again whether they can go (a screen mounts in a few ms).
POLL = 0.002
#: Keys read less than this many seconds apart are one burst (typed on, or pasted), for
#: :meth:`KeysInOrder.drop_the_rest_of_the_burst`, which drops no key read longer than
#: :data:`DROP_LIMIT` after the first (a key held down repeats).
BURST_GAP = 0.3
DROP_LIMIT = 1.0


@runtime_checkable
class KeyHolder(Protocol):
    """A widget or screen that can ask the keys for it to wait."""

    def holds_key(self, key: str) -> bool:
        """Whether ``key`` should wait (the outcome of an earlier key, which may close
        the screen, move the focus or change what is shown, is not known yet)."""


class KeysInOrder(App[None]):
    """An app whose keys apply in the order typed, across screens and focus changes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_on: WeakKeyDictionary[events.Key, Screen[Any]] = WeakKeyDictionary()
        self._held: list[events.Key] = []
        self._held_since = 0.0
        #: The key handed to a widget and not yet done with (at most one), and since when.
        self._in_flight: events.Key | None = None
        self._in_flight_since = 0.0
        self._delivering = False
        self._poll_timer: Timer | None = None
        #: When the key last handed on was read (the clock of :attr:`events.Key.time`).
        self._last_read = 0.0
        #: The burst being dropped: when its first key and its last were read.
        self._dropping: tuple[float, float] | None = None

    async def on_event(self, event: events.Event) -> None:
        """Keys read from the terminal queue up behind those still waiting."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._dropped(event):
                return
            if not self._held:
                self._held_since = monotonic()
            self._held.append(event)
            await self._deliver_held()
            return
        await super().on_event(event)

    async def _on_key(self, event: events.Key) -> None:
        # A key back up at the app, unhandled: the screen's and the app's bindings run
        # now (App's _on_key, after this). If the screen it was read on has been covered
        # or closed since, it was meant for what is on top now.
        self._done(event)
        read_on = self._read_on.get(event)
        if read_on is not None and read_on is not self.screen:
            event.prevent_default()  # not App's _on_key: the bindings of the wrong screen
            self.hold(event)

    def hold(self, event: events.Key) -> None:
        """Hand ``event`` again, before the keys read after it, to what has the focus
        once it can take it (a widget that lost the focus since the key was read)."""
        if not self._held:
            self._held_since = monotonic()
        self._held.insert(0, events.Key(event.key, event.character))
        self.call_later(self._deliver_held)

    def drop_the_rest_of_the_burst(self) -> None:
        """Drop the keys read after the one being handled while each came less than
        :data:`BURST_GAP` after the one before (within :data:`DROP_LIMIT` of the first):
        typed for a dialog that did not open (refused), they must not run as commands
        (``u`` in a note would undo). A key read after a pause is a key again."""
        self._dropping = (self._last_read, self._last_read)
        while self._held and self._dropped(self._held[0]):
            self._held.pop(0)

    def _dropped(self, event: events.Key) -> bool:
        """Whether ``event`` belongs to the burst being dropped (then it extends it)."""
        if self._dropping is None:
            return False
        first, last = self._dropping
        if event.time - last <= BURST_GAP and event.time - first <= DROP_LIMIT:
            self._dropping = (first, max(last, event.time))
            return True
        self._dropping = None
        return False

    def _passed(self, event: events.Key) -> None:
        """Run by the widget a key went to, after it handled the key: stopped there, the
        key is done with; else it is on its way up to the app."""
        if event._stop_propagation:
            self._done(event)

    def _done(self, event: events.Key) -> None:
        if event is self._in_flight:
            self._in_flight = None
            if self._held:
                self.call_later(self._deliver_held)

    def _keys_can_go(self) -> bool:
        now = monotonic()
        if self._in_flight is not None:
            if now - self._in_flight_since < HOLD_LIMIT:
                return False
            self._in_flight = None  # stopped on its way up, or its widget went away
        if now - self._held_since > HOLD_LIMIT:
            return True
        if not self.screen.is_mounted:
            return False
        key = self._held[0].key
        return not any(isinstance(node, KeyHolder) and node.holds_key(key)
                       for node in (self.focused, self.screen))

    async def _deliver_held(self) -> None:
        if self._delivering:  # (a priority binding being run awaits): that run goes on
            return
        self._delivering = True
        try:
            while self._held:
                if not self._screen_stack:  # closing (q, and keys behind it): none to go
                    self._held.clear()
                    return
                if not self._keys_can_go():
                    self._look_again_soon()
                    return
                event = self._held.pop(0)
                self._held_since = monotonic()
                self._last_read = event.time
                self._read_on[event] = self.screen
                await super().on_event(event)  # priority bindings, else to the focus
                if event.is_forwarded:
                    target = self.focused or self.screen
                    self._in_flight, self._in_flight_since = event, monotonic()
                    target.call_later(self._passed, event)
        finally:
            self._delivering = False

    def _look_again_soon(self) -> None:
        if self._poll_timer is None:
            self._poll_timer = self.set_timer(POLL, self._polled)

    async def _polled(self) -> None:
        self._poll_timer = None
        await self._deliver_held()


def handed_back(widget: Widget, event: events.Key) -> bool:
    """Hand ``event`` back to the app if ``widget`` has lost the focus since the key was
    handed to it (an earlier key closed its dialog or moved the focus, in a message
    still on its way): it goes where the focus is now. Whether it did. (Whether a key
    should wait is decided before it is handed on: :meth:`KeysInOrder._keys_can_go`.)"""
    app = widget.app
    if not isinstance(app, KeysInOrder) or app.focused is widget:
        return False
    event.stop()
    event.prevent_default()  # Textual calls each class's _on_key: not the base's either
    app.hold(event)
    return True
