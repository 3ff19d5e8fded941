"""Exports are written piece by piece: the pieces join to the one-shot output."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papershelf.exporters import json_pieces, stream, write_file
from papershelf.exporters.markdown import to_markdown
from papershelf.importers.bibtex import parse_bibtex
from papershelf.library import Library
from papershelf.records import record_to_json, record_to_paper


@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_streamed_exports_equal_one_shot_exports(sample_library: Library, batch: int) -> None:
    papers = sample_library.papers()
    batches = list(sample_library.iter_papers(batch=batch))
    assert [p.key for b in batches for p in b] == [p.key for p in papers]
    assert "".join(stream(batches, "markdown")) == to_markdown(papers)
    expected_json = orjson.dumps([p.to_json() for p in papers], option=orjson.OPT_INDENT_2) + b"\n"
    assert b"".join(json_pieces([p.to_json() for p in b] for b in batches)) == expected_json
    assert b"".join(json_pieces(sample_library.iter_json(batch=batch))) == expected_json


def test_markdown_from_export_records_is_markdown_from_papers(tmp_path: Path) -> None:
    """The export writes Markdown from the stored records (ExportRecord), not from
    Paper objects: the same text, tags, notes, read state, authors and year included."""
    library = Library(tmp_path / "lib")
    fixtures = Path(__file__).parent / "fixtures"
    for name in ("zotero.bib", "scholar.bib", "strings-comments.bib"):
        library.add(parse_bibtex((fixtures / name).read_text(), name).entries)
    keys = library.keys()
    library.tag(keys[::2], "to-read")
    library.tag(keys[::3], "b_c*")
    library.set_read(keys[1::2])
    library.set_note(keys[0], "1. first *line*\n- second\n  # third <x> & y\n")
    papers = library.papers()
    assert any(p.authors and p.year and p.read and p.tags for p in papers)
    for batch in (1, 1000):
        streamed = "".join(stream(library.iter_export_records(batch=batch), "markdown"))
        assert streamed == to_markdown(papers)
        chosen = keys[1::3]
        assert "".join(stream(library.iter_export_records(chosen, batch=batch), "markdown")) \
            == to_markdown(library.papers(chosen))


def test_empty_exports() -> None:
    assert "".join(stream([], "markdown")) == "# Reading list\n\n"
    assert b"".join(json_pieces([])) == b"[]\n"


def test_walking_the_library_frees_each_shards_text(sample_library: Library) -> None:
    for _batch in sample_library.iter_papers():
        pass
    assert all(shard.texts_storage._data is None for shard in sample_library.shards)


@pytest.mark.parametrize("record, text", [
    ({"title": "T"}, None),  # the least a record holds
    ({"title": "T", "authors": [], "year": None, "sources": [{"file": "a.txt"}]}, {}),
    ({"title": "T", "authors": ["Ada Lovelace"], "year": "1843", "type": "article",
      "tags": ["x"], "read": True, "read_at": "2026-11-22T10:00:00+00:00", "note": "n",
      "links": ["https://a.example"], "added": "2026-11-22T09:00:00+00:00",
      "sources": [{"file": "b.bib", "listed": None}]},
     {"abstract": "A.", "fields": {"title": "{T}", "journal": "J"}}),
    ({"title": "T", "year": "2020"}, {"abstract": "A."}),
])
def test_record_to_json_is_the_papers_json(record: dict[str, Any], text: dict[str, Any] | None
                                           ) -> None:
    assert record_to_json("k", record, text) == record_to_paper("k", record, text).to_json()


def test_nulls_read_as_empty() -> None:
    record = {"title": "T", "links": None, "tags": None, "sources": None, "authors": None,
              "year": "2020", "type": "misc"}
    text = {"abstract": "A", "fields": None}
    data = record_to_json("k", record, text)
    assert (data["links"], data["tags"], data["sources"], data["authors"], data["fields"]) == \
        ([], [], [], [], {})
    assert record_to_paper("k", record, text).to_json() == data


def test_stream_refuses_a_format_it_does_not_write() -> None:
    for fmt in ("json", "bibtex"):
        with pytest.raises(ValueError, match=fmt):
            list(stream([], fmt))


def test_iter_json_is_every_papers_json(sample_library: Library) -> None:
    fixtures = Path(__file__).parent / "fixtures"
    sample_library.add(parse_bibtex((fixtures / "zotero.bib").read_text(), "zotero.bib").entries)
    keys = [p.key for p in sample_library.papers()]
    sample_library.tag(keys[:3], "thesis")
    sample_library.set_note(keys[-1], "see {this}")
    sample_library.set_read(keys[1:2])
    fresh = Library(sample_library.root)
    assert [d for b in fresh.iter_json() for d in b] == [p.to_json() for p in fresh.papers()]
    chosen = keys[::-5]
    assert [d for b in fresh.iter_json(chosen, batch=3) for d in b] == \
        [p.to_json() for p in fresh.papers(chosen)]


def test_an_export_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    import os

    umask = os.umask(0o022)
    try:
        new = tmp_path / "refs.bib"
        write_file(new, ["@misc{a,\n}\n", b"\n"])
        assert new.read_bytes() == b"@misc{a,\n}\n\n"
        assert new.stat().st_mode & 0o777 == 0o644  # not tempfile's private 0600
        new.chmod(0o640)
        write_file(new, ["again"])
        assert new.read_text() == "again" and new.stat().st_mode & 0o777 == 0o640
        assert [p.name for p in tmp_path.iterdir()] == ["refs.bib"]  # no temporary left
    finally:
        os.umask(umask)


def test_an_export_through_a_symlink_replaces_the_file_it_points_to(tmp_path: Path) -> None:
    import os

    real = tmp_path / "papers" / "refs.bib"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o4750)  # a set-user-id bit is not carried over to an export
    link = tmp_path / "refs.bib"
    link.symlink_to(real)
    write_file(link, ["new"])
    assert link.is_symlink() and real.read_text() == "new"
    assert os.stat(real).st_mode & 0o7777 == 0o750


def test_a_private_file_is_never_readable_by_others_while_replaced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import papershelf.exporters as exporters

    target = tmp_path / "notes.md"
    target.write_text("private")
    target.chmod(0o600)
    modes: list[int] = []
    real_open = os.open

    def spy(path: str, flags: int, mode: int = 0o777) -> int:
        if flags & os.O_CREAT:
            modes.append(mode)
        return real_open(path, flags, mode)

    monkeypatch.setattr(exporters.os, "open", spy)
    write_file(target, ["still private"])
    assert modes == [0o600] and target.stat().st_mode & 0o777 == 0o600


def test_a_failed_export_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    target.write_text("old")

    def pieces() -> Iterator[str]:
        yield "new"
        raise RuntimeError("rendering failed")

    with pytest.raises(RuntimeError):
        write_file(target, pieces())
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["refs.bib"]


def test_an_export_is_sent_on_to_the_disk_as_it_is_written(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """So that the fsync before the file replaces the old one waits for its last bytes
    only: every range of WRITE_BEHIND_BYTES written is advised away, in order, each
    once written out of Python's buffer; the file is whole however the pieces fall."""
    import papershelf.exporters as exporters

    advised: list[tuple[int, int, int]] = []

    def advise(fd: int, offset: int, length: int, advice: int) -> None:
        assert os.fstat(fd).st_size >= offset + length  # (flushed before asked)
        advised.append((offset, length, advice))

    monkeypatch.setattr(exporters, "WRITE_BEHIND_BYTES", 10)
    monkeypatch.setattr(os, "posix_fadvise", advise, raising=False)
    pieces = ["@misc{a,\n}\n", b"\n", memoryview(b"x" * 25), "\u00e9" * 3, b""]
    write_file(tmp_path / "refs.bib", pieces)
    data = (tmp_path / "refs.bib").read_bytes()
    assert data == b"@misc{a,\n}\n\n" + b"x" * 25 + "\u00e9\u00e9\u00e9".encode()
    assert advised == [(0, 11, os.POSIX_FADV_DONTNEED), (11, 26, os.POSIX_FADV_DONTNEED)]

    def refused(fd: int, offset: int, length: int, advice: int) -> None:
        advised.append((offset, length, advice))
        raise OSError(22, "Invalid argument")

    advised.clear()
    monkeypatch.setattr(os, "posix_fadvise", refused, raising=False)
    write_file(tmp_path / "refs.bib", pieces)  # asked once, then written as before
    assert (tmp_path / "refs.bib").read_bytes() == data and len(advised) == 1


