"""The system clipboard through pyperclip, with errors that say what to install."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

from papershelf.errors import ClipboardError

_INSTALL = "install xclip or xsel (X11) or wl-clipboard (Wayland)"
#: What else there is over ssh, to copy and to paste.
_COPY_ELSEWHERE = "use the TUI, which copies through the terminal (OSC 52)"
_PASTE_ELSEWHERE = "paste into papershelf import - (then ctrl+d)"


def copy_text(text: str) -> None:
    """Put ``text`` on the clipboard or raise :class:`ClipboardError`."""
    import pyperclip

    _require_display(_COPY_ELSEWHERE)
    try:
        with _std_streams_detached():
            pyperclip.copy(text)
    except pyperclip.PyperclipException as exc:
        raise _unavailable(exc, _COPY_ELSEWHERE) from None


@contextlib.contextmanager
def _std_streams_detached() -> Iterator[None]:
    """Point standard output and error at /dev/null while copying, unless a terminal.

    xclip forks a process that serves the clipboard until another copy and inherits our
    stdout and stderr: when they are pipes (``papershelf copy KEY | cat``, a script
    capturing output), the reader would wait for that process to end. A terminal (the
    TUI's) is left alone, so nothing another thread writes there is lost.
    """
    saved: list[tuple[int, int]] = []
    try:
        for stream, fd in ((sys.stdout, 1), (sys.stderr, 2)):
            with contextlib.suppress(OSError, ValueError):
                if os.isatty(fd):
                    continue
                stream.flush()
                copy = os.dup(fd)
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, fd)
                os.close(devnull)
                saved.append((fd, copy))
        yield
    finally:
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)


def paste_text() -> str:
    """The clipboard's text, or raise :class:`ClipboardError`."""
    import pyperclip

    _require_display(_PASTE_ELSEWHERE)
    try:
        text = pyperclip.paste()
    except pyperclip.PyperclipException as exc:
        raise _unavailable(exc, _PASTE_ELSEWHERE) from None
    return text or ""


def _require_display(elsewhere: str) -> None:
    """Raise :class:`ClipboardError` if the environment names a display that is gone
    (xclip would fail on it, and say so only on stderr); ``elsewhere``: what there is
    instead."""
    from papershelf.display import unanswered_display

    name = unanswered_display()
    if name is not None:
        raise ClipboardError(f"no clipboard available (the display {name} does not answer)",
                             "set DISPLAY to a running display (a tmux session keeps that of an "
                             f"earlier ssh login), or {elsewhere}")


def _unavailable(exc: Exception, elsewhere: str) -> ClipboardError:
    """Why pyperclip found no clipboard, and what to do (``elsewhere``: what there is
    over ssh). On Linux with no display named (a console, an ssh login without -X),
    installing xclip would not help."""
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") \
            and not os.environ.get("WAYLAND_DISPLAY"):
        return ClipboardError("no clipboard available (no display: DISPLAY and WAYLAND_DISPLAY "
                              "are not set)", f"over ssh, log in with ssh -X, or {elsewhere}")
    return ClipboardError(f"no clipboard available ({_first_line(exc)})",
                          f"{_INSTALL}; over ssh, {elsewhere}")


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or ["unknown reason"])[0][:120]
