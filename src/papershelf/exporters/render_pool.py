"""Rendering the BibTeX of many shards at once, one forked process per core.

The first export of a large library (or the first after an upgrade) renders every
shard: about 40 µs a paper, 4 s for 100,000 papers on one core. Shards render
independently, so when several miss the export cache, worker processes render them
(and fill the cache) while this process writes out each shard's entries in order as
they arrive. A few shards are in flight at a time, so memory stays that of a few shards.

Workers are forked, so they start at once with the library already open; forking is only
safe in a process with no other thread, and only done on Linux. Anything that goes wrong
in a worker (an error, a worker killed) makes this process render that shard itself, so
the export is the same as rendering on one core, error messages included.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING

from papershelf.exporters.bibtex_cache import ShardEntries, cached_entries, rendered_entries

if TYPE_CHECKING:
    from papershelf.library import Library
    from papershelf.shard import Shard

#: At most this many worker processes (each holds a shard's papers while rendering it).
MAX_WORKERS = 8

Rendered = tuple[list[str], list[int], bytes]
#: How a shard came back from a worker: ``None`` when its cache was valid after all,
#: else the rendered entries (keys, sizes, body), or ``False`` when the worker failed.
Outcome = Rendered | None | bool

#: The library and code checksum the forked workers render from (set before the fork).
_JOB: tuple[Library, dict[int, Shard], str | None] | None = None


def workers_for(shards: int) -> int:
    """How many processes should render ``shards`` shards: the usable cores (at most
    :data:`MAX_WORKERS`) when there are two shards or more and forking is safe, else 1."""
    if shards < 2 or sys.platform != "linux" or _threads_running():
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), MAX_WORKERS, shards))


def _threads_running() -> bool:
    threading = sys.modules.get("threading")  # not imported: no thread was started with it
    return threading is not None and threading.active_count() > 1


def render_in_parallel(library: Library, shards: Sequence[Shard], code: str | None,
                       workers: int) -> Iterator[ShardEntries]:
    """The entries of ``shards``, in that order, rendered where the cache misses by
    ``workers`` forked processes (:func:`workers_for`)."""
    global _JOB
    import multiprocessing

    _JOB = (library, {shard.number: shard for shard in shards}, code)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_ignore_interrupts)
    try:
        todo = iter(shards)
        in_flight = deque((shard, _submitted(pool, shard))
                          for shard in itertools.islice(todo, 2 * workers))
        while in_flight:
            shard, future = in_flight.popleft()
            outcome = _outcome(future)
            following = next(todo, None)
            if following is not None:
                in_flight.append((following, _submitted(pool, following)))
            yield _entries(library, shard, code, outcome)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _JOB = None


def _submitted(pool: ProcessPoolExecutor, shard: Shard) -> Future[Outcome] | None:
    try:
        return pool.submit(_render_shard, shard.number)
    except RuntimeError:  # the pool broke (a worker was killed): render here instead
        return None


def _outcome(future: Future[Outcome] | None) -> Outcome:
    if future is None:
        return False
    try:
        return future.result()
    except Exception:  # a worker died: this process renders the shard itself
        return False


def _entries(library: Library, shard: Shard, code: str | None, outcome: Outcome) -> ShardEntries:
    if isinstance(outcome, tuple):
        keys, sizes, body = outcome
        return ShardEntries(keys, sizes, memoryview(body), False)
    if outcome is None:  # cached all along: read it here
        found = cached_entries(library, shard, code)
        if found is not None:
            return found
    return rendered_entries(library, shard, code)


def _ignore_interrupts() -> None:
    """Workers leave ^C to the exporting process, which stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _render_shard(number: int) -> Outcome:
    """In a worker: shard ``number``'s entries, rendered and cached, unless cached already.
    An error reaches the exporting process, which then renders the shard itself."""
    assert _JOB is not None, "set before the workers were forked"
    library, shards, code = _JOB
    shard = shards[number]
    if cached_entries(library, shard, code) is not None:
        return None
    entries = rendered_entries(library, shard, code)
    return entries.keys, entries.sizes, entries.body.tobytes()
