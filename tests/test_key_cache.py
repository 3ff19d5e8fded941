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


def _key_caches(lib: Library) -> list[Path]:
    return sorted((lib.root / ".cache" / "keys").glob("*.keys"))


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"stamp": 1}', b'{"stamp": [1], "keys": 2}',
                                     b"\n", b"{}\nkey"])
def test_a_damaged_or_stale_cache_is_ignored(sharded: Library, content: bytes) -> None:
    assert len(_key_caches(sharded)) == 4
    for path in _key_caches(sharded):
        path.write_bytes(content)
    assert sorted(Library(sharded.root).keys()) == sorted(sharded.keys())


@pytest.mark.parametrize("cut", [1, 3, 12])
def test_a_cache_cut_short_is_not_taken_for_fewer_keys(sharded: Library, cut: int) -> None:
    """A cache is written in place: a write cut short, even within the last key or at a
    line's end, is a miss, not a shorter list."""
    assert len(_key_caches(sharded)) == 4
    for path in _key_caches(sharded):
        path.write_bytes(path.read_bytes()[:-cut])
    assert sorted(Library(sharded.root).keys()) == sorted(sharded.keys())


def test_another_files_cache_is_not_used(sharded: Library) -> None:
    first, second = _key_caches(sharded)[:2]
    first.write_bytes(second.read_bytes())  # whole, but written for another file
    assert sorted(Library(sharded.root).keys()) == sorted(sharded.keys())


def test_a_key_with_a_line_break_is_read_from_its_shard(sharded: Library,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A hand edit may leave a key the lines of the cache cannot hold: its shard is
    not cached, and read every time. (Such a key put in by hand is refused now, as
    BibTeX cannot read it: the check is off here, for the cache.)"""
    from papershelf import records

    monkeypatch.setattr(records, "_unreadable_key", lambda keys: None)
    path = sharded.root / "papers" / "0002.json"
    data = json.loads(path.read_text())
    key = sorted(data["papers"])[0]
    data["papers"]["two\nlines"] = data["papers"].pop(key)
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
    for _ in range(2):
        lib = Library(sharded.root)
        assert "two\nlines" in lib and key not in lib and len(lib) == 35
    assert [p.name for p in _key_caches(lib)] == ["0001.keys", "0003.keys", "0004.keys"]


def test_keys_with_other_line_ends_come_back_from_the_cache(sharded: Library,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a line feed ends a line of the cache: a carriage return, a Unicode line
    separator or an empty key (not alone) are kept as they are. (Such keys put in by hand
    are refused now, as BibTeX cannot read them: the check is off here, for the cache.)"""
    from papershelf import records

    monkeypatch.setattr(records, "_unreadable_key", lambda keys: None)
    path = sharded.root / "papers" / "0003.json"
    data = json.loads(path.read_text())
    odd = ["cr\rkey", "ls\u2028key", "nel\x85key", ""]
    for old, new in zip(sorted(data["papers"]), odd, strict=False):
        data["papers"][new] = data["papers"].pop(old)
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
    first = Library(sharded.root)
    assert "0003.keys" in [p.name for p in _key_caches(first)]
    parsed = _parsed_papers_files(monkeypatch)
    reopened = Library(sharded.root)
    assert parsed == []  # from the cache
    assert sorted(reopened.keys()) == sorted(first.keys()) and all(key in reopened for key in odd)


def test_no_cache_at_all(sharded: Library) -> None:
    import shutil

    shutil.rmtree(sharded.root / ".cache")
    assert len(Library(sharded.root)) == 35
    assert len(_key_caches(sharded)) == 4


def test_the_old_json_cache_is_replaced(sharded: Library) -> None:
    keys = sharded.root / ".cache" / "keys"
    for path in _key_caches(sharded):
        old = path.with_suffix(".json")
        old.write_text(json.dumps({"stamp": [0], "keys": ["stale"], "capitalised": []}))
        path.unlink()
    assert sorted(Library(sharded.root).keys()) == sorted(sharded.keys())
    assert sorted(p.suffix for p in keys.iterdir()) == [".keys"] * 4


# ------------------------------------------------------------------ the title cache
# An import finds the paper of an entry's title in each shard's normalised titles, kept
# in .cache/titles/ under the identity of the shard's papers/ file: never those of
# another version of the file, whoever changed it.


def _titles_cached(lib: Library) -> list[str]:
    return sorted(path.name for path in (lib.root / ".cache" / "titles").glob("*.json"))


def _title_of(lib: Library, key: str) -> str:
    return str(lib.record(key)["title"])


def test_an_import_after_another_parses_only_the_shard_it_changed(
        sharded: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    sharded.add(_entries(1, "Warming"))  # the titles of every shard are cached
    assert _titles_cached(sharded) == ["0001.json", "0002.json", "0003.json", "0004.json"]
    parsed = _parsed_papers_files(monkeypatch)
    lib = Library(sharded.root)
    report = lib.add([*_entries(2, "Brand new"), *_entries(1)])
    assert len(report.new) == 2 and len(report.existing) == 1
    # The last shard, changed by the import before (and where the new papers go), and
    # that of the paper the entry merged into.
    assert parsed == ["0004.json", "0001.json"]
    lib.update_indexes([*report.new, *report.existing])  # no catalog of every shard either
    assert parsed == ["0004.json", "0001.json"]


def test_a_paper_deleted_by_another_library_is_imported_again_as_new(sharded: Library) -> None:
    sharded.add(_entries(1, "Warming"))
    other = Library(sharded.root)
    (entry,) = _entries(1)
    key = sharded.add([entry]).existing[0]
    other.remove([key])
    report = sharded.add([entry])
    assert report.existing == [] and report.new == [key]  # its key is free again
    report = Library(sharded.root).add([entry])
    assert report.existing == [key] and report.new == []


def test_a_title_changed_elsewhere_is_the_one_an_import_finds(sharded: Library) -> None:
    sharded.add(_entries(1, "Warming"))  # every shard's titles cached
    (old,) = _entries(1)
    key = sharded.add([old]).existing[0]
    shard = sharded.shard_of(key)
    path = shard.meta_storage.path
    # Replaced as a merge or a sync does (another file), a title of the same length:
    # the file's size does not tell.
    data = json.loads(path.read_text())
    new_title = old.title.replace("things", "THINGS").replace("Paper", "Essay")
    assert len(new_title) == len(old.title)
    data["papers"][key]["title"] = new_title
    temporary = path.with_suffix(".edit")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True))
    temporary.replace(path)
    lib = Library(sharded.root)
    report = lib.add([old])
    assert report.existing == [] and len(report.new) == 1  # the old title is nobody's now
    (renamed,) = _entries(1, "Essay")
    assert lib.add([renamed]).existing == [key]
    assert _title_of(lib, key) == new_title


