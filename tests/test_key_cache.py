"""The per-shard key cache: opening a library parses no shard it does not need, and
never trusts a key list written for another version of a shard's file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from papershelf import library as library_module
from papershelf.library import Library
from papershelf.model import Entry, Source
from papershelf.storage import JSONFileStorage


def _entries(n: int, prefix: str = "Paper") -> list[Entry]:
    return [Entry(title=f"{prefix} number {i} about things", abstract="An abstract.",
                  source=Source("f.txt")) for i in range(n)]


@pytest.fixture
def sharded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Library:
    monkeypatch.setattr(library_module, "SHARD_CAPACITY", 10)
    lib = Library(tmp_path / "lib")
    lib.add(_entries(35))  # four shards
    return lib


def _parsed_papers_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    original = JSONFileStorage.read

    def read(self: JSONFileStorage) -> object:
        if self._data is None and self.path.parent.name == "papers":
            parsed.append(self.path.name)
        return original(self)

    monkeypatch.setattr(JSONFileStorage, "read", read)
    return parsed


def test_reopening_parses_no_shard_and_a_tag_parses_one(sharded: Library,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _parsed_papers_files(monkeypatch)
    lib = Library(sharded.root)
    assert len(lib) == 35 and parsed == []
    key = sorted(lib.keys())[0]
    lib.tag([key], "x")
    assert len(parsed) == 1
    assert Library(sharded.root).get(key).tags == ("x",)


def test_changes_by_another_library_object_are_seen(sharded: Library) -> None:
    other = Library(sharded.root)
    removed = sorted(other.keys())[:3]
    other.remove(removed)
    other.add(_entries(4, "Fresh"))
    reopened = Library(sharded.root)
    assert sorted(reopened.keys()) == sorted(other.keys())
    assert not set(removed) & set(reopened.keys())
    assert sharded.refresh() and sorted(sharded.keys()) == sorted(other.keys())


def test_a_hand_edited_shard_is_parsed_again(sharded: Library) -> None:
    path = sharded.root / "papers" / "0002.json"
    data = json.loads(path.read_text())
    gone = sorted(data["papers"])[0]
    del data["papers"][gone]
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
    reopened = Library(sharded.root)
    assert gone not in reopened and len(reopened) == 34


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"stamp": 1}', b'{"stamp": [1], "keys": 2}'])
def test_a_damaged_or_stale_cache_is_ignored(sharded: Library, content: bytes) -> None:
    for path in (sharded.root / ".cache" / "keys").glob("*.json"):
        path.write_bytes(content)
    assert sorted(Library(sharded.root).keys()) == sorted(sharded.keys())


def test_no_cache_at_all(sharded: Library) -> None:
    import shutil

    shutil.rmtree(sharded.root / ".cache")
    assert len(Library(sharded.root)) == 35
    assert len(list((sharded.root / ".cache" / "keys").glob("*.json"))) == 4
