"""Whether the graphical display the environment names is there to use.

A ``DISPLAY`` left over in a tmux session after reconnecting over ssh names an X server
that is gone: xclip then fails after saying nothing useful, and a browser prints its
errors over the TUI. One connection attempt (a local socket, or TCP for a forwarded
display, 0.3 s at most) tells beforehand.
"""

from __future__ import annotations

import os
import re
import socket
import sys
from pathlib import Path

_X11 = re.compile(r"(?P<host>[^:]*):(?P<number>\d+)(?:\.\d+)?")
_TIMEOUT = 0.3


def unanswered_display() -> str | None:
    """The display the environment names (``WAYLAND_DISPLAY`` first, then ``DISPLAY``)
    if it does not accept a connection; ``None`` if it does, if none is named, and on
    macOS and Windows."""
    if sys.platform in ("darwin", "win32"):
        return None
    wayland = os.environ.get("WAYLAND_DISPLAY")
    if wayland:
        runtime = os.environ.get("XDG_RUNTIME_DIR", "")
        return None if _unix_answers(str(Path(runtime, wayland))) else wayland
    x11 = os.environ.get("DISPLAY")
    return None if not x11 or _x11_answers(x11) else x11


def _x11_answers(display: str) -> bool:
    match = _X11.fullmatch(display)
    if match is None:
        return False
    host, number = match["host"], int(match["number"])
    if host in ("", "unix") or host.startswith("/"):  # a local server (or XQuartz's path)
        path = host if host.startswith("/") else f"/tmp/.X11-unix/X{number}"
        # X servers on Linux listen on an abstract socket too; either will do.
        return _unix_answers("\0" + path) or _unix_answers(path)
    try:
        with socket.create_connection((host, 6000 + number), timeout=_TIMEOUT):
            return True
    except OSError:
        return False


def _unix_answers(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(_TIMEOUT)
        try:
            sock.connect(path)
        except (OSError, ValueError):
            return False
        return True
