"""What an export may replace: a file that holds what its format writes, or nothing.

``export -o thesis.tex`` (a typo for ``thesis.bib``) replaced the LaTeX source with
BibTeX and said it had exported; ``-o refs.md`` without ``--format markdown`` replaced a
Markdown export. :func:`refuse_to_replace` reads the start of the file and refuses
such a replacement; the command line and the TUI's ``e`` both ask it.
"""

from __future__ import annotations

import re
from pathlib import Path

from papershelf.errors import InputError
from papershelf.exporters import FORMAT_NAMES, descriptor_of
from papershelf.text import UTF16_BOMS, lf_line_ends

#: How much of a file is read to tell what it holds.
_HEAD_BYTES = 65536
#: The lines of text a ``.bib`` may have before its first entry (old JabRef's ``This file
#: was created with JabRef 2.1.`` and ``Encoding: Cp1252``); a file with more is notes,
#: a README or code that quotes an entry, not a bibliography.
_PROSE_BEFORE_ENTRY = 3
#: The start of a JSON export: a list of objects, or an empty one (not TOML's ``[tool]``).
_JSON_LIST = re.compile(r"\s*\[\s*[{\]]")


def refuse_to_replace(path: Path, fmt: str) -> None:
    """Raise :class:`InputError` when ``path`` is a file that an export in format ``fmt``
    would replace and that holds something else than what ``fmt`` writes: BibTeX from
    its start (anyone's: ``.bib`` files are replaced as asked), a JSON list, or
    papershelf's Markdown export (``# Reading list``, then papers). An empty file, a
    device, a pipe or an open descriptor (``/dev/stdout``: the shell's ``>>``) is
    written as asked."""
    try:
        # (a symbolic link followed, as write_file does)
        if descriptor_of(path) is not None or not path.is_file():
            return
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except PermissionError:
        raise InputError(f"{path} cannot be read, so what it holds cannot be told: the export "
                         "would replace it", "check its permissions, or export to another file") \
            from None
    except OSError:
        return  # write_file says what is wrong with it
    text = _text_of(head)
    if not text.strip() or _holds(text, fmt, cut=len(head) == _HEAD_BYTES):
        return
    raise InputError(f"{path} holds {_what_it_holds(head, text, fmt)}"
                     f"{'BibTeX' if fmt == 'bibtex' else f'a {FORMAT_NAMES[fmt]} export'}: "
                     "the export would replace it", f"export to another file, or delete {path} first")


def _text_of(head: bytes) -> str:
    """The start of a file as text: UTF-16 with a byte-order mark as an import reads it,
    else UTF-8 (a character cut at the end, or a byte that is not, replaced), without
    a byte-order mark, with line feeds for line ends (a Windows checkout's)."""
    if head.startswith(UTF16_BOMS):
        text = head.decode("utf-16", "replace")
    else:
        text = head.decode("utf-8", "replace")
    return lf_line_ends(text.lstrip("\ufeff"))


def _holds(text: str, fmt: str, *, cut: bool) -> bool:
    """Whether ``text``, a file's start (``cut`` short of its end), is what an export in
    ``fmt`` writes."""
    if fmt == "json":
        return _JSON_LIST.match(text) is not None
    if fmt == "markdown":
        from papershelf.exporters.markdown import MARKDOWN_TITLE

        # (a title may be longer than what is read: a .bib's has no limit)
        papers = r"## [^\n]*(?:\n\n- key: `|\Z)" if cut else r"## [^\n]*\n\n- key: `"
        return re.match(rf"\s*# {re.escape(MARKDOWN_TITLE)}\n\n(?:{papers}|\s*\Z)", text) is not None
    return _bibtex_from_its_start(text)


def _bibtex_from_its_start(text: str) -> bool:
    """Whether ``text`` is a ``.bib`` file's start: ``%`` comments and blank lines, then
    entries, with at most :data:`_PROSE_BEFORE_ENTRY` lines of text before the first,
    and nothing another format starts with (LaTeX's ``filecontents`` holding a ``.bib``)."""
    from papershelf.importers import holds_bibtex, other_format, starts_as_latex

    prose = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("@"):
            return holds_bibtex(text) and other_format(text) is None and not starts_as_latex(text)
        if stripped and not stripped.startswith("%"):
            prose += 1
            if prose > _PROSE_BEFORE_ENTRY:
                return False
    return prose == 0  # comments only: a bibliography not started


def _what_it_holds(head: bytes, text: str, fmt: str) -> str:
    """How a refusal names what a file holds, with the ``, not`` before the format
    (``fmt``: BibTeX quoted in notes is no bibliography)."""
    from papershelf.importers import holds_bibtex, other_format, starts_as_latex

    if b"\x00" in head and not head.startswith(UTF16_BOMS):
        return "binary data, not "
    if named := other_format(text) or ("LaTeX" if starts_as_latex(text) else None):
        return f"{named}, not "
    if fmt != "bibtex" and holds_bibtex(text):
        return "BibTeX, not "
    return "something other than "
