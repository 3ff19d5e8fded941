"""Exporters: papers to BibTeX, Markdown and JSON.

:func:`stream` writes any of them piece by piece from batches of papers, so an export
of a whole library never holds it in memory twice.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from papershelf.errors import InputError, PapershelfError
from papershelf.model import Paper

FORMATS = ("bibtex", "markdown", "json")


def stream(batches: Iterable[list[Paper]], fmt: str) -> Iterator[str]:
    """The export of ``batches`` of papers in format ``fmt`` (``bibtex`` or
    ``markdown``; JSON is :func:`json_pieces`), in pieces to write out in order. Joined,
    the pieces are what exporting all the papers at once would give."""
    if fmt == "markdown":
        from papershelf.exporters.markdown import MARKDOWN_TITLE, paper_to_markdown

        yield f"# {MARKDOWN_TITLE}\n\n"
        first = True
        for batch in batches:
            for paper in batch:
                yield ("" if first else "\n") + paper_to_markdown(paper)
                first = False
    elif fmt == "bibtex":
        from papershelf.exporters.bibtex import to_bibtex

        first = True
        for batch in batches:
            text = to_bibtex(batch)
            if text:
                yield text if first else "\n" + text
                first = False
    else:
        raise ValueError(f"stream() writes bibtex or markdown, not {fmt!r}")


def json_pieces(batches: Iterable[list[dict[str, Any]]]) -> Iterator[bytes]:
    """The JSON export (a list, indented by two) of ``batches`` of papers' JSON
    (:meth:`Paper.to_json` or :meth:`Library.iter_json`), as UTF-8 pieces to write out in
    order: joined, the dump of all of them at once."""
    import orjson

    first = True
    for batch in batches:
        if not batch:
            continue
        # A batch dumped as a list, without its brackets, is its elements indented
        # as they are inside the whole list.
        dumped = orjson.dumps(batch, option=orjson.OPT_INDENT_2)
        yield (b"[\n" if first else b",\n") + dumped[2:-2]
        first = False
    yield b"[]\n" if first else b"\n]\n"


def write_file(path: Path, pieces: Iterable[str | bytes | memoryview]) -> None:
    """Write ``pieces`` (text, or UTF-8 bytes) to ``path`` atomically and durably: a
    crash or an error leaves the old file (or none), never a half-written export. A new
    file gets the usual permissions (0666 less the umask), a replaced one keeps its own;
    a symlink is followed, so the file it points to is replaced, not the link."""
    from papershelf.storage import fsync_dir

    target = path.expanduser()
    if target.is_symlink():
        target = target.resolve()
    if target.is_dir():
        raise InputError(f"{path} is a directory", "give a file name, e.g. refs.bib")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode: int | None = target.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = None
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        # Not tempfile: its files are private (0600), and os.replace would keep that. Never
        # wider than the file it replaces, not even until the fchmod.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
        try:
            with os.fdopen(fd, "wb") as handle:
                if mode is not None:
                    os.fchmod(handle.fileno(), mode)  # exactly the old mode, whatever the umask
                write_pieces(handle, pieces)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        with contextlib.suppress(OSError):  # the file is in place; some file systems refuse
            fsync_dir(target.parent)
    except OSError as exc:
        raise PapershelfError(f"cannot write {path}: {exc.strerror or exc}",
                              "check the directory exists and is writable") from None


def write_pieces(out: IO[bytes], pieces: Iterable[str | bytes | memoryview]) -> None:
    """Write ``pieces`` to the binary stream ``out``, text as UTF-8."""
    for piece in pieces:
        out.write(piece.encode() if isinstance(piece, str) else piece)
