"""Work on many shards at once, in forked worker processes, one per usable core.

Rendering a shard's BibTeX or Markdown, parsing a piece of a big import or building a
shard's word index is pure-Python work that holds the GIL, so threads would not help;
processes forked from this one start at once with the library already open. Forking
is only safe in a process running no other thread (the TUI works in threads, so it
never forks) and is only done on Linux.

Workers die with this process, however it ends (``PR_SET_PDEATHSIG``), leave ``^C`` to
it, and never hold its standard output (so ``papershelf export | cat`` ends when it
does). :func:`on_every_core` does in this process any task a worker failed (or whose
worker was killed), and every task when workers are not to be had: the result is then
the same as without workers, error messages included.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Generator, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:  # the pool and ctypes load only when workers are started
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")

#: At most this many worker processes.
MAX_WORKERS = 8

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class _Failed(Enum):
    FAILED = "failed"


#: What a task that could not be done in a worker comes back as.
FAILED: Literal[_Failed.FAILED] = _Failed.FAILED
Failed = Literal[_Failed.FAILED]

#: The work and its items, set just before forking (workers inherit them).
_JOB: tuple[Callable[[object], object], Sequence[object], int] | None = None


def workers_for(tasks: int) -> int:
    """How many worker processes should do ``tasks`` tasks: the usable cores (at most
    :data:`MAX_WORKERS`, ``tasks`` and the CPU limit of :func:`cpu_quota`, rounded up)
    when there are two tasks or more and forking is safe, else 1 (do them in this
    process)."""
    if tasks < 2 or sys.platform != "linux" or _threads_running():
        return 1
    return min(usable_cores(), tasks)


def usable_cores() -> int:
    """The cores this process may run on, at most :data:`MAX_WORKERS` and the CPU limit
    of :func:`cpu_quota` (rounded up)."""
    cores = len(os.sched_getaffinity(0))
    quota = cpu_quota()
    if quota is not None:
        cores = min(cores, math.ceil(quota))
    return max(1, min(cores, MAX_WORKERS))


#: The cgroup file systems (v2 at the root, v1's cpu controller under ``cpu/``) and where
#: the kernel says this process sits in them.
CGROUP_ROOT = "/sys/fs/cgroup"
PROC_CGROUP = "/proc/self/cgroup"


def cpu_quota() -> float | None:
    """How many CPUs' worth of time this process may use: the tightest CPU limit on its
    cgroup and those above it (``docker --cpus`` seen from inside the container or from
    the host, a Kubernetes limit, systemd's ``CPUQuota=``), ``None`` when there is none
    or it cannot be read. The cores a process may run on say nothing of it: a container
    limited to one CPU on a 16-core host would start eight workers to share that one."""
    limits = [limit for limit in map(_limit_in, _cgroup_dirs()) if limit is not None]
    return min(limits, default=None)


def _cgroup_dirs() -> list[tuple[str, bool]]:
    """The cgroup directories whose CPU limit applies to this process, as (directory,
    is cgroup v2): its own and every one above it, in each hierarchy."""
    places = {True: "/", False: "/"}  # unknown: the root as this process sees it
    with contextlib.suppress(OSError, ValueError), open(PROC_CGROUP) as lines:
        for line in lines:
            fields = line.rstrip("\n").split(":", 2)
            if len(fields) != 3:
                continue
            _, controllers, path = fields
            if controllers == "":
                places[True] = path
            elif "cpu" in controllers.split(","):
                places[False] = path
    found: list[tuple[str, bool]] = []
    for v2, path in places.items():
        base = CGROUP_ROOT if v2 else os.path.join(CGROUP_ROOT, "cpu")
        parts = [part for part in path.split("/") if part and part not in (".", "..")]
        found.extend((os.path.join(base, *parts[:depth]), v2) for depth in range(len(parts), -1, -1))
    return found


def _limit_in(place: tuple[str, bool]) -> float | None:
    """The CPU limit set in one cgroup directory, ``None`` for none (or unreadable)."""
    directory, v2 = place
    with contextlib.suppress(OSError, ValueError):
        if v2:
            with open(os.path.join(directory, "cpu.max")) as handle:
                quota, period = handle.read().split()
            return None if quota == "max" else _cpus(int(quota), int(period))
        with open(os.path.join(directory, "cpu.cfs_quota_us")) as quota_file, \
                open(os.path.join(directory, "cpu.cfs_period_us")) as period_file:
            return _cpus(int(quota_file.read()), int(period_file.read()))
    return None


def _cpus(quota: int, period: int) -> float | None:
    """A quota per period as CPUs; ``None`` for no limit (v1 writes -1) or nonsense."""
    if quota <= 0 or period <= 0:
        return None
    if quota >= period * MAX_WORKERS:  # as many as we would use (and no float overflow)
        return float(MAX_WORKERS)
    return quota / period


def in_worker() -> bool:
    """Whether this process is one of :func:`forked_map`'s workers (what a task returns
    then crosses a pipe)."""
    return _JOB is not None and os.getpid() != _JOB[2]


def wait_until_alone(timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for this process to run no other thread; return
    whether it does. A thread just joined may still count for a moment: Python's join
    returns before the system has removed the thread, and workers are not forked until
    it has."""
    import time

    deadline = time.monotonic() + timeout
    while _threads_running():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.001)
    return True