def test_an_export_removes_what_killed_exports_of_its_file_left(tmp_path: Path) -> None:
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(gone.stdout)
    target = tmp_path / "refs[1].bib"
    killed = tmp_path / f".refs[1].bib.{dead}.0a1b2c3d.tmp"  # a SIGTERM or SIGKILL midway
    # No process has such a number (os.kill raised OverflowError: the export failed).
    huge = tmp_path / ".refs[1].bib.99999999999999999999.tmp"
    huge.write_text("torn")
    living = tmp_path / f".refs[1].bib.{os.getppid()}.4e5f6a7b.tmp"  # an export under way
    kept = [tmp_path / f".other.bib.{dead}.0a1b2c3d.tmp", tmp_path / ".refs[1].bib.mine.tmp"]
    for leftover in (killed, living, *kept):
        leftover.write_text("torn")
    write_file(target, ["new"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (target, living, *kept))


def test_an_export_into_a_named_pipe_writes_into_the_pipe(tmp_path: Path) -> None:
    """A temporary file renamed over the path would replace the pipe (its reader then
    waits for good) instead of writing into it."""
    import os
    import stat
    import threading

    fifo = tmp_path / "refs.fifo"
    os.mkfifo(fifo)
    read: list[bytes] = []
    # A daemon: if the pipe were replaced, the reader would wait for good.
    reader = threading.Thread(target=lambda: read.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_file(fifo, ["@misc{a,\n}\n", b"\n"])
    reader.join(10)
    assert read == [b"@misc{a,\n}\n\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode) and [p.name for p in tmp_path.iterdir()] == ["refs.fifo"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mknod needs root")
def test_an_export_into_a_device_keeps_the_device(tmp_path: Path) -> None:
    """``-o /dev/null`` must not replace /dev/null by a file (as root, it could):
    shown on a device of its own, made like /dev/null."""
    import stat

    device = tmp_path / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    write_file(device, ["@misc{a,\n}\n"])
    assert stat.S_ISCHR(device.stat().st_mode) and [p.name for p in tmp_path.iterdir()] == ["null"]


def test_a_directory_or_an_unreachable_path_is_a_clear_error(tmp_path: Path) -> None:
    from papershelf.errors import PapershelfError

    with pytest.raises(PapershelfError, match="is a directory"):
        write_file(tmp_path, ["x"])
    (tmp_path / "file").write_text("x")
    with pytest.raises(PapershelfError, match=r"cannot write .*Not a directory"):
        write_file(tmp_path / "file" / "refs.bib", ["x"])


@pytest.mark.skipif(not Path("/proc/version").is_file(), reason="no /proc")
def test_a_directory_that_takes_no_new_file_is_named() -> None:
    """The export is written beside the file first: /proc refuses that file with
    "No such file or directory", which of /proc/version, there, misled."""
    from papershelf.errors import PapershelfError

    with pytest.raises(PapershelfError) as failure:
        write_file(Path("/proc/version"), ["x"])
    assert str(failure.value).startswith(
        "cannot write /proc/version: /proc takes no new file (No such file or directory)")


def test_a_named_pipe_with_no_reader_is_an_error_when_not_waiting(tmp_path: Path) -> None:
    """The TUI's export must not hang (and keep the app from quitting) on a named pipe
    nobody reads; the command line waits for a reader, as the shell does."""
    import time

    from papershelf.errors import PapershelfError

    fifo = tmp_path / "refs.fifo"
    os.mkfifo(fifo)
    start = time.monotonic()
    with pytest.raises(PapershelfError, match="no program is reading"):
        write_file(fifo, ["@misc{a,\n}\n"], wait_for_reader=False)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize(("name", "fd"), [("/dev/stdout", 1), ("/dev/stderr", 2), ("/dev/fd/7", 7),
                                          ("/proc/self/fd/12", 12), ("/dev/null", None),
                                          ("/dev/fd/x", None), ("refs.bib", None)])
def test_paths_that_name_a_descriptor(name: str, fd: int | None) -> None:
    from papershelf.exporters import descriptor_of

    assert descriptor_of(Path(name)) == fd


def test_an_export_through_a_descriptor_path_writes_to_that_descriptor(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with open(target, "ab") as handle:
        handle.write(b"kept\n")
        handle.flush()
        write_file(Path(f"/dev/fd/{handle.fileno()}"), ["@misc{a,\n}\n"])
    assert target.read_text() == "kept\n@misc{a,\n}\n"


def test_markdown_shows_text_that_looks_like_markdown_as_written() -> None:
    from papershelf.model import Paper

    markdown_it = pytest.importorskip("markdown_it")
    abstract = "1. We list things - like * this [x](y) # not a heading"
    note = "- not a list\n2) nor this\n---\n+ plus\n==="
    html = markdown_it.MarkdownIt().render(to_markdown([Paper(key="k", title="2.5 Years",
                                                               abstract=abstract, note=note)]))
    assert "<ol" not in html and "<li>not" not in html and "<hr" not in html
    assert html.count("<h2>") == 1 and "<h2>2.5 Years</h2>" in html
    assert "<p>1. We list things - like * this [x](y) # not a heading</p>" in html
    assert "- not a list<br />\n2) nor this<br />\n---<br />\n+ plus<br />\n===" in html


def test_markdown_shows_entities_and_tildes_as_written() -> None:
    from papershelf.model import Paper

    markdown_it = pytest.importorskip("markdown_it")
    text = "AT&amp;T &lt;b&gt; ~~not struck~~"
    html = markdown_it.MarkdownIt().enable("strikethrough").render(
        to_markdown([Paper(key="k", title=text, abstract=text, note=text)]))
    assert html.count("AT&amp;amp;T &amp;lt;b&amp;gt; ~~not struck~~") == 3
    assert "<s>" not in html


def test_markdown_keeps_a_note_s_line_breaks() -> None:
    from papershelf.model import Paper

    markdown_it = pytest.importorskip("markdown_it")
    note = "first idea\nsecond idea \\\n\n    indented\nlast"
    html = markdown_it.MarkdownIt().render(to_markdown([Paper(key="k", title="T", note=note)]))
    assert "<blockquote>\n<p>first idea<br />\nsecond idea \\</p>\n" \
        "<p>indented<br />\nlast</p>\n</blockquote>" in html


def test_authors_are_told_apart_in_markdown_and_the_detail_pane(tmp_path: Path) -> None:
    """Names are stored "Last, First": a comma cannot also separate them."""
    from papershelf.tui.widgets.paper_detail import describe

    lib = Library(tmp_path / "lib")
    lib.add(parse_bibtex("@article{x, title={Two Authors}, author={Doe, Jane and Roe, Richard}}",
                         "x.bib").entries)
    (paper,) = lib.papers()
    assert "- authors: Doe, Jane; Roe, Richard\n" in to_markdown([paper])
    assert "by     Doe, Jane; Roe, Richard\n" in describe(paper).plain


@given(st.text(st.sampled_from(" \n\t-+=1.)a#*\\_&~`é"), max_size=16))
@settings(max_examples=400, deadline=None)
def test_markdown_escapes_as_its_regular_expressions_did(text: str) -> None:
    """The escaping is a translation table and a look at each line's start now (six
    times faster); it escapes what the regular expressions it replaced escaped."""
    import re

    from papershelf.exporters.markdown import escape

    special = re.sub(r"([\\`*_{}\[\]<>#|!&~])", r"\\\1", text)
    dashes = re.sub(r"^(\s*)([-+=])", r"\1\\\2", special, flags=re.MULTILINE)
    assert escape(text) == re.sub(r"^(\s*\d+)([.)])", r"\1\\\2", dashes, flags=re.MULTILINE)


@pytest.mark.parametrize("value", ["to-read", {"a": 1}, 5, None])
def test_a_list_field_left_otherwise_by_hand_reads_as_empty_not_as_letters(value: object) -> None:
    from papershelf.records import ExportRecord, record_to_paper

    record = {"title": "T", "tags": value, "links": value, "authors": value}
    for paper in (record_to_paper("k", record, None), ExportRecord("k", record, None)):
        assert (tuple(paper.tags), tuple(paper.links), tuple(paper.authors)) == ((), (), ())
    listed = {"title": "T", "tags": ["a"], "links": ["u"], "authors": ["A. B"]}
    paper = record_to_paper("k", listed, None)
    assert (paper.tags, paper.links, paper.authors) == (("a",), ("u",), ("A. B",))