def test_a_title_edited_in_place_is_the_one_an_import_finds(sharded: Library) -> None:
    sharded.add(_entries(1, "Warming"))
    (old,) = _entries(1)
    key = sharded.add([old]).existing[0]
    path = sharded.shard_of(key).meta_storage.path
    data = json.loads(path.read_text())
    data["papers"][key]["title"] = "A wholly other title"
    path.write_text(json.dumps(data, indent=2, sort_keys=True))  # same file, other size
    assert sharded.add([Entry(title="a wholly OTHER title!", abstract="",
                              source=Source("g.txt"))]).existing == [key]
    assert len(Library(sharded.root).add([old]).new) == 1


def test_undoing_a_deletion_elsewhere_brings_its_title_back(sharded: Library) -> None:
    sharded.add(_entries(1, "Warming"))
    other = Library(sharded.root)
    (entry,) = _entries(1, "Paper")
    key = other.add([entry]).existing[0]
    removed = other.remove([key])
    assert sharded.add(_entries(1, "Later")).new  # caches the titles without it
    other.undo(removed)
    assert sharded.add([entry]).existing == [key]


def test_papers_moved_between_shards_keep_their_identity(sharded: Library) -> None:
    sharded.add(_entries(1, "Warming"))
    keys = sorted(sharded.keys())
    other = Library(sharded.root)
    # deleting a first shard's papers and importing them again puts them in the last
    removed = [key for key in keys if sharded.shard_of(key).number == 1]
    titles = {_title_of(sharded, key) for key in removed}
    other.remove(removed)
    back = other.add([Entry(title=t, abstract="", source=Source("g.txt")) for t in sorted(titles)])
    assert sorted(back.new) == sorted(removed)
    again = Library(sharded.root).add([Entry(title=t.upper(), abstract="", source=Source("h.txt"))
                                        for t in sorted(titles)])
    assert sorted(again.existing) == sorted(removed) and again.new == []
    assert {Library(sharded.root).shard_of(key).number for key in removed} == {4, 5}


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"stamp": 1}', b'{"titles": 2}',
                                     b'{"stamp": [1], "rules": "x", "titles": {}}', b"[]"])
def test_a_damaged_or_stale_title_cache_is_ignored(sharded: Library, content: bytes) -> None:
    sharded.add(_entries(1, "Warming"))
    for path in (sharded.root / ".cache" / "titles").glob("*.json"):
        path.write_bytes(content)
    report = Library(sharded.root).add(_entries(36))
    assert len(report.existing) == 35 and len(report.new) == 1


