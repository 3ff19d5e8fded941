"""The export cache: a shard's rendered entries are reused until its files change or
the code that renders them does."""

from __future__ import annotations

from pathlib import Path

import pytest

from papershelf import library as library_module
from papershelf.exporters import bibtex_entry, bibtex_version
from papershelf.exporters.bibtex import to_bibtex
from papershelf.library import Library
from papershelf.model import Entry, Paper, Source


@pytest.fixture
def sharded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Library:
    monkeypatch.setattr(library_module, "SHARD_CAPACITY", 10)
    lib = Library(tmp_path / "lib")
    lib.add([Entry(title=f"Paper {i} on CLIP & co", abstract=f"Abstract {i} -- with 50% more.",
                   source=Source("f.txt")) for i in range(25)])
    return lib


def joined(library: Library, *args: object) -> bytes:
    return b"\n".join(library.rendered(*args))  # type: ignore[arg-type]


class Counting:
    def __init__(self) -> None:
        self.keys: list[str] = []

    def __call__(self, paper: Paper) -> str:
        self.keys.append(paper.key)
        return bibtex_entry(paper)


def test_cached_entries_are_what_the_exporter_writes(sharded: Library) -> None:
    render = Counting()
    first = joined(sharded, "bibtex", "v1", render)
    assert len(render.keys) == 25
    again = joined(Library(sharded.root), "bibtex", "v1", render)
    assert len(render.keys) == 25  # all from the cache
    assert again == first
    assert again.decode() == to_bibtex(sharded.papers())


def test_a_change_re_renders_only_its_shard(sharded: Library) -> None:
    joined(sharded, "bibtex", "v1", bibtex_entry)
    key = sharded.papers()[12].key
    sharded.tag([key], "vlp")
    sharded.set_note(key, "see {this}")
    render = Counting()
    text = joined(sharded, "bibtex", "v1", render).decode()
    assert len(render.keys) == 10 and key in render.keys
    assert text == to_bibtex(sharded.papers())
    assert "keywords = {vlp}" in to_bibtex(sharded.papers([key]))
    assert to_bibtex(sharded.papers([key])) in text


def test_another_version_re_renders(sharded: Library) -> None:
    sharded.rendered("bibtex", "v1", bibtex_entry)
    render = Counting()
    sharded.rendered("bibtex", "v2", render)
    assert len(render.keys) == 25


def test_chosen_keys_come_in_the_order_given(sharded: Library) -> None:
    keys = [p.key for p in sharded.papers()][::-3]
    for _ in range(2):  # rendered, then from the cache
        assert joined(sharded, "bibtex", "v1", bibtex_entry, keys).decode() == \
            to_bibtex(sharded.papers(keys))
    assert sharded.rendered("bibtex", "v1", bibtex_entry, []) == []


def test_a_torn_cache_file_is_ignored(sharded: Library) -> None:
    expected = joined(sharded, "bibtex", "v1", bibtex_entry)
    for path in (sharded.root / ".cache" / "bibtex").glob("*.bin"):
        path.write_bytes(path.read_bytes()[:-7])
    render = Counting()
    assert joined(Library(sharded.root), "bibtex", "v1", render) == expected
    assert len(render.keys) == 25


@pytest.mark.parametrize("content", [b"", b"[]\n", b'{"stamp": 1}\nx',
                                     b'{"stamp": [], "version": "v1", "ends": 3}\n'])
def test_a_damaged_cache_is_ignored(sharded: Library, content: bytes) -> None:
    expected = joined(sharded, "bibtex", "v1", bibtex_entry)
    for path in (sharded.root / ".cache" / "bibtex").glob("*.bin"):
        path.write_bytes(content)
    assert joined(Library(sharded.root), "bibtex", "v1", bibtex_entry) == expected


def test_the_version_follows_the_code() -> None:
    version = bibtex_version()
    assert version and version == bibtex_version()


def test_json_export_from_the_cache_is_orjsons_document(sharded: Library) -> None:
    import io

    import orjson

    from papershelf.cli import _export_parts, _write_parts

    expected = orjson.dumps([p.to_json() for p in sharded.papers()], option=orjson.OPT_INDENT_2) + b"\n"
    for keys in (None, None, [p.key for p in sharded.papers()][3:20:4], []):
        out = io.BytesIO()
        _write_parts(out, *_export_parts(sharded, keys, "json"))
        papers = sharded.papers(keys)
        assert out.getvalue() == orjson.dumps([p.to_json() for p in papers],
                                              option=orjson.OPT_INDENT_2) + b"\n"
    assert expected.startswith(b"[\n  {")
