"""Build a library's missing word indexes in a process of its own, for a process that
must not fork (the TUI runs threads: :mod:`papershelf.forked`) and would otherwise build
them one after another in one thread (6-9 s at 100,000 papers, against 3 s on two cores).

The helper, ``python -m papershelf.index_process LIBRARY PARENT_PID``, is a headless
process with no thread of its own: it forks workers as a word search on the command line
does and leaves the indexes in the library's cache, where the caller then loads them
from. Its exit status says whether it built them all. It runs in a session of its own (a
closed terminal's SIGHUP is for the caller, which then stops it), and the kernel ends it
if the thread that started it ends first (the caller crashed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

#: How long a caller waits for the helper before building what is left itself.
HELPER_TIMEOUT = 300.0
#: How long the helper waits for the library's lock to open it (the caller then builds
#: the indexes itself, which needs no lock, rather than wait for a long import).
LOCK_WAIT = 1.0


class HelperStopped(Exception):
    """The helpers were stopped, as the process that started them is ending: build nothing."""


class Helpers:
    """The helper processes one caller (the TUI's shelf) starts, until :meth:`stop`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._stopped = False

    def build(self, root: Path) -> bool:
        """Build the missing word indexes of the library at ``root`` in a helper process,
        and wait for it; whether it built them all (else the caller builds the rest).
        Raises :class:`HelperStopped` once :meth:`stop` was called, before or meanwhile."""
        try:
            with self._lock:  # (stop() then either comes first, or finds it to kill)
                if self._stopped:
                    raise HelperStopped
                helper = subprocess.Popen(_command(root), stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          env=_environment(), start_new_session=True)
                self._running.add(helper)
        except OSError:  # no process to be had: the caller builds them
            return False
        with helper:
            try:
                status = helper.wait(HELPER_TIMEOUT)
            except subprocess.TimeoutExpired:
                helper.kill()
                return False
            except BaseException:
                helper.kill()
                raise
            finally:
                with self._lock:
                    self._running.discard(helper)
        if self._stopped:
            raise HelperStopped
        return status == 0

    def stop(self) -> None:
        """Stop the helpers under way, and start no more: the process that started them is
        ending, and would wait for the threads waiting for them, which then raise
        :class:`HelperStopped` instead of building the indexes themselves."""
        with self._lock:
            self._stopped = True
            for helper in self._running:
                helper.kill()


def _command(root: Path) -> list[str]:
    # -P: the working directory is not put first on the path (a checkout of another
    # papershelf there would be imported); the path is this process's (_environment).
    return [sys.executable, "-P", "-m", "papershelf.index_process", str(root), str(os.getpid())]


def _environment() -> dict[str, str]:
    """This process's environment, with its own module path (the same papershelf, from a
    source checkout or a zipapp as well) and no NumPy threads (they would stop forks)."""
    path = [os.path.abspath(entry) if entry else os.getcwd() for entry in sys.path]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path), "OPENBLAS_NUM_THREADS": "1"}


def main(argv: Sequence[str] | None = None) -> int:
    """The helper: build the missing indexes of ``LIBRARY`` on every core; 0 if it did."""
    import gc

    from papershelf.forked import die_with_parent

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or not args[1].isdigit():
        sys.stderr.write("usage: python -m papershelf.index_process LIBRARY PARENT_PID\n")
        return 2
    if not die_with_parent(int(args[1]), signal.SIGTERM):
        return 1
    root = Path(args[0])
    if not root.is_dir():  # gone meanwhile: opening it would make it again, empty
        return 1
    gc.disable()  # as the command line: millions of long-lived objects, no cycles to find
    from papershelf.library import Library

    try:
        Library(root, lock_timeout=LOCK_WAIT).index_for_search()
    except Exception:  # the caller builds them, and says what fails
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