def test_titles_cached_by_other_rules_are_not_used(sharded: Library,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from papershelf import text

    sharded.add(_entries(1, "Warming"))
    # Titles cached by another papershelf, whose rules gave another title identity...
    for path in (sharded.root / ".cache" / "titles").glob("*.json"):
        cached = json.loads(path.read_bytes())
        cached["titles"] = {"paper number 3 about things": "elsewhere"}
        path.write_text(json.dumps(cached))
    monkeypatch.setattr(text, "title_rules", lambda: "another papershelf")
    report = Library(sharded.root).add(_entries(4))  # ... are not taken for ours
    assert "elsewhere" not in report.existing and len(report.existing) == 4
    # and the cache is written again by the rules in use
    for path in (sharded.root / ".cache" / "titles").glob("*.json"):
        assert json.loads(path.read_bytes())["rules"] == "another papershelf"


def test_the_rules_name_the_code_of_the_titles(monkeypatch: pytest.MonkeyPatch) -> None:
    from papershelf import text

    rules = text.title_rules()
    assert rules is not None and rules.startswith(f"{__import__('unicodedata').unidata_version}:")
    text.title_rules.cache_clear()
    monkeypatch.setattr(text, "_IMPORTED", (0, 0, 0, 0))  # the file changed since its import
    assert text.title_rules() is None  # nothing is cached then
    text.title_rules.cache_clear()
    monkeypatch.undo()
    assert text.title_rules() == rules


def test_nothing_is_cached_without_rules(sharded: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from papershelf import text

    shutil.rmtree(sharded.root / ".cache" / "titles", ignore_errors=True)
    monkeypatch.setattr(text, "title_rules", lambda: None)
    report = Library(sharded.root).add(_entries(36))
    assert len(report.existing) == 35 and len(report.new) == 1
    assert _titles_cached(sharded) == []


def test_a_failed_import_leaves_no_title_of_its_own_in_the_cache(
        sharded: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    from papershelf.storage import Transaction

    sharded.add(_entries(1, "Warming"))
    lib = Library(sharded.root)

    def fail(self: Transaction) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Transaction, "commit", fail)
    with pytest.raises(OSError):
        lib.add(_entries(2, "Never stored"))
    monkeypatch.undo()
    assert not any(b"never stored" in path.read_bytes()
                   for path in (sharded.root / ".cache" / "titles").glob("*.json"))
    report = Library(sharded.root).add(_entries(2, "Never stored"))
    assert len(report.new) == 2


def test_no_title_cache_where_it_cannot_be_written(sharded: Library) -> None:
    (sharded.root / ".cache" / "titles").mkdir(parents=True, exist_ok=True)
    (sharded.root / ".cache" / "titles" / "0001.json").mkdir()  # not a file: not writable
    report = Library(sharded.root).add(_entries(36))
    assert len(report.existing) == 35 and len(report.new) == 1


def test_titles_staged_in_a_change_under_way_are_not_cached(sharded: Library) -> None:
    sharded.add(_entries(1, "Warming"))
    lib = Library(sharded.root)
    first = lib.shards[0]

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), lib._writing():
        first.put({"staged": {"title": "Staged, never stored"}}, {"staged": {"abstract": ""}})
        assert lib._title_index()["staged never stored"] == "staged"  # seen within it
        raise Abandoned
    assert not any(b"staged never stored" in path.read_bytes()
                   for path in (sharded.root / ".cache" / "titles").glob("*.json"))
    report = Library(sharded.root).add([Entry(title="Staged, never stored", abstract="",
                                              source=Source("g.txt"))])
    assert report.new == ["staged-never-stored"] and report.existing == []


def test_capitalised_keys_come_back_from_the_cache(tmp_path: Path) -> None:
    """The keys with capitals (BibTeX keys that clash up to case) are kept after the
    keys: a reopened library still finds that ``smith2020`` is taken by ``Smith2020``."""
    lib = Library(tmp_path / "lib")
    lib.add([Entry(title=f"Paper {key}", bib_key=key, entry_type="misc")
             for key in ("Smith2020", "lower-key", "ABC")])
    reopened = Library(tmp_path / "lib")
    (shard,) = reopened.shards
    assert sorted(shard.seen_keys) == ["ABC", "Smith2020", "lower-key"]
    assert sorted(shard.seen_capitalised) == ["ABC", "Smith2020"]
    assert "smith2020" in reopened.taken_keys() and "abc" in reopened.taken_keys()
