"""The clipboard for real: pyperclip with xclip on a throwaway Xvfb display, and the
one-line error when no clipboard tool exists (a server, ssh).

Needs ``Xvfb`` and ``xclip`` (Debian/Ubuntu: ``apt-get install xvfb xclip``). pyperclip
picks its backend at first use, so every copy runs in a subprocess with a controlled
environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from papershelf.importers.bibtex import parse_bibtex

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "vision-language-pretraining.txt"
TEXT = "@misc{k,\n  title = {Sch{\\\"o}dinger {\\&} 100\\% ü α 🚀},\n}\n"

needs_x = pytest.mark.skipif(
    shutil.which("Xvfb") is None or shutil.which("xclip") is None,
    reason="Xvfb and xclip are not installed (apt-get install xvfb xclip)",
)


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A fresh Xvfb display on a free number, stopped after the tests."""
    for number in range(99, 199):
        if Path(f"/tmp/.X{number}-lock").exists() or Path(f"/tmp/.X11-unix/X{number}").exists():
            continue
        server = subprocess.Popen(["Xvfb", f":{number}", "-nolisten", "tcp", "-screen", "0", "320x240x24"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and server.poll() is None:
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.05)
        if server.poll() is None and Path(f"/tmp/.X11-unix/X{number}").exists():
            try:
                yield f":{number}"
            finally:
                server.terminate()
                server.wait(timeout=10)
            return
        server.kill()
        server.wait(timeout=10)
    pytest.fail("no free X display number for Xvfb in :99-:198")


def x_env(display: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY",)}
    env["DISPLAY"] = display
    return env


def xclip_out(display: str) -> str:
    done = subprocess.run(["xclip", "-o", "-selection", "clipboard"], capture_output=True,
                          env=x_env(display), timeout=10)
    return done.stdout.decode("utf-8")


def papershelf(library: Path, *args: str,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "papershelf", "--library", str(library), *args],
                          capture_output=True, text=True, env=env, timeout=60)


@needs_x
def test_copy_then_paste_back_under_xvfb(display: str) -> None:
    # xclip takes the selection in a process of its own: under load a paste right after
    # the copy can come first and find it empty, so the paste is tried for a while
    script = ("import sys, time\nfrom papershelf.clipboard import copy_text, paste_text\n"
              "copy_text(sys.argv[1])\nend = time.monotonic() + 10\n"
              "while not (text := paste_text()) and time.monotonic() < end:\n"
              "    time.sleep(0.05)\nsys.stdout.write(text)\n")
    # capture_output: the xclip process serving the clipboard must not hold our pipes open
    done = subprocess.run([sys.executable, "-c", script, TEXT], capture_output=True, text=True,
                          env=x_env(display), timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout == TEXT
    assert xclip_out(display) == TEXT  # another program sees it too


@needs_x
def test_cli_copy_puts_the_papers_bibtex_on_the_clipboard(display: str, tmp_path: Path) -> None:
    library = tmp_path / "lib"
    assert papershelf(library, "import", str(SAMPLE)).returncode == 0
    done = papershelf(library, "copy", "languagebind", "ctp", env=x_env(display))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "copied BibTeX of 2 papers to the clipboard\n"
    pasted = xclip_out(display)
    expected = papershelf(library, "show", "languagebind", "--bibtex").stdout
    assert pasted.startswith(expected)
    assert [e.bib_key for e in parse_bibtex(pasted, "clip").entries] == ["languagebind", "ctp"]


@needs_x
def test_cli_copy_without_a_clipboard_tool_says_what_to_install(display: str, tmp_path: Path) -> None:
    library = tmp_path / "lib"
    assert papershelf(library, "import", str(SAMPLE)).returncode == 0
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    env = x_env(display)
    env["PATH"] = str(empty_path)  # no xclip, xsel, wl-copy or klipper to be found
    done = papershelf(library, "copy", "languagebind", env=env)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("papershelf: error: no clipboard available")
    assert "install xclip" in lines[0] and "Traceback" not in done.stderr


@needs_x
def test_cli_copy_without_a_display_says_so_not_to_install_xclip(tmp_path: Path) -> None:
    """A console or an ssh login without -X: xclip is there, but has nowhere to copy to."""
    library = tmp_path / "lib"
    assert papershelf(library, "import", str(SAMPLE)).returncode == 0
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    done = papershelf(library, "copy", "languagebind", env=env)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "papershelf: error: no clipboard available (no display: DISPLAY and WAYLAND_DISPLAY "
        "are not set) (over ssh, log in with ssh -X, or use the TUI, which copies through the "
        "terminal (OSC 52))\n")
    done = papershelf(library, "import", "--clipboard", env=env)
    assert done.returncode == 1 and done.stderr.endswith(
        "(over ssh, log in with ssh -X, or paste into papershelf import - (then ctrl+d))\n")


@needs_x
def test_import_from_the_clipboard(display: str, tmp_path: Path) -> None:
    page = SAMPLE.read_text(encoding="utf-8")
    subprocess.run(["xclip", "-i", "-selection", "clipboard"], input=page.encode(),
                   env=x_env(display), timeout=10, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = papershelf(tmp_path / "lib", "import", "--clipboard", env=x_env(display))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "60 new, 0 already in library, 0 failed"
    shown = papershelf(tmp_path / "lib", "show", "languagebind", "--json", env=x_env(display))
    assert '"file": "<clipboard>"' in shown.stdout


def test_import_from_the_clipboard_without_one_fails_cleanly(tmp_path: Path) -> None:
    env = {"PATH": "", "HOME": str(tmp_path), "PYTHONPATH": os.pathsep.join(sys.path)}
    result = papershelf(tmp_path / "lib", "import", "--clipboard", env=env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("papershelf: error: no clipboard available")
    assert not (tmp_path / "lib" / "papers").exists()


def _free_display_number() -> int:
    return next(n for n in range(177, 277) if not Path(f"/tmp/.X11-unix/X{n}").exists()
                and not Path(f"/tmp/.X{n}-lock").exists())


def test_a_display_answers_only_while_something_listens(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from papershelf.display import unanswered_display

    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    gone = f":{_free_display_number()}"
    monkeypatch.setenv("DISPLAY", gone)
    assert unanswered_display() == gone
    with socket.socket(socket.AF_UNIX) as local, socket.socket() as tcp:
        path = tmp_path / "x0"
        local.bind(str(path))
        local.listen()
        monkeypatch.setenv("DISPLAY", f"{path}:0")  # a server's socket named by its path
        assert unanswered_display() is None
        tcp.bind(("127.0.0.1", 0))
        port = tcp.getsockname()[1]
        if port >= 6000:  # a forwarded display: TCP port 6000 + N
            tcp.listen()
            monkeypatch.setenv("DISPLAY", f"127.0.0.1:{port - 6000}.0")
            assert unanswered_display() is None
        monkeypatch.setenv("DISPLAY", gone)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
        monkeypatch.setenv("WAYLAND_DISPLAY", "x0")  # Wayland comes first
        assert unanswered_display() is None
        monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-9")
        assert unanswered_display() == "wayland-9"


def test_cli_copy_on_a_display_that_is_gone_fails_cleanly(tmp_path: Path) -> None:
    """A DISPLAY left over in tmux from an earlier ssh login: xclip would fail, saying so
    only on stderr, and the copy would have been reported done."""
    library = tmp_path / "lib"
    assert papershelf(library, "import", str(SAMPLE)).returncode == 0
    gone = f":{_free_display_number()}"
    done = papershelf(library, "copy", "languagebind", env=x_env(gone))
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and f"the display {gone} does not answer" in lines[0]
    assert lines[0].endswith("or use the TUI, which copies through the terminal (OSC 52))")
    done = papershelf(library, "import", "--clipboard", env=x_env(gone))
    assert done.returncode == 1 and f"the display {gone} does not answer" in done.stderr
    assert done.stderr.endswith("or paste into papershelf import - (then ctrl+d))\n")


def test_no_browser_is_started_on_a_display_that_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    import webbrowser

    from papershelf.tui.screens.main import has_graphical_browser

    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", f":{_free_display_number()}")
    # xdg-open in the background: what webbrowser picks on a desktop
    monkeypatch.setattr(webbrowser, "get", lambda: webbrowser.BackgroundBrowser("xdg-open"))
    assert not has_graphical_browser()
    monkeypatch.delenv("DISPLAY")
    assert has_graphical_browser()  # (as far as it can tell without a display to ask)