def _threads_running() -> bool:
    """Whether this process runs another thread: Python's, or a native one (NumPy's
    OpenBLAS starts some unless ``OPENBLAS_NUM_THREADS=1``, which the command line sets)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(b"Threads:"):
                return int(line.split()[1]) > 1
    threading = sys.modules.get("threading")  # never imported: no thread was started with it
    return threading is not None and threading.active_count() > 1


def on_every_core(work: Callable[[T], R], items: Sequence[T]) -> Generator[R, None, None]:
    """``work(item)`` for each of ``items``, in order: in forked workers where
    :func:`workers_for` allows, else in this process, which also does again any item a
    worker could not. What ``work`` returns from a worker crosses a pipe, so keep it
    small or bytes. Closing the iterator early stops the workers."""
    workers = workers_for(len(items))
    if workers == 1:
        yield from map(work, items)
        return
    outcomes = forked_map(work, items, workers)
    try:
        for item, outcome in zip(items, outcomes, strict=True):
            yield work(item) if outcome is FAILED else outcome
    finally:
        outcomes.close()


def forked_map(work: Callable[[T], R], items: Sequence[T], workers: int
               ) -> Generator[R | Failed, None, None]:
    """``work(item)`` for each of ``items`` in ``workers`` forked processes, yielded in
    order as they come; at most two tasks per worker are under way (memory stays that
    of a few results). An item a worker could not do comes back :data:`FAILED`, and
    every item does if no worker can be started (fork fails, no semaphores)."""
    global _JOB
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _JOB = (work, items, os.getpid())  # type: ignore[assignment]
    ours = set(multiprocessing.active_children())
    pool: ProcessPoolExecutor | None = None
    numbers = iter(range(len(items)))
    in_flight: deque[Future[object] | None] = deque()
    # ^C is held back while workers start (one that does not ignore it yet would print a
    # traceback) and while they stop (a second ^C then would leave this process waiting
    # for them for good); it is raised as soon as they have.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        try:
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                       initializer=_start_worker)
            in_flight.extend(_submitted(pool, i) for i in itertools.islice(numbers, 2 * workers))
        except (OSError, NotImplementedError, ImportError):  # no workers to be had
            _stop(set(multiprocessing.active_children()) - ours)
            pool, numbers, in_flight = None, iter(()), deque([None] * len(items))
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        while in_flight:
            outcome = _outcome(in_flight.popleft())
            following = next(numbers, None)
            if following is not None and pool is not None:
                in_flight.append(_submitted(pool, following))
            yield outcome  # type: ignore[misc]
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        finally:
            _JOB = None
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _stop(processes: set[Any]) -> None:
    """Kill workers of a pool that could not be started whole (they would wait for work
    for good, and this process for them at exit)."""
    for process in processes:
        process.kill()
        process.join()


def _submitted(pool: ProcessPoolExecutor, number: int) -> Future[object] | None:
    try:
        return pool.submit(_run, number)
    except RuntimeError:  # the pool broke (a worker was killed): the caller does it
        return None


def _outcome(future: Future[object] | None) -> object:
    if future is None:
        return FAILED
    try:
        return future.result()
    except Exception:  # failed or killed in the worker: the caller does it again here
        return FAILED


def _start_worker() -> None:
    """In a new worker: die with the parent, ignore ^C, let go of standard output."""
    gc.freeze()  # what the parent made: never gone through by a collection here
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    # (Where prctl is missing, die_with_parent cannot ask it: workers still end with the pool.)
    if _JOB is None or not die_with_parent(_JOB[2], signal.SIGKILL):
        os._exit(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)


def die_with_parent(parent: int, how: signal.Signals) -> bool:
    """Have the kernel send this process ``how`` when the thread of ``parent`` that
    started it ends (Linux's ``PR_SET_PDEATHSIG``, where there is one); false when that
    parent is gone already (then nothing would come)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, how, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    return os.getppid() == parent


def _run(number: int) -> object:
    assert _JOB is not None, "set before the workers were forked"
    work, items, _parent = _JOB
    # The command line runs with the collector off (it pays at 100,000 papers), but a
    # worker doing task after task would keep each task's cyclic garbage for good:
    # bibtexparser leaves ~4 bytes of it per byte parsed. That of the task before is
    # collected now, not once it is done, which would hold its result back. Only the
    # youngest generation, what was made since the last collection: a full collection
    # would also go through all that earlier tasks keep (the records of every shard
    # rendered), again and again (a first export of 100,000 papers took 0.7 s longer).
    # What the parent made is out of reach (frozen in _start_worker).
    if not gc.isenabled():
        gc.collect(0)
    return work(items[number])
