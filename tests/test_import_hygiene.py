"""The domain and the headless commands never import Textual (harlequin's check)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import papershelf

from .conftest import SAMPLES

HEADLESS_MODULES = sorted(
    m.name for m in pkgutil.walk_packages(papershelf.__path__, "papershelf.")
    if not m.name.startswith("papershelf.tui") and m.name != "papershelf.__main__"
)


def _imported(code: str, *args: str) -> set[str]:
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", code, *args],
                            capture_output=True, text=True, check=True)
    return {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}


@pytest.mark.parametrize("module", HEADLESS_MODULES)
def test_headless_module_does_not_import_textual(module: str) -> None:
    imported = _imported(f"import {module}")
    assert not {m for m in imported if m == "textual" or m.startswith("textual.")}


COMMANDS = [
    ["import", *map(str, SAMPLES)],
    ["list", "vision", "language"],
    ["list", "--json", "tag:x"],
    ["show", "languagebind"],
    ["tag", "add", "vlp", "languagebind"],
    ["tag", "list"],
    ["read", "languagebind"],
    ["note", "languagebind", "a note"],
    ["export", "--format", "markdown"],
    ["stats"],
    ["rm", "ctp"],
    ["show", "no-such-key"],
]


def test_headless_commands_do_not_import_textual(tmp_path: Path) -> None:
    code = "import sys; from papershelf.cli import main; main(sys.argv[1:])"
    for command in COMMANDS:
        imported = _imported(code, "--library", str(tmp_path / "lib"), *command)
        textual = sorted(m for m in imported if m == "textual" or m.startswith("textual."))
        assert not textual, f"{command}: imported {textual[:3]}"
        assert "papershelf.library" in imported


def test_a_repeated_export_neither_renders_nor_loads_the_search(tmp_path: Path) -> None:
    """Startup is most of a small command's time: a BibTeX export served from the
    cache loads neither the renderer (bibtexparser, pylatexenc) nor NumPy, nor the
    paper model and orjson (with the dataclasses and inspect they load, ~15 ms)."""
    code = "import sys; from papershelf.cli import main; main(sys.argv[1:])"
    library = ["--library", str(tmp_path / "lib")]
    _imported(code, *library, "import", str(SAMPLES[0]))
    first = _imported(code, *library, "export")
    assert "papershelf.exporters.bibtex" in first  # (rendered)
    again = _imported(code, *library, "export")
    assert not again & {"bibtexparser", "pylatexenc", "anyascii", "numpy", "rapidfuzz",
                        "papershelf.model", "papershelf.changes", "orjson", "dataclasses",
                        "inspect"}


@pytest.mark.parametrize("command", [["tag", "add", "vlp", "languagebind"],
                                     ["tag", "rm", "vlp", "languagebind"],
                                     ["note", "languagebind", "a note"]], ids=" ".join)
def test_tag_and_note_changes_do_not_load_the_paper_model(tmp_path: Path,
                                                          command: list[str]) -> None:
    """Their rules live in papershelf.tags and papershelf.text: the paper model's
    dataclasses (about 5 ms to set up) are not needed to change a tag or a note."""
    code = "import sys; from papershelf.cli import main; sys.exit(main(sys.argv[1:]))"
    library = ["--library", str(tmp_path / "lib")]
    _imported(code, *library, "import", *map(str, SAMPLES))
    imported = _imported(code, *library, *command)
    assert "papershelf.library" in imported
    assert "papershelf.model" not in imported


@pytest.mark.parametrize("command", [["tag", "add", "vlp", "languagebind"],
                                     ["export"], ["show", "languagebind"]], ids=" ".join)
def test_a_command_compiles_no_pattern_it_does_not_use(tmp_path: Path,
                                                      command: list[str]) -> None:
    """Patterns of Chinese and Japanese letters, bidirectional controls and invisible
    characters compile into tables of a whole plane (9 ms at start-up): a command on
    papers without such characters compiles none of them."""
    code = ("import sys; from papershelf.cli import main; from papershelf import text; "
            "status = main(sys.argv[1:]); print(sorted(vars(text._PATTERNS))); "
            "sys.exit(status)")
    library = ["--library", str(tmp_path / "lib")]
    subprocess.run([sys.executable, "-c", code, *library, "import", *map(str, SAMPLES)],
                   check=True, capture_output=True)
    result = subprocess.run([sys.executable, "-c", code, *library, *command],
                            check=True, capture_output=True, text=True)
    assert result.stdout.splitlines()[-1] == "[]"



_RENDER_BOTH = r"""
import sys
from papershelf.exporters.bibtex import render_entry
from papershelf.model import Paper
plain = Paper(key="a", title="LanguageBind: Extending Video-Language Pretraining to N-modality",
              abstract="We extend it -- twice, at 5% of the cost & more.",
              links=("https://x.org/a",), tags=("vlp",), note="read it")
render_entry(plain)
print(sorted(m for m in ("bibtexparser", "pylatexenc", "logging") if m in sys.modules))
fancy = Paper(key="b", title="Schr\u00f6dinger", authors=("\u00c9mile",), entry_type="article",
              fields={"title": "{Schr{\\\"o}dinger}", "journal": "{J. Caf\u00e9}",
                      "author": "{{\\'E}mile and others}"})
print(render_entry(fancy))
print(sorted(m for m in ("bibtexparser", "pylatexenc") if m in sys.modules))
"""


def test_rendering_plain_papers_loads_neither_bibtexparser_nor_pylatexenc() -> None:
    """Together 30 ms at each start of a worker of a first export: plain ASCII papers
    from page dumps need neither. A paper with LaTeX to read (a .bib's) or characters
    beyond ASCII loads pylatexenc, and renders as before."""
    out = subprocess.run([sys.executable, "-c", _RENDER_BOTH], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == "[]"
    assert "  journal = {J. Caf{\\'e}}," in out
    assert "pylatexenc" in out[-1]


def test_a_missing_pylatexenc_is_said_not_hidden() -> None:
    """decode() shows LaTeX pylatexenc fails on as written; pylatexenc missing (a broken
    install), now that it is imported on first use, must not pass for such a failure."""
    code = ("import sys; sys.modules['pylatexenc'] = None\n"
            "from papershelf.latex import decode\n"
            "assert decode('plain -- text') == 'plain \\u2013 text'\n"
            "decode('Schr{\\\\\"o}dinger')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "ModuleNotFoundError" in result.stderr, result.stderr
