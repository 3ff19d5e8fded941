"""The errors papershelf raises on purpose.

Each carries a message and a hint; the CLI prints them as one line
(``papershelf: error: MESSAGE (HINT)``) and the TUI as a notification.
"""

from __future__ import annotations


def quoted(text: str, limit: int = 60) -> str:
    """``text`` in quotes for a one-line message: as typed (a backslash stays one, where
    ``repr`` doubles it), control characters escaped, cut to ``limit`` characters with
    an ellipsis (a pasted paragraph is not echoed whole)."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    if len(shown) > limit:
        shown = shown[:limit - 1] + "…"
    return f"'{shown}'"


class SavedInterrupt(KeyboardInterrupt):
    """A Ctrl-C that came after a change's commit point: the change was saved."""


class Signalled(KeyboardInterrupt):
    """SIGHUP or SIGTERM, stopping a block as a Ctrl-C would (so that what it holds is
    kept or cleaned up), and the command with the status the signal gives."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)  # (in args: a worker's exception is pickled back)
        self.signum = signum


def interrupted_status(exc: BaseException) -> int:
    """The exit status of a command that ``exc`` (a :class:`KeyboardInterrupt`, perhaps
    raised from a :class:`Signalled`) stopped: 128 and the signal's number, as a shell
    reports a process the signal ended: 130 for Ctrl-C, 129 for SIGHUP, 143 for SIGTERM."""
    seen: BaseException | None = exc
    chain: set[int] = set()
    while seen is not None and id(seen) not in chain:
        if isinstance(seen, Signalled):
            return 128 + seen.signum
        chain.add(id(seen))
        seen = seen.__cause__ or seen.__context__
    return 130


class PapershelfError(Exception):
    """Base of every expected failure: bad input, unknown key, no clipboard, ..."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(PapershelfError):
    """A file or text to import cannot be read or holds no papers."""


class UnknownKeyError(PapershelfError):
    """No paper has the given key."""

    def __init__(self, key: str, hint: str = "") -> None:
        super().__init__(f"no paper with key {quoted(key)}", hint)
        self.key = key


class UsageError(PapershelfError):
    """The command line is malformed, or a value on it breaks its rules, as a tag with a
    space does (exit status 2)."""

    exit_code = 2


class ClipboardError(PapershelfError):
    """No clipboard is reachable from here."""


class LibraryError(PapershelfError):
    """The library on disk cannot be opened or written."""


class LibraryBusyError(LibraryError):
    """Another papershelf holds the library's lock for longer than we waited."""


class ConflictError(PapershelfError):
    """A change was refused: another process changed the same thing since the caller
    last looked. ``current`` is what is stored now."""

    def __init__(self, message: str, hint: str = "", current: str = "") -> None:
        super().__init__(message, hint)
        self.current = current
