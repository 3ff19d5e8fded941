"""The BibTeX export cache: the same text as rendering afresh, whatever changed since."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from papershelf import forked
from papershelf.exporters import bibtex, bibtex_cache
from papershelf.exporters.bibtex import to_bibtex
from papershelf.exporters.bibtex_cache import bibtex_pieces
from papershelf.library import Library
from papershelf.model import Paper


@pytest.fixture(autouse=True)
def one_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render in this process, where the spies below see it (tests/test_forked.py
    covers rendering on several cores)."""
    monkeypatch.setattr(forked, "MAX_WORKERS", 1)


def _export(lib: Library, keys: list[str] | None = None) -> str:
    return b"".join(bibtex_pieces(Library(lib.root), keys)).decode()


def _rendered(lib: Library, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Export everything; return the numbers of the shards whose papers were rendered."""
    keys: list[str] = []
    real = bibtex.render_entry

    def spy(paper: Paper) -> str:
        keys.append(paper.key)
        return real(paper)

    monkeypatch.setattr(bibtex, "render_entry", spy)
    text = _export(lib)
    monkeypatch.setattr(bibtex, "render_entry", real)
    fresh = Library(lib.root)
    assert text == to_bibtex(fresh.papers())
    return sorted({fresh.shard_of(key).number for key in keys})


def test_cached_export_is_the_fresh_rendering(sharded: Library) -> None:
    fresh = to_bibtex(sharded.papers())
    assert _export(sharded) == fresh  # renders and caches
    assert len(list((sharded.cache_dir / "bibtex").glob("*.bib"))) == 4
    assert _export(sharded) == fresh  # from the cache
    keys = [p.key for p in sharded.papers()][::-7]  # any order, across shards
    assert _export(sharded, keys) == to_bibtex(sharded.papers(keys))


def test_only_changed_shards_are_rendered_again(sharded: Library,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert _rendered(sharded, monkeypatch) == [1, 2, 3, 4]
    assert _rendered(sharded, monkeypatch) == []
    papers = sharded.papers()
    first, last = papers[0].key, papers[-1].key
    sharded.tag([first], "thesis")
    sharded.set_note(last, "read {this} & that}")
    assert _rendered(sharded, monkeypatch) == [sharded.shard_of(first).number,
                                                sharded.shard_of(last).number]
    text = _export(sharded)
    assert "keywords = {thesis}" in text
    assert r"annote = {read \textbraceleft{}this\textbraceright{} \& that\textbraceright{}}" in text
    sharded.remove([first])
    assert first not in _export(sharded)


def _damage(path: Path, how: Callable[[bytes, dict[str, Any], bytes], bytes]) -> None:
    """Rewrite the cache file at ``path`` as ``how(whole file, header, body)``."""
    whole = path.read_bytes()
    line, body = whole.split(b"\n", 1)
    path.write_bytes(how(whole, orjson.loads(line[2:]), body))


def _with(head: dict[str, Any], body: bytes, **changed: object) -> bytes:
    return b"% " + orjson.dumps({**head, **changed}) + b"\n" + body


def test_a_damaged_or_foreign_cache_is_a_miss(sharded: Library,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _export(sharded)
    cache = sharded.cache_dir / "bibtex"
    _damage(cache / "0001.bib", lambda whole, head, body: whole[:30])  # cut in the header
    _damage(cache / "0002.bib", lambda whole, head, body: whole[:-1])  # one byte short
    _damage(cache / "0003.bib", lambda whole, head, body: whole + b"}")  # a longer write's tail
    _damage(cache / "0004.bib", lambda whole, head, body: _with(head, body, sizes=[*head["sizes"], 1]))
    assert _rendered(sharded, monkeypatch) == [1, 2, 3, 4]
    assert _rendered(sharded, monkeypatch) == []
    _damage(cache / "0001.bib", lambda whole, head, body: _with(
        head, body, sizes=[float(n) for n in head["sizes"]]))
    _damage(cache / "0002.bib", lambda whole, head, body: _with(
        head, body, sizes=[str(n) for n in head["sizes"]]))
    _damage(cache / "0003.bib", lambda whole, head, body: _with(head, body, keys=[*head["keys"], "x"]))
    _damage(cache / "0004.bib", lambda whole, head, body: _with(head, body, code="other code"))
    assert _rendered(sharded, monkeypatch) == [1, 2, 3, 4]
    _damage(cache / "0001.bib", lambda whole, head, body: _with(head, body, keys=None))
    _damage(cache / "0002.bib", lambda whole, head, body: _with(  # the same total, split wrong
        head, body, sizes=[head["sizes"][0] + 3, head["sizes"][1] - 3, *head["sizes"][2:]]))
    _damage(cache / "0003.bib", lambda whole, head, body: _with(
        head, body, keys=[[key] for key in head["keys"]]))
    _damage(cache / "0004.bib", lambda whole, head, body: _with(  # no blank line between two
        head, body.replace(b"\n\n@", b"\n@", 1), sizes=[head["sizes"][0] - 1, *head["sizes"][1:]]))
    keys = [p.key for p in sharded.papers()]
    assert _export(sharded, keys) == to_bibtex(sharded.papers(keys))
    assert _rendered(sharded, monkeypatch) == []  # each damaged file was rendered again
    monkeypatch.setattr(bibtex_cache, "code_checksum", lambda: "other code")
    assert _rendered(sharded, monkeypatch) == [1, 2, 3, 4]


@pytest.mark.parametrize("altered", [
    lambda body: b"%" + body[1:],  # an entry not starting with @
    lambda body: body.replace(b"}\n\n@", b"}\nX@", 1),  # entries not apart
    lambda body: body.replace(b"}\n\n@", b"}X\n@", 1),  # an entry not ending its line
])
def test_a_cache_of_the_right_length_but_other_bytes_is_a_miss(
        sharded: Library, monkeypatch: pytest.MonkeyPatch, altered: Callable[[bytes], bytes]) -> None:
    _export(sharded)
    _damage(sharded.cache_dir / "bibtex" / "0002.bib",
            lambda whole, head, body: _with(head, altered(body)))
    assert _rendered(sharded, monkeypatch) == [2]


def test_a_cache_naming_other_keys_is_rendered_again(sharded: Library) -> None:
    _export(sharded)
    for path in (sharded.cache_dir / "bibtex").glob("*.bib"):
        _damage(path, lambda whole, head, body: _with(head, body, keys=["x" + k for k in head["keys"]]))
    keys = [p.key for p in sharded.papers()][::-3]
    assert _export(sharded, keys) == to_bibtex(sharded.papers(keys))


def test_the_old_cache_format_is_removed(sharded: Library) -> None:
    cache = sharded.cache_dir / "bibtex"
    cache.mkdir(parents=True)
    (cache / "0002.json").write_text('{"stamp": [], "entries": {}}')
    _export(sharded)
    assert sorted(p.name for p in cache.iterdir()) == [f"000{n}.bib" for n in (1, 2, 3, 4)]


def test_a_cache_file_is_a_bibtex_file_of_its_shard(sharded: Library) -> None:
    import bibtexparser

    _export(sharded)
    parsed = [bibtexparser.parse_string(path.read_text())
              for path in sorted((sharded.cache_dir / "bibtex").glob("*.bib"))]
    assert [e.key for lib in parsed for e in lib.entries] == [p.key for p in sharded.papers()]
    assert not any(lib.failed_blocks for lib in parsed)


def test_a_change_to_the_texts_file_alone_is_seen(sharded: Library) -> None:
    _export(sharded)
    path = sharded.root / "texts" / "0002.json"
    data = path.read_text()
    key = next(iter(orjson.loads(data)["texts"]))
    abstract = orjson.loads(data)["texts"][key]["abstract"]
    changed = abstract.replace(abstract[:8], "ZZZZZZZZ", 1)
    assert len(changed) == len(abstract) and changed != abstract
    path.write_text(data.replace(orjson.dumps(abstract).decode(), orjson.dumps(changed).decode(), 1))
    assert "ZZZZZZZZ" in _export(sharded)
    assert _export(sharded) == to_bibtex(Library(sharded.root).papers())


def test_entries_rendered_while_another_process_writes_are_not_cached(
        sharded: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    other = Library(sharded.root)
    victim = sharded.papers()[0].key
    real = bibtex.render_entry

    def render_while_tagging(paper: Paper) -> str:
        if not other.record(victim).get("tags"):
            other.tag([victim], "meanwhile")  # lands after the shard was read
        return real(paper)

    monkeypatch.setattr(bibtex, "render_entry", render_while_tagging)
    b"".join(bibtex_pieces(Library(sharded.root), [victim]))
    monkeypatch.setattr(bibtex, "render_entry", real)
    number = sharded.shard_of(victim).number
    assert not (sharded.cache_dir / "bibtex" / f"{number:04d}.bib").exists()
    assert "keywords = {meanwhile}" in _export(sharded, [victim])


def test_code_checksum_names_all_the_code_but_the_tui(tmp_path: Path) -> None:
    package = tmp_path / "papershelf"
    shutil.copytree(bibtex_cache.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    code = bibtex_cache.code_checksum(package)
    assert code is not None and code == bibtex_cache.code_checksum(package)
    with (package / "tui" / "app.py").open("a") as handle:
        handle.write("# the TUI does not render entries\n")
    assert bibtex_cache.code_checksum(package) == code
    with (package / "importers" / "pages.py").open("a") as handle:
        handle.write("# links of .bib entries are cleaned here\n")
    assert bibtex_cache.code_checksum(package) != code


@pytest.mark.parametrize("library", ["bibtexparser", "pylatexenc", "anyascii"])
def test_code_checksum_follows_a_reinstall_of_a_rendering_library(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, library: str) -> None:
    """Each of them decides what an entry looks like (anyascii spells CJK and emoji in
    ASCII): a new version must not be served entries the old one rendered."""
    import importlib.util
    from types import SimpleNamespace

    installed = tmp_path / f"{library}.py"
    installed.write_text("# version 1\n")
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: SimpleNamespace(
        origin=str(installed)) if name == library else find_spec(name))
    code = bibtex_cache.code_checksum()
    assert code is not None and code == bibtex_cache.code_checksum()
    installed.unlink()
    installed.write_text("# version 2, longer\n")
    assert bibtex_cache.code_checksum() != code


def test_export_works_without_a_writable_cache(sharded: Library) -> None:
    fresh = _export(sharded)
    cache = sharded.cache_dir / "bibtex"
    for path in cache.iterdir():
        path.unlink()
    cache.rmdir()
    cache.write_text("not a directory")  # nothing can be cached there
    assert _export(sharded) == fresh


def test_papers_deleted_by_another_process_are_left_out(sharded: Library) -> None:
    keys = [p.key for p in sharded.papers()][:5]
    Library(sharded.root).remove(keys[1:2])  # after this library object chose the keys
    text = b"".join(bibtex_pieces(sharded, keys)).decode()
    assert text == to_bibtex(Library(sharded.root).papers([keys[0], *keys[2:]]))


def test_a_cache_write_cut_short_leaves_no_file(sharded: Library,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk: the half-written file would keep a header that still matches."""
    real = Path.write_bytes

    def disk_full(path: Path, data: Any) -> int:
        real(path, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    assert _export(sharded) == to_bibtex(sharded.papers())
    assert not list((sharded.cache_dir / "bibtex").glob("*.bib"))
