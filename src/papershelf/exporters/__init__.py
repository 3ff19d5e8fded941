"""Exporters: papers to BibTeX, Markdown and JSON.

Each is written piece by piece (:func:`stream` for Markdown, :func:`json_pieces`,
:func:`~papershelf.exporters.bibtex_cache.bibtex_pieces`), so an export of a whole
library never holds it in memory twice.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from papershelf.errors import InputError, PapershelfError

if TYPE_CHECKING:
    from papershelf.library import Library
    from papershelf.model import Paper
    from papershelf.records import ExportRecord
    from papershelf.shard import Shard

FORMATS = ("bibtex", "markdown", "json")
T = TypeVar("T")


def joined(pieces: Iterable[T], separator: T) -> Iterator[T]:
    """``pieces`` with ``separator`` between each two, lazily: what ``separator.join``
    gives, without holding them all (or copying one to join it to the separator)."""
    first = True
    for piece in pieces:
        if not first:
            yield separator
        yield piece
        first = False


def stream(batches: Iterable[Sequence[Paper | ExportRecord]], fmt: str) -> Iterator[str | bytes]:
    """The export of ``batches`` of papers in format ``fmt`` (``markdown``; BibTeX is
    :func:`~papershelf.exporters.bibtex_cache.bibtex_pieces`, JSON :func:`json_pieces`),
    in pieces to write out in order. Joined, the pieces are what exporting all the
    papers at once would give."""
    if fmt != "markdown":
        raise ValueError(f"stream() writes markdown, not {fmt!r}")
    from papershelf.exporters.markdown import paper_to_markdown

    return _markdown_document(map(paper_to_markdown, chain.from_iterable(batches)))


def library_markdown(library: Library) -> Iterator[str | bytes]:
    """The Markdown export of every paper of ``library``: what :func:`stream` gives for
    them all, the same bytes, with each shard rendered on every core
    (:func:`~papershelf.forked.on_every_core`): a second of CPU at 100,000 papers.
    (The JSON export is not rendered so: its rendering is quicker than sending it back
    from workers.)"""
    from papershelf.forked import on_every_core

    return _markdown_document(on_every_core(_shard_markdown, library.shards))


def _shard_markdown(shard: Shard) -> bytes:
    """The sections of every paper of ``shard``, in order (a worker sends them back as
    bytes: one copy each way through the pipe)."""
    from papershelf.exporters.markdown import paper_to_markdown
    from papershelf.records import ExportRecord, shard_papers

    return "\n".join(map(paper_to_markdown, shard_papers(shard, ExportRecord))).encode()


def _markdown_document(sections: Iterable[str | bytes]) -> Iterator[str | bytes]:
    """The Markdown export holding ``sections`` (papers' sections, or runs of them)."""
    from papershelf.exporters.markdown import MARKDOWN_TITLE

    yield f"# {MARKDOWN_TITLE}\n\n"
    yield from joined((section for section in sections if section), "\n")


def json_pieces(batches: Iterable[list[dict[str, Any]]]) -> Iterator[bytes]:
    """The JSON export (a list, indented by two) of ``batches`` of papers' JSON
    (:meth:`Paper.to_json` or :meth:`Library.iter_json`), as UTF-8 pieces to write out in
    order: joined, the dump of all of them at once."""
    import orjson

    # A batch dumped as a list, without its brackets, is its elements indented as they
    # are inside the whole list.
    elements = joined((orjson.dumps(batch, option=orjson.OPT_INDENT_2)[2:-2]
                       for batch in batches if batch), b",\n")
    first = next(elements, None)
    if first is None:
        yield b"[]\n"
        return
    yield b"[\n"
    yield first
    yield from elements
    yield b"\n]\n"


#: What each format is called in messages.
FORMAT_NAMES = {"bibtex": "BibTeX", "json": "JSON", "markdown": "Markdown"}


def write_file(path: Path, pieces: Iterable[str | bytes | memoryview], *,
               wait_for_reader: bool = True) -> None:
    """Write ``pieces`` (text, or UTF-8 bytes) to ``path`` atomically and durably: a
    crash or an error leaves the old file (or none), never a half-written export. A new
    file gets the usual permissions (0666 less the umask), a replaced one keeps its own;
    a symlink is followed, so the file it points to is replaced, not the link.

    A path that is not a regular file (``/dev/null``, a named pipe) is written into as
    it is, and one naming an open descriptor (``/dev/stdout``, ``/dev/fd/N``) through
    that descriptor, as the shell's ``>``/``>>`` opened it. A named pipe with no reader
    waits for one, as the shell does, unless not ``wait_for_reader`` (then it is an
    error)."""
    from papershelf.storage import fsync_dir, remove_dead_temporaries

    target = path  # a ~ in it expanded by the caller (papershelf.paths.file_path)
    descriptor = descriptor_of(target)
    if descriptor is not None:
        _write_into(target, pieces, lambda: os.dup(descriptor))
        return
    try:
        kind = stat.S_IFMT(target.stat().st_mode)
    except FileNotFoundError:
        kind = stat.S_IFREG
    except OSError as exc:
        raise PapershelfError(f"cannot write {path}: {exc.strerror or exc}",
                              "check the directory exists and is writable") from None
    if kind == stat.S_IFDIR:
        raise InputError(f"{path} is a directory", "give a file name, e.g. refs.bib")
    if kind == stat.S_IFIFO and not wait_for_reader:
        _write_into(target, pieces, lambda: _open_pipe_with_reader(target))
        return
    if kind != stat.S_IFREG:  # /dev/null, a named pipe: write into it
        _write_into(target, pieces, lambda: os.open(target, os.O_WRONLY))
        return
    if target.is_symlink():
        target = target.resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode: int | None = target.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = None
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        # Not tempfile: its files are private (0600), and os.replace would keep that. Never
        # wider than the file it replaces, not even until the fchmod.
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         0o666 if mode is None else mode)
        except OSError as exc:  # said as it is: "No such file" of a file that exists misled
            raise PapershelfError(
                f"cannot write {path}: {target.parent} takes no new file ({exc.strerror or exc})",
                "an export is written beside the file, then moved over it") from None
        try:
            with os.fdopen(fd, "wb") as handle:
                if mode is not None:
                    os.fchmod(handle.fileno(), mode)  # exactly the old mode, whatever the umask
                write_pieces(handle, pieces, write_behind=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        with contextlib.suppress(OSError):  # the file is in place; some file systems refuse
            fsync_dir(target.parent)
        remove_dead_temporaries(target)  # what exports killed midway (a closed terminal) left
    except OSError as exc:
        raise PapershelfError(f"cannot write {path}: {exc.strerror or exc}",
                              "check the directory exists and is writable") from None


#: Paths that name a descriptor of this process rather than a file.
_DESCRIPTOR_PATH = re.compile(r"/dev/std(out|err)|/dev/fd/(\d+)|/proc/self/fd/(\d+)")


def descriptor_of(path: Path) -> int | None:
    """The open descriptor ``path`` names (``/dev/stdout`` is 1, ``/dev/fd/N`` is N),
    if any. Through the descriptor, ``>>`` appends; replacing or reopening the path
    would replace the shell's file or empty it."""
    match = _DESCRIPTOR_PATH.fullmatch(str(path))
    if match is None:
        return None
    stream, fd, proc_fd = match.groups()
    return {"out": 1, "err": 2}[stream] if stream else int(fd or proc_fd)


def _open_pipe_with_reader(path: Path) -> int:
    """A named pipe opened for writing, if a program reads it: no reader is an error
    here, not a wait (an app would hang on it, and could not quit)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise PapershelfError(f"no program is reading {path}",
                                  "start the reader first, or export to a file") from None
        raise
    os.set_blocking(fd, True)
    return fd


def _write_into(target: Path, pieces: Iterable[str | bytes | memoryview],
                opened: Callable[[], int]) -> None:
    """Write ``pieces`` into the descriptor ``opened()`` gives, for a file that is not
    a regular one (a device, a pipe, the standard output): a temporary file renamed
    over it would replace it. A pipe whose reader went away raises
    ``BrokenPipeError``, as standard output does."""
    try:
        with os.fdopen(opened(), "wb") as handle:
            write_pieces(handle, pieces)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise PapershelfError(f"cannot write {target}: {exc.strerror or exc}",
                              "check the file is writable") from None


def write_pieces(out: IO[bytes], pieces: Iterable[str | bytes | memoryview], *,
                 write_behind: bool = False) -> None:
    """Write ``pieces`` to the binary stream ``out``, text as UTF-8. With
    ``write_behind`` (``out`` a regular file), its data is sent on to the disk as it goes
    (:data:`WRITE_BEHIND_BYTES`): ``POSIX_FADV_DONTNEED`` starts the writing of dirty
    pages without waiting for it (Linux; it drops only pages already written, and a page
    being written stays), as the ``sync_file_range`` Python lacks would."""
    fadvise = getattr(os, "posix_fadvise", None) if write_behind else None
    written = sent = 0
    for piece in pieces:
        data = piece.encode() if isinstance(piece, str) else piece
        out.write(data)
        if fadvise is None:
            continue
        written += data.nbytes if isinstance(data, memoryview) else len(data)
        if written - sent >= WRITE_BEHIND_BYTES:
            out.flush()
            try:
                fadvise(out.fileno(), sent, written - sent, os.POSIX_FADV_DONTNEED)
            except OSError:  # (a file system that takes no advice: the fsync does it all)
                fadvise = None
            sent = written


#: While an export's file is written, the system is asked to start writing each of this
#: many bytes to disk, so that the fsync before the file replaces the old one waits for
#: the last few only: 166 MB written in pieces over 1.3 s (a first export of 100,000
#: papers) took 48 ms to fsync at the end, 3 ms so (and 7 ms of asking on the way).
WRITE_BEHIND_BYTES = 8 << 20
