"""The system clipboard through pyperclip, with errors that say what to install."""

from __future__ import annotations

from papershelf.errors import ClipboardError

_HINT = ("install xclip or xsel (X11) or wl-clipboard (Wayland); over ssh, use the TUI, "
         "which copies through the terminal (OSC 52)")


def copy_text(text: str) -> None:
    """Put ``text`` on the clipboard or raise :class:`ClipboardError`."""
    import pyperclip

    try:
        pyperclip.copy(text)
    except pyperclip.PyperclipException as exc:
        raise ClipboardError(f"no clipboard available ({_first_line(exc)})", _HINT) from None


def paste_text() -> str:
    """The clipboard's text, or raise :class:`ClipboardError`."""
    import pyperclip

    try:
        text = pyperclip.paste()
    except pyperclip.PyperclipException as exc:
        raise ClipboardError(f"no clipboard available ({_first_line(exc)})", _HINT) from None
    return text or ""


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or ["unknown reason"])[0][:120]
