"""Importers: turn the bytes of a file, stdin or the clipboard into paper entries.

:func:`read_input` reads a path (or ``-`` for stdin) with every failure turned into an
:class:`~papershelf.errors.InputError`; :func:`parse_input` decodes the bytes, picks
the format (``.bib`` by name or by a leading ``@entry{``, else a page dump, but not
JSON, HTML or Markdown, which are refused) and parses it. Both raise only ``InputError``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import stat
import sys
from typing import BinaryIO

from papershelf.errors import InputError
from papershelf.importers.pages import Failure, ParseResult, parse_page_dump
from papershelf.paths import user_path
from papershelf.text import UTF16_BOMS, plural

__all__ = ["Failure", "ParseResult", "decode", "definitions_only", "in_pieces", "looks_like_bibtex",
           "other_format", "parse_input", "read_input"]

STDIN = "-"
#: The name a listing read from a pipe other than standard input is recorded under.
PIPE = "<pipe>"
#: The start of an entry: ``@type{``, or ``@type(KEY,`` (not ``@dataclass(frozen=True)``,
#: a decorator of Python code), or ``@string(``, ``@preamble(``, ``@comment(``.
_ENTRY_OPEN = (r"@[ \t]*(?:[A-Za-z]+[ \t]*\{|(?i:string|preamble|comment)[ \t]*\("
               r"|[A-Za-z]+[ \t]*\([ \t]*[^\s,=(){}]+[ \t]*,)")
_BIBTEX_START = re.compile(r"\s*(%[^\n]*\n\s*)*" + _ENTRY_OPEN)
#: A line ``@type{key,`` and then a line ``field =``, or a line ``@type{key, field =`` (an
#: entry on one line, as a "Cite as" box gives it; with a brace, not a parenthesis: not a
#: Python decorator, ``@dataclass(frozen, order=True)``; nor is ``@dataclass(frozen=True,``
#: over two lines), anywhere near the start: BibTeX after
#: text that BibTeX ignores (old JabRef's ``This file was created with JabRef 2.1.``, a
#: heading), which no listing holds.
_BIBTEX_ENTRY = re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*"
                           r"(?:\{[^\n]*,[ \t]*\r?\n[ \t]*|\([ \t]*[^\s,=(){}]+[ \t]*,[ \t]*\r?\n[ \t]*"
                           r"|\{[ \t]*[^\s,{}()]+[ \t]*,[ \t]*)"
                           r"[A-Za-z][\w:.-]*[ \t]*=", re.MULTILINE)
_MAX_BYTES = 512 * 1024 * 1024
#: How much of a stream :func:`_read_capped` asks for at a time.
_READ_PIECE = 1 << 20
#: Control characters that text holds no more than a few of (not tab, newline, CR, FF, VT;
#: nor escape, which begins each colour of ``grep --color`` output: its sequences go whole).
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
#: A ``.bib`` or a listing is cut into pieces of at least this many characters (about
#: 600 entries), parsed on every core (:func:`papershelf.importers.bibtex.parse_bibtex`,
#: :func:`papershelf.importers.pages.parse_page_dump`): smaller files are parsed before
#: the workers would have started.
PIECE_CHARS = 1 << 20
#: ... and of at most this many (about 5,000 entries) when there are more than pieces
#: enough for the workers: a worker then holds one piece's parse at a time, not a
#: share of the whole file's (a 160 MB ``.bib`` cut in two took 800 MB a worker).
MAX_PIECE_CHARS = 8 * PIECE_CHARS


def piece_count(length: int, per_worker: int = 1) -> int:
    """Into how many pieces a text of ``length`` characters is cut to be parsed on
    every core: ``per_worker`` pieces for each worker worth starting (pieces of at least
    :data:`PIECE_CHARS`), more if they would be longer than :data:`MAX_PIECE_CHARS`;
    1 (no cut) when one worker is all it is worth."""
    from papershelf.forked import workers_for

    workers = workers_for(length // PIECE_CHARS)
    if workers < 2:
        return 1
    return max(per_worker * workers, -(-length // MAX_PIECE_CHARS))


def read_input(path: str) -> tuple[str, bytes]:
    """The display name and bytes of ``path`` (``-`` reads standard input). A file over
    :data:`_MAX_BYTES` is refused, and so is a stream (standard input, a pipe, a device)
    once it has sent more: ``yes |`` or ``/dev/zero`` would fill the memory."""
    if path == STDIN:
        return "<stdin>", _read_capped(sys.stdin.buffer, "standard input")
    if not path:  # Path("") is the current directory
        raise InputError("the path to import is empty", "give a page dump or a .bib file")
    target = user_path(path)
    hint = "check the path"
    try:
        if target.is_dir():
            raise InputError(f"{path} is a directory", "give a file inside it; the command line "
                                 "takes many at once, as DIR/*.txt")
        found = target.stat()
        if found.st_size > _MAX_BYTES:
            raise _too_big(path, found.st_size)
        # A pipe's name says nothing of what was in it (<(cmd) is /dev/fd/63: "63").
        # A name not in UTF-8 (Latin-1, from an old archive) is recorded with U+FFFD for
        # its odd bytes: the library's JSON holds text, which half a character is not.
        name = PIPE if stat.S_ISFIFO(found.st_mode) or stat.S_ISSOCK(found.st_mode) \
            else os.fsencode(target.name).decode("utf-8", "replace")
        if stat.S_ISREG(found.st_mode):
            return name, target.read_bytes()
        with target.open("rb") as stream:  # no size to check first
            return name, _read_capped(stream, path)
    except FileNotFoundError:
        raise InputError(f"{path} does not exist", hint) from None
    except PermissionError:
        raise InputError(f"{path} cannot be read (permission denied)", "check its permissions") \
            from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror or exc}", hint) from None


def _read_capped(stream: BinaryIO, name: str) -> bytes:
    """All ``stream`` sends, unless that is more than :data:`_MAX_BYTES` (a file
    redirected to standard input is refused by its size, at once). Read a piece at a
    time: asked for all of it in one read, Python reserves the whole cap first, which
    a ``ulimit -v`` refuses however little comes."""
    with contextlib.suppress(OSError, ValueError):  # (no descriptor: a test's stream)
        found = os.fstat(stream.fileno())
        if stat.S_ISREG(found.st_mode) and found.st_size > _MAX_BYTES:
            raise _too_big(name, found.st_size)
    pieces, size = [], 0
    while size <= _MAX_BYTES:
        pieces.append(piece := stream.read(_READ_PIECE))
        size += len(piece)
        if len(piece) < _READ_PIECE:  # the end: a buffered read falls short only there
            break  # (not to read again after a terminal's ^D, which would wait for more)
    if size > _MAX_BYTES:
        raise InputError(f"{name} sent more than {_MAX_BYTES // 2**20} MiB, too big to be a "
                         "paper listing", "split it into smaller files")
    return b"".join(pieces)


def _too_big(name: str, size: int) -> InputError:
    """The error for a file of ``size`` bytes, over :data:`_MAX_BYTES`."""
    return InputError(f"{name} is {size // 2**20} MiB, too big to be a paper listing",
                      "split it into smaller files")


def decode(name: str, data: bytes) -> str:
    """``data`` as text: UTF-8 (a BOM is dropped), or UTF-16 with a BOM (what Notepad's
    "Unicode" and Windows PowerShell's ``Get-Clipboard > FILE`` write); binary or other
    encodings are errors.

    ``name`` is how error messages refer to the input (the path the user gave).
    """
    if data.startswith(UTF16_BOMS):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeError:
            raise InputError(f"{name} is not UTF-16 text, though it starts as UTF-16 does",
                             "re-save it as UTF-8") from None
    if not data.strip():
        raise InputError(f"{name} is empty", "copy a paper listing into it first")
    if b"\x00" in data[:65536]:
        encoding = _utf16_without_bom(data[:65536])
        if encoding:
            raise InputError(f"{name} looks like UTF-16 text without a byte-order mark",
                             f"re-save it as UTF-8, e.g. iconv -f {encoding} -t utf-8")
        raise InputError(f"{name} is a binary file, not text",
                         "import the text copied from a listing page, or a .bib file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        declared = _DECLARED_ENCODING.match(data)
        encoding = declared.group(1).decode() if declared else None
        in_declared = _in_declared_encoding(data, declared) if declared else None
        if in_declared is None:
            raise InputError(
                f"{name} is not UTF-8 text (bad byte at offset {exc.start})"
                + (f", nor BibTeX in {encoding}, as its first lines say" if encoding else ""),
                "re-save it as UTF-8, e.g. iconv -f latin1 -t utf-8",
            ) from None
        text = in_declared
    controls = len(_CONTROLS.findall(text, 0, 65536))
    if controls > max(8, len(text[:65536]) // 100):
        raise InputError(f"{name} looks like a binary file, not text",
                         "import the text copied from a listing page, or a .bib file")
    return text


#: JabRef's line naming the encoding it wrote the file in, in its first lines (a Java
#: charset name: ``ISO8859_1``, ``Cp1252``, ``windows-1252``, which Python's codecs know
#: too; ``% Encoding: ...``, and ``Encoding: ...`` under JabRef 2.1's first line).
_DECLARED_ENCODING = re.compile(rb"(?:[^\n]*\n){0,3}?[ \t]*%?[ \t]*Encoding:[ \t]*([\w.:-]+)")
#: What an encoding JabRef wrote reads as ASCII does: its LaTeX (not ``unicode_escape``,
#: which makes ``\t`` a tab, nor UTF-7, whose ``+`` starts a sequence).
_ASCII_PROBE = b"% \\textbf{x} +- ~ 42"


def _in_declared_encoding(data: bytes, declared: re.Match[bytes]) -> str | None:
    """``data`` as text in the encoding a JabRef ``.bib`` declares on its first lines
    (``% Encoding: ISO8859_1``: ``declared``), or ``None`` when that encoding does not
    read it as BibTeX. It is read only when the file is not UTF-8: a file once saved so
    may have been re-saved as UTF-8 with the old line kept. An encoding in which the
    declaration or LaTeX does not read as written (UTF-16, EBCDIC, ``unicode_escape``,
    UTF-7: :data:`_ASCII_PROBE`) is none of JabRef's."""
    try:
        encoding = declared.group(1).decode("ascii")
        written = declared.group(0).decode("ascii")
        if _ASCII_PROBE.decode(encoding) != _ASCII_PROBE.decode("ascii"):
            return None
        text = data.decode(encoding)
    except (LookupError, UnicodeError):
        return None
    return text if text.startswith(written) and holds_bibtex(text) else None


def _utf16_without_bom(head: bytes) -> str | None:
    """``utf-16le`` or ``utf-16be`` when ``head`` reads as mostly Latin text in it (every
    other byte a NUL, the others not), else ``None``."""
    half = len(head) // 2
    if half < 8:
        return None
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd >= 0.9 * half and even <= 0.1 * half:
        return "utf-16le"
    if even >= 0.9 * half and odd <= 0.1 * half:
        return "utf-16be"
    return None


def in_pieces(name: str, data: bytes) -> bool:
    """Whether the input ``name`` holding ``data`` is of 2 MB or more, which the parsers
    cut into pieces for every core (unless there is one core, a ``.bib`` defines
    ``@string`` macros, or a listing has no blank line to cut at)."""
    return len(data) >= 2 * PIECE_CHARS


#: The start of a markup document (HTML, XML, SVG): a saved page, not its copied text.
_MARKUP_START = re.compile(r"\s*<(?:!doctype\s|\?xml\s|html[\s>]|svg[\s>])", re.IGNORECASE)
#: A Markdown heading (``# Reading list``, papershelf's own Markdown export) as the first
#: line: a copied listing starts with page chrome or a title, never with ``# ``.
_MARKDOWN_START = re.compile(r"\s*#{1,6} \S")
#: A TOML (or INI) file's first line: ``key = value``.
_TOML_KEY = re.compile(r"\s*[A-Za-z0-9_.-]+\s*=")
#: A control word that starts the lines of LaTeX's own files (``.tex``, ``.aux``,
#: ``.bbl``), not the title of a paper (as ``\textsc`` may).
_LATEX_STRUCTURE = (r"\\(?:documentclass|documentstyle|usepackage|RequirePackage|NeedsTeXFormat"
                    r"|pdfoutput|input|include|begin|end|begingroup|endgroup|section|chapter"
                    r"|maketitle|relax|citation|bibstyle|bibdata|bibcite|bibitem|newblock"
                    r"|providecommand|newcommand|renewcommand|def|gdef|makeatletter|catcode"
                    r"|@writefile|abx@aux@\w+|select@language|newlabel|refsection|datalist|entry"
                    r"|endentry|field|name|list|strng|verb)(?![A-Za-z@])")
#: The first line of a log of TeX's or BibTeX's (``.log``, ``.blg``).
_TEX_LOG_START = re.compile(r"This is (?:[A-Za-z-]*TeX|BibTeX|Biber),? [Vv]ersion ")
#: Past blank and comment lines, a line starting with one of them.
_LATEX_START = re.compile(r"(?:[ \t]*(?:%[^\n]*)?\r?\n)*[ \t]*" + _LATEX_STRUCTURE)
#: A line starting with one of them.
_LATEX_LINE = re.compile(r"^[ \t]*" + _LATEX_STRUCTURE, re.MULTILINE)


def starts_as_latex(text: str) -> bool:
    """Whether the first line of ``text`` (past blank and comment lines) is one of
    LaTeX's own files' (``\\documentclass``, ``\\bibitem``, ...): a paper's title may start
    so, so it takes two such lines to refuse an import (:func:`other_format`)."""
    return _LATEX_START.match(text) is not None


def other_format(text: str) -> str | None:
    """The name of the format ``text`` is in when it is surely neither a listing nor
    BibTeX (``JSON``, ``TOML``, ``HTML or XML``, ``Markdown``, ``LaTeX``, a TeX log),
    else ``None``.
    Read as a listing, such a file gives a paper for every line that happens to follow
    another (a JSON export of 356 papers gave hundreds of junk papers, a paper's ``.bbl``
    327), so it is refused."""
    head = text.lstrip()[:1]
    if head in ("[", "{"):
        import json

        try:
            json.loads(text)
        except (ValueError, RecursionError):
            pass
        else:
            return "JSON"
    if (head == "[" or _TOML_KEY.match(text)) and _is_toml(text):
        return "TOML"
    if head == "<" and _MARKUP_START.match(text):
        return "HTML or XML"
    if head == "#" and _MARKDOWN_START.match(text):
        return "Markdown"
    # (two such lines: a listing whose first title starts with \begin{...} is one)
    if head in ("\\", "%") and starts_as_latex(text) and _nth_match(_LATEX_LINE, text, 2):
        return "LaTeX"
    if head == "T" and _TEX_LOG_START.match(text.lstrip()):
        return "a log of TeX's"
    return None


def _nth_match(pattern: re.Pattern[str], text: str, n: int) -> bool:
    """Whether ``pattern`` matches ``text`` at least ``n`` times."""
    return next(itertools.islice(pattern.finditer(text), n - 1, None), None) is not None


def _is_toml(text: str) -> bool:
    """Whether ``text`` is a TOML document with something in it (every line of it a
    ``key = value``, a ``[table]`` or a comment, which no listing is)."""
    import tomllib

    try:
        return bool(tomllib.loads(text))
    except (ValueError, RecursionError):  # TOMLDecodeError is a ValueError
        return False


def looks_like_bibtex(name: str, text: str) -> bool:
    """Whether to read ``text`` as BibTeX: a ``.bib`` name, or :func:`holds_bibtex`."""
    return name.lower().endswith(".bib") or holds_bibtex(text)


def holds_bibtex(text: str) -> bool:
    """Whether ``text`` is BibTeX whatever its file's name: a leading ``@type{`` (after
    ``%`` comments), or an entry (:data:`_BIBTEX_ENTRY`) in its first 64 KiB."""
    return _BIBTEX_START.match(text) is not None or _BIBTEX_ENTRY.search(text, 0, 65536) is not None


def definitions_only(result: ParseResult) -> str | None:
    """What a ``.bib`` that holds no entry defines, if that is all it holds (IEEEtran's
    ``IEEEabrv.bib``, a file of ``@preamble`` macros), as a warning's words; else None."""
    if result.entries or result.failures or not (result.macros or result.preambles):
        return None
    held = []
    if result.macros:
        # (BibTeX's names are caseless: a name defined again is the same macro)
        macros = list({name.lower(): name for name in result.macros}.values())
        names = ", ".join(macros[:3]) + (", ..." if len(macros) > 3 else "")
        held.append(f"{plural(len(macros), '@string macro')} ({names}): an entry using one "
                    "is exported with its name, for BibTeX to read with the file that defines it")
    if result.preambles:
        held.append(f"{plural(len(result.preambles), '@preamble')}, kept for export")
    return "no entries, only " + "; and ".join(held)


def parse_input(name: str, data: bytes, label: str | None = None) -> ParseResult:
    """Parse one input named ``name`` (recorded as the papers' source); ``label`` is how
    errors refer to it (default: ``name``). Raises :class:`InputError` if it holds no
    papers at all."""
    label = label or name
    text = decode(label, data)
    if looks_like_bibtex(name, text):
        from papershelf.importers.bibtex import parse_bibtex

        result = parse_bibtex(text, name)
        kind = "BibTeX entries"
    else:
        found = other_format(text)
        if found is not None:
            raise InputError(
                f"{label} is {found}, not a paper listing or a .bib file",
                "import the text copied from a listing page, or a .bib file; to move papers "
                "between libraries, export and import BibTeX, which keeps tags and notes",
            )
        result = parse_page_dump(text, name)
        kind = "papers"
    if not result.entries and not (kind == "BibTeX entries" and definitions_only(result)):
        parts = plural(len(result.failures), "unreadable part")
        detail = f" ({parts}, first at line " \
                 f"{result.failures[0].line}: {result.failures[0].reason})" if result.failures else ""
        raise InputError(
            f"no {kind} found in {label}{detail}",
            "expected text copied from a paper listing (a title line, then its abstract) "
            "or a .bib file",
        )
    return result
