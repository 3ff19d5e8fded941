"""Changes made from the TUI: at once when the library is free, else in order when it is.

A change takes milliseconds and is durable once its key press has been handled. When
the library is busy (another papershelf holds its lock, or the app is importing), waiting
on the UI thread would freeze the app; instead that change, and every change after it,
waits in a queue that one thread works through in order, and the app stays usable
meanwhile. Imports always go through the queue, so they too keep the order in which the
user asked for things. The thread is not a daemon: even when the app quits, Python
waits for it, so every queued change is still saved before the process ends.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from papershelf.errors import LibraryBusyError, PapershelfError

T = TypeVar("T")
#: How long a change made at once waits for another process's lock before it is queued.
BUSY_WAIT = 0.02

Job = Callable[[float | None], Any]
Then = Callable[[Any], None]
Failed = Callable[[PapershelfError], None]


class Writes:
    """Changes in order, made at once when nothing is queued and the library is free.

    ``wait_until_free()`` blocks (off the UI thread) until the library's lock is free;
    ``deliver(callback)`` arranges for ``callback()`` to run on the UI thread.
    """

    def __init__(self, wait_until_free: Callable[[], None],
                 deliver: Callable[[Callable[[], None]], object]) -> None:
        self._wait_until_free = wait_until_free
        self._deliver = deliver
        self._queue: deque[tuple[Job, Then, Failed]] = deque()
        self._guard = threading.Lock()
        self._running = False
        #: Queued changes whose outcome the UI thread has not seen yet (UI thread only).
        self._pending = 0

    def __len__(self) -> int:
        """The changes still waiting, as the UI thread sees them."""
        return self._pending

    def still_queued(self) -> int:
        """The changes not yet made, from any thread (also once the app has ended and
        no longer hears of them)."""
        with self._guard:
            return len(self._queue)

    def make(self, job: Callable[[float | None], T], then: Callable[[T], None],
             failed: Failed, *, queue: bool = False) -> bool:
        """Make a change: ``job(wait)`` runs the library call, waiting at most ``wait``
        seconds for another process (``None``: as long as it takes). Then ``then(result)``
        or ``failed(error)`` runs on the UI thread. Call from the UI thread; returns
        whether the change was made at once. ``queue``: never on the UI thread (a long
        job, such as an import)."""
        if not self._pending and not queue:
            outcome = self._try(job, then, failed)
            if outcome is not None:
                outcome()
                return True
            # busy: queued below
        self._pending += 1
        with self._guard:
            self._queue.append((job, then, failed))
            start, self._running = not self._running, True
        if start:
            threading.Thread(target=self._work, name="papershelf-writes", daemon=False).start()
        return False

    def _work(self) -> None:
        try:
            while True:
                with self._guard:  # stopping and make()'s append exclude each other
                    if not self._queue:
                        self._running = False
                        return
                    job, then, failed = self._queue[0]
                outcome = self._run(job, then, failed)
                with self._guard:
                    self._queue.popleft()
                self._finish(outcome)
        except BaseException:
            with self._guard:  # the next make() starts a thread for what is left
                self._running = False
            raise

    def _run(self, job: Job, then: Then, failed: Failed) -> Callable[[], None]:
        """Run ``job`` until the library lets it; what to do on the UI thread after."""
        while (outcome := self._try(job, then, failed)) is None:
            # Without holding the shelf, then try again (if waiting itself fails, the
            # job's next try reports what is wrong).
            with contextlib.suppress(Exception):
                self._wait_until_free()
        return outcome

    @staticmethod
    def _try(job: Job, then: Then, failed: Failed) -> Callable[[], None] | None:
        """Run ``job`` once, waiting briefly for another process; what to do after it
        (``None``: the library was busy)."""
        try:
            result = job(BUSY_WAIT)
        except LibraryBusyError:
            return None
        except PapershelfError as exc:
            return partial(failed, exc)
        except Exception as exc:  # a disk error, or a bug: say so and go on with the rest
            error = PapershelfError(f"could not save a change: {exc}",
                                    "check the disk; nothing else was lost")
            return partial(failed, error)
        return partial(then, result)

    def _finish(self, outcome: Callable[[], None]) -> None:
        def on_ui_thread() -> None:
            self._pending -= 1
            outcome()

        self._deliver(on_ui_thread)
