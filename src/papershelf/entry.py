"""The ``papershelf`` command's entry point: a ^C while the command line module is still
being imported (the first tenth of a second) ends the command with the same one line as
a ^C later, not a traceback. It imports nothing itself, so that nearly all of that time
falls within its ``try``."""

from __future__ import annotations

import sys


def main() -> int:
    """Import and run :func:`papershelf.cli.main`."""
    try:
        from papershelf.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("papershelf: error: interrupted (nothing was changed)\n")
        return 130
    return run()
