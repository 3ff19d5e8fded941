"""Build a library's missing word indexes in a process of its own, for a process that
must not fork (the TUI runs threads: :mod:`papershelf.forked`) and would otherwise build
them one after another in one thread (9 s at 100,000 papers, against 3 s on two cores).

The helper, ``python -m papershelf.index_process LIBRARY PARENT_PID``, is a headless
process with no thread of its own: it forks workers as a word search on the command line
does and leaves the indexes in the library's cache, where the caller then loads them
from. Its exit status says whether it built them all; it dies with the thread that
started it (a TUI quit meanwhile).
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

#: The helpers under way, and those :func:`stop_helpers` stopped.
_RUNNING: set[subprocess.Popen[bytes]] = set()
_STOPPED: set[subprocess.Popen[bytes]] = set()
_HELPERS_LOCK = threading.Lock()


class HelperStopped(Exception):
    """The helper was stopped, as the process that started it is ending: build nothing."""


def build_elsewhere(root: Path) -> bool:
    """Build the missing word indexes of the library at ``root`` in a helper process,
    and wait for it; whether it built them all (else the caller builds the rest).
    Raises :class:`HelperStopped` if :func:`stop_helpers` stopped it."""
    command = [sys.executable, "-m", "papershelf.index_process", str(root), str(os.getpid())]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}  # (a thread of NumPy's would stop forks)
    try:
        with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=env) as helper:
            with _HELPERS_LOCK:
                _RUNNING.add(helper)
            try:
                status = helper.wait(HELPER_TIMEOUT)
            except subprocess.TimeoutExpired:
                helper.kill()
                return False
            except BaseException:
                helper.kill()
                raise
            finally:
                with _HELPERS_LOCK:
                    _RUNNING.discard(helper)
                    stopped = helper in _STOPPED
                    _STOPPED.discard(helper)
    except OSError:  # no process to be had: the caller builds them
        return False
    if stopped:
        raise HelperStopped
    return status == 0


def stop_helpers() -> None:
    """Stop the helpers under way (the process that started them is ending, and would
    wait for the threads waiting for them): those threads get :class:`HelperStopped`."""
    with _HELPERS_LOCK:
        for helper in _RUNNING:
            _STOPPED.add(helper)
            helper.kill()


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
    gc.disable()  # as the command line: millions of long-lived objects, no cycles to find
    from papershelf.library import Library

    try:
        Library(Path(args[0])).index_for_search(elsewhere=False)
    except Exception:  # the caller builds them, and says what fails
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
