"""The library: import, dedupe and merge, changes, undo, durability format."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from papershelf import library as library_module
from papershelf import storage as storage_module
from papershelf.errors import ConflictError, LibraryError, PapershelfError, UnknownKeyError
from papershelf.library import Library, damage_behind
from papershelf.model import Entry, Source
from papershelf.search import search
from papershelf.storage import SMALL_JSON, dump_json, load_json

from .conftest import sample_entries

ABSTRACT = "An abstract long enough to be one. " * 10


def entry(title: str, file: str = "f.txt", **kw: object) -> Entry:
    return Entry(title=title, abstract=ABSTRACT, source=Source(file, "Mar 14"), **kw)  # type: ignore[arg-type]


def test_import_of_the_samples_dedupes_by_title(library: Library) -> None:
    report = library.add(sample_entries())
    assert (len(report.new), len(report.existing), len(report.failed)) == (356, 73, 0)
    assert report.summary() == "356 new, 73 already in library, 0 failed"
    assert len(Library(library.root)) == 356


def test_reimport_merges_sources_and_never_loses_state(sample_library: Library) -> None:
    lib = sample_library
    lib.tag(["languagebind"], "vlp")
    lib.set_read(["languagebind"])
    lib.set_note("languagebind", "keep me")
    again = lib.add([entry("LANGUAGEBIND: extending video-language pretraining to "
                           "N-modality by language-based semantic alignment", "new.txt")], ["extra"])
    assert again.summary() == "0 new, 1 already in library, 0 failed"
    paper = Library(lib.root).get("languagebind")
    assert paper.tags == ("vlp", "extra")
    assert paper.read and paper.read_at and paper.note == "keep me"
    assert Source("new.txt", "Mar 14") in paper.sources
    assert len(paper.sources) == 4


def test_a_reimport_with_nothing_new_changes_nothing_and_writes_nothing(sample_library: Library) -> None:
    """Its change held every paper found already there, which an undo then said
    "another papershelf" had changed back (a black-box review)."""
    lib = sample_library
    files = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in lib.root.glob("*/*.json")}
    again = lib.add(sample_entries())
    assert again.summary() == "0 new, 429 already in library, 0 failed"
    assert again.change is not None and again.change.empty
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in lib.root.glob("*/*.json")} == files
    some = lib.add(sample_entries()[:3], ["extra"])  # something new for three of them
    assert some.change is not None and len(some.change.keys) == 3


def test_same_title_gives_same_key_in_a_fresh_library(tmp_path: Path) -> None:
    a = Library(tmp_path / "a")
    b = Library(tmp_path / "b")
    a.add(sample_entries())
    b.add(list(reversed(sample_entries())))
    assert sorted(a.keys()) == sorted(b.keys())


def test_key_collisions_get_suffixes(library: Library) -> None:
    report = library.add([entry("VALOR: one"), entry("VALOR: two"), entry("VALOR: three")])
    assert report.new == ["valor", "valor-2", "valor-3"]


def test_keys_equal_up_to_case_get_suffixes_as_collisions_do(sample_library: Library) -> None:
    """BibTeX tells keys apart case-insensitively ("Repeated entry" drops the second):
    a key equal to one in use up to case is a collision, in the library and in a .bib."""
    lib = sample_library
    report = lib.add([entry("Some Other Paper Entirely", bib_key="LanguageBind"),
                      entry("A", bib_key="Smith2020"), entry("B", bib_key="smith2020"),
                      entry("C", bib_key="SMITH2020"), entry("D", bib_key="smith2020-2")])
    assert report.new == ["LanguageBind-2", "Smith2020", "smith2020-2", "SMITH2020-3",
                          "smith2020-2-2"]
    page = lib.add([entry("Smith2020: A Page-Dump Paper")])  # base keys are lower case
    assert page.new == ["smith2020-4"]  # -3 is SMITH2020-3 up to case
    assert "LanguageBind" not in lib and "SMITH2020-3" in lib  # lookups stay exact
    assert lib.get("SMITH2020-3").title == "C"


def test_a_key_with_capitals_in_an_old_or_reopened_library_is_taken_up_to_case(
        sharded: Library) -> None:
    """The keys with capitals come from the key cache of each shard, kept after the keys;
    a cache of the old format (JSON, which kept none at first) is written anew."""
    sharded.add([entry("Bib Paper", bib_key="MixedCase")])
    cache = sharded.cache_dir / "keys" / "0004.keys"
    head, _, body = cache.read_bytes().partition(b"\n")
    assert json.loads(head)["capitalised"] == 1 and body.split(b"\n")[-1] == b"MixedCase"
    cache.unlink()
    old = cache.with_suffix(".json")
    old.write_text(json.dumps({"stamp": json.loads(head)["stamp"],
                               "keys": body.decode().split("\n")[:-1]}))
    reopened = Library(sharded.root)
    assert reopened.add([entry("MixedCase: a Page Paper")]).new == ["mixedcase-2"]
    assert reopened.add([entry("Again", bib_key="MIXEDCASE")], dry_run=True).new == ["MIXEDCASE-3"]
    assert cache.read_bytes().endswith(b"\nMixedCase") and not old.exists()


def test_case_clashes_of_a_library_from_before_keys_were_compared_so(
        library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:  # as keys were taken before: exactly
        patch.setattr(Library, "taken_keys", lambda self: set(self._where))
        library.add([entry("First", bib_key="Smith2020"), entry("Second", bib_key="smith2020"),
                     entry("Third"), entry("Fourth", bib_key="SMITH2020")])
    assert sorted(library.keys()) == ["SMITH2020", "Smith2020", "smith2020", "third"]
    assert library.case_clashes() == [["Smith2020", "smith2020", "SMITH2020"]]
    renames = {"smith2020": "smith2020-2", "SMITH2020": "SMITH2020-4"}  # their seq numbers
    assert library.case_renames() == renames
    # what exports write for them is taken: it stays theirs when papers are added
    assert library.add([entry("Smith2020: Yet Another")]).new == ["smith2020-3"]
    assert library.case_renames() == renames
    assert "THIRD" in library.taken_keys() and "Smith2020-5" not in library.taken_keys()


def test_taken_keys_compare_up_to_case_and_tell_quickly_whether_two_may_clash() -> None:
    from papershelf.library import TakenKeys

    keys = {"paper", "paper-2", "Smith2020", "ABC"}
    taken = TakenKeys(keys, ["Smith2020", "ABC"])
    assert all(k in taken for k in ["PAPER", "smith2020", "SMITH2020", "abc", "Abc"])
    assert "smith2021" not in taken and 3 not in taken and not taken.may_clash()
    taken.add("New-Key")
    assert "new-key" in taken and not taken.may_clash()
    assert TakenKeys({**dict.fromkeys(keys), "abc": 1}, ["Smith2020", "ABC"]).may_clash()
    assert TakenKeys({"Ab", "AB"}, ["Ab", "AB"]).may_clash()


def test_bib_entries_merge_into_page_dump_papers(library: Library) -> None:
    library.add([entry("Demystifying CLIP Data")])
    report = library.add([Entry(title="Demystifying {CLIP} data", authors=("Hu Xu",), year="2023",
                                bib_key="xu2023clip", entry_type="article",
                                fields={"journal": "arXiv"})])
    assert report.existing == ["demystifying-clip-data"]
    paper = library.get("demystifying-clip-data")
    assert paper.authors == ("Hu Xu",) and paper.year == "2023" and paper.entry_type == "article"
    assert paper.abstract == ABSTRACT


def test_changes_are_durable_and_visible_to_a_fresh_library(sample_library: Library) -> None:
    lib = sample_library
    lib.tag(["ctp", "benchx"], "vlp")
    lib.untag(["benchx"], "VLP")
    lib.set_read(["ctp"])
    lib.set_note("ctp", "line one\nline two")
    lib.remove(["valor"])
    fresh = Library(lib.root)
    assert fresh.get("ctp").tags == ("vlp",) and fresh.get("benchx").tags == ()
    assert fresh.get("ctp").read and fresh.get("ctp").note == "line one\nline two"
    assert "valor" not in fresh and len(fresh) == 355
    assert fresh.stats() == {"papers": 355, "read": 1, "unread": 354, "tags": 1, "notes": 1}


def test_unknown_keys_fail_and_change_nothing(sample_library: Library) -> None:
    before = sample_library.tags()
    with pytest.raises(UnknownKeyError, match="languagebnd"):
        sample_library.tag(["ctp", "languagebnd"], "x")
    assert sample_library.tags() == before == Library(sample_library.root).tags()


def test_changes_told_to_skip_gone_papers_leave_out_those_deleted_elsewhere(
        library: Library) -> None:
    """An app acting on the papers it showed: one deleted by another process since is
    named in the change, not an error that drops the whole change."""
    library.add([entry("Some Paper"), entry("Other Paper"), entry("Third Paper")])
    Library(library.root).remove(["some-paper"])
    tagged = library.tag(["some-paper", "other-paper"], "later", skip_gone=True)
    assert (tagged.keys, tagged.gone) == (("other-paper",), ("some-paper",))
    read = library.set_read(["some-paper", "other-paper"], skip_gone=True)
    untagged = library.untag(["some-paper", "other-paper"], "later", skip_gone=True)
    assert read.gone == untagged.gone == ("some-paper",)
    Library(library.root).remove(["other-paper"])
    removed = library.remove(["other-paper", "third-paper"], skip_gone=True)
    assert (removed.deleted, removed.gone) == (("third-paper",), ("other-paper",))
    assert len(Library(library.root)) == 0
    with pytest.raises(UnknownKeyError):  # unless told to
        library.tag(["other-paper"], "x")



def test_set_read_told_how_to_decide_decides_from_the_papers_as_they_are_under_the_lock(
        library: Library) -> None:
    """A toggle (the app's space) decided from records read before the lock: read
    elsewhere in between, a paper was "marked read" again, nothing changing."""
    library.add([entry("Some Paper"), entry("Other Paper"), entry("Third Paper")])
    Library(library.root).set_read(["some-paper", "other-paper"])  # not seen by library yet
    Library(library.root).remove(["third-paper"])
    seen: list[list[bool]] = []

    def toggle(records: list[dict[str, object]]) -> bool:
        seen.append([bool(record.get("read")) for record in records])
        return not all(seen[-1])

    change = library.set_read(["some-paper", "other-paper", "third-paper"], toggle, skip_gone=True)
    assert seen == [[True, True]]  # (of the papers still there)
    assert (change.description, change.keys, change.gone) == (
        "mark unread", ("some-paper", "other-paper"), ("third-paper",))
    assert not any(paper.read for paper in Library(library.root).papers())
    assert library.set_read(["some-paper"], toggle).description == "mark read"


def test_unknown_key_error_suggests_close_keys(sample_library: Library) -> None:
    with pytest.raises(UnknownKeyError) as info:
        sample_library.require(["languagebnd"])
    assert "languagebind" in info.value.hint


def test_bad_tag_is_refused(sample_library: Library) -> None:
    with pytest.raises(PapershelfError, match="spaces"):
        sample_library.tag(["ctp"], "two words")


def test_rename_tag_merges_case_insensitively(sample_library: Library) -> None:
    lib = sample_library
    lib.tag(["ctp", "benchx"], "VLP")
    lib.tag(["ctp"], "vision")
    lib.rename_tag("vlp", "vision")
    assert lib.tags() == {"vision": 2}
    assert lib.get("ctp").tags == ("vision",)
    with pytest.raises(PapershelfError, match="no paper is tagged"):
        lib.rename_tag("nope", "x")



def test_a_tag_named_as_it_shows_is_the_tag(sample_library: Library) -> None:
    """``tag rm '#HOT' KEY``, with the ``#`` of the screen, removed nothing (no paper
    had ``#HOT``), and ``tag rename '#HOT' x`` found no paper tagged so."""
    lib = sample_library
    lib.tag(["ctp", "benchx"], "HOT")
    assert lib.tag_named("#HOT", ["ctp"]) == "HOT" and lib.tag_named("##hot") == "hot"
    assert lib.tag_named("#", ["ctp"]) == "#" and lib.tag_named("HOT") == "HOT"
    with pytest.raises(PapershelfError, match="cannot start with '#'"):
        lib.rename_tag("HOT", "#warm")  # a new tag still may not


def test_a_tag_with_a_hash_from_an_earlier_version_is_named_as_it_is(sample_library: Library) -> None:
    """Versions before 2026-11-24 stored "#foo": naming it so removes or renames it, not
    the "foo" of another paper (a review found it out of reach)."""
    import json

    lib = sample_library
    lib.tag(["benchx"], "foo")
    path = lib.shard_of("ctp").meta_storage.path
    data = json.loads(path.read_text())
    data["papers"]["ctp"]["tags"] = ["#foo"]
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
    lib = Library(lib.root)
    assert lib.tag_named("#foo", ["ctp"]) == "#foo" and lib.tag_named("#foo") == "#foo"
    assert lib.tag_named("##foo", ["ctp"]) == "#foo"  # as it shows: one "#" at a time
    assert lib.tag_named("#foo", ["benchx"]) == "foo"  # not a tag of the papers named
    assert lib.rename_tag(lib.tag_named("#foo"), "foo").keys == ("ctp",)  # the way out
    assert lib.tags() == {"foo": 2}


def test_a_tag_is_one_tag_whether_its_accents_are_composed_or_not(sample_library: Library) -> None:
    """``café`` typed with a combining accent (pasted from a macOS file name) is the
    ``café`` the paper has: not a second tag beside it, and ``tag rm`` removes it."""
    lib, composed, combining = sample_library, "caf\u00e9", "cafe\u0301"
    lib.tag(["ctp"], composed)
    assert lib.tag(["ctp", "benchx"], combining.upper()).keys == ("benchx",)
    assert lib.get("ctp").tags == (composed,)
    assert lib.tags() == {composed: 2} and lib.stats()["tags"] == 1
    assert sorted(search(lib.catalog(), f"tag:{composed}").keys()) == ["benchx", "ctp"]
    lib.untag(["benchx"], composed)
    assert lib.get("benchx").tags == ()
    lib.rename_tag(combining, "x")
    assert lib.get("ctp").tags == ("x",)


def test_rename_tag_covers_a_paper_tagged_by_another_process_just_before(
        sample_library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    """The papers to rename are chosen once the lock is held: one tagged by another
    process between the command's start and its lock kept the old tag."""
    lib = sample_library
    lib.tag(["ctp"], "old")
    other = Library(lib.root)
    writing = Library._writing

    def tagged_meanwhile(self: Library, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if self is lib and not other.get("benchx").tags:
            other.tag(["benchx"], "OLD")  # lands before the rename takes the lock
        return writing(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Library, "_writing", tagged_meanwhile)
    change = lib.rename_tag("old", "new")
    assert set(change.keys) == {"ctp", "benchx"}
    assert Library(lib.root).tags() == {"new": 2}


def test_undo_is_field_level_and_multi_level(sample_library: Library) -> None:
    lib = sample_library
    tagged = lib.tag(["ctp"], "vlp")
    noted = lib.set_note("ctp", "later note")
    lib.undo(tagged)  # older change: the note made after it survives
    assert lib.get("ctp").tags == () and lib.get("ctp").note == "later note"
    lib.undo(noted)
    assert lib.get("ctp").note == ""
    removed = lib.remove(["ctp", "benchx"])
    redo = lib.undo(removed)
    assert "ctp" in lib and "benchx" in lib
    lib.undo(redo)
    assert "ctp" not in Library(lib.root)


def test_a_changes_images_keep_what_they_saw_through_later_changes(library: Library) -> None:
    # Images are the stored records themselves, not copies: this holds only while no
    # write changes a stored record in place.
    library.add([entry("Some Paper"), entry("Other Paper")], tags=["alpha"])
    tagged = library.tag(["some-paper", "other-paper"], "beta")
    assert tagged.before["some-paper"][0]["tags"] == ["alpha"]
    assert tagged.after["some-paper"][0]["tags"] == ["alpha", "beta"]
    seen = json.dumps([tagged.before, tagged.after], sort_keys=True)
    library.tag(["some-paper"], "gamma")
    library.untag(["some-paper", "other-paper"], "alpha")
    library.rename_tag("beta", "delta")
    library.set_read(["some-paper"])
    library.set_note("some-paper", "a note")
    library.add([entry("Some Paper", "again.txt", authors=("A. Author",))], tags=["epsilon"])
    library.undo(library.tag(["other-paper"], "zeta"))
    library.undo(library.remove(["other-paper"]))
    assert json.dumps([tagged.before, tagged.after], sort_keys=True) == seen
    library.undo(tagged)
    assert library.get("some-paper").tags == ("delta", "gamma", "epsilon")  # beta was renamed


def test_undo_of_an_import_removes_new_papers_and_merged_sources(library: Library) -> None:
    library.add([entry("Old Paper")])
    report = library.add([entry("Old Paper", "second.txt"), entry("New Paper")])
    assert report.change is not None
    library.undo(report.change)
    assert library.keys() == ["old-paper"]
    assert [s.file for s in library.get("old-paper").sources] == ["f.txt"]


# ------------------------------------------------ undo with another process writing
# ``other`` stands in for a second papershelf (the CLI while the TUI runs): a Library
# object of its own on the same directory.


def test_undo_of_a_tag_keeps_a_tag_another_process_added_meanwhile(library: Library) -> None:
    library.add([entry("Some Paper")])
    other = Library(library.root)
    tagged = library.tag(["some-paper"], "alpha")
    other.tag(["some-paper"], "beta")
    library.undo(tagged)
    assert Library(library.root).get("some-paper").tags == ("beta",)


def test_undo_of_an_untag_puts_the_tag_back_beside_later_ones(library: Library) -> None:
    library.add([entry("Some Paper")], tags=["alpha", "gamma"])
    other = Library(library.root)
    untagged = library.untag(["some-paper"], "ALPHA")
    other.tag(["some-paper"], "beta")
    library.undo(untagged)
    assert Library(library.root).get("some-paper").tags == ("gamma", "beta", "alpha")


def test_undo_of_a_tag_rename_keeps_later_tags(library: Library) -> None:
    library.add([entry("Some Paper")], tags=["vlp", "old"])
    other = Library(library.root)
    renamed = library.rename_tag("vlp", "VLP")  # a change of case only
    other.tag(["some-paper"], "beta")
    library.undo(renamed)
    assert Library(library.root).get("some-paper").tags == ("vlp", "old", "beta")


def test_undo_of_a_tag_keeps_a_note_another_process_set_meanwhile(library: Library) -> None:
    library.add([entry("Some Paper")])
    other = Library(library.root)
    tagged = library.tag(["some-paper"], "alpha")
    other.set_note("some-paper", "external")
    library.undo(tagged)
    paper = Library(library.root).get("some-paper")
    assert (paper.tags, paper.note) == ((), "external")


def test_undo_of_a_note_keeps_a_note_another_process_wrote_over_it(library: Library) -> None:
    library.add([entry("Some Paper")])
    other = Library(library.root)
    noted = library.set_note("some-paper", "mine")
    other.set_note("some-paper", "theirs")
    redo = library.undo(noted)
    assert Library(library.root).get("some-paper").note == "theirs"
    assert redo.kept == ("some-paper",)



def test_undo_of_a_change_to_a_paper_deleted_since_names_it_gone(library: Library) -> None:
    library.add([entry("Some Paper"), entry("Other Paper")])
    tagged = library.tag(["some-paper", "other-paper"], "later")
    Library(library.root).remove(["some-paper"])
    redo = library.undo(tagged)
    assert (redo.keys, redo.gone, redo.kept) == (("other-paper",), ("some-paper",), ())
    assert "some-paper" not in Library(library.root)  # not brought back by the undo


def test_undo_of_what_another_process_already_took_back_keeps_nothing(library: Library) -> None:
    library.add([entry("Some Paper")])
    other = Library(library.root)
    read = library.set_read(["some-paper"])
    other.set_read(["some-paper"], False)
    redo = library.undo(read)
    paper = Library(library.root).get("some-paper")
    assert (paper.read, paper.read_at, redo.kept) == (False, None, ())

def test_undo_of_read_keeps_a_note_added_meanwhile(library: Library) -> None:
    library.add([entry("Some Paper")])
    other = Library(library.root)
    read = library.set_read(["some-paper"])
    other.set_note("some-paper", "external")
    library.undo(read)
    paper = Library(library.root).get("some-paper")
    assert (paper.read, paper.read_at, paper.note) == (False, None, "external")


def test_undo_of_read_keeps_read_and_read_at_together(library: Library,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Read again elsewhere meanwhile (a new read_at): that later change wins whole."""
    from papershelf import model

    library.add([entry("Some Paper")])
    other = Library(library.root)
    monkeypatch.setattr(model, "now_iso", lambda: "2026-01-01T10:00:00+00:00")
    read = library.set_read(["some-paper"])
    other.set_read(["some-paper"], False)
    monkeypatch.setattr(model, "now_iso", lambda: "2026-01-02T10:00:00+00:00")
    other.set_read(["some-paper"])
    library.undo(read)
    paper = Library(library.root).get("some-paper")
    assert (paper.read, paper.read_at) == (True, "2026-01-02T10:00:00+00:00")


def test_undo_of_a_delete_merges_into_the_paper_imported_again_meanwhile(library: Library) -> None:
    library.add([entry("Some Paper")], tags=["old"])
    library.set_note("some-paper", "my note")
    library.set_read(["some-paper"])
    other = Library(library.root)
    removed = library.remove(["some-paper"])
    other.add([entry("Some Paper", "again.txt")], tags=["newimport"])
    redo = library.undo(removed)
    paper = Library(library.root).get("some-paper")
    assert paper.tags == ("old", "newimport")
    assert (paper.note, paper.read) == ("my note", True)
    assert [s.file for s in paper.sources] == ["f.txt", "again.txt"]
    assert len(Library(library.root)) == 1 and redo.kept == ()


def test_undo_of_a_delete_keeps_a_note_written_since_on_the_paper_imported_again(
        library: Library) -> None:
    library.add([entry("Some Paper")])
    library.set_note("some-paper", "my note")
    other = Library(library.root)
    removed = library.remove(["some-paper"])
    other.add([entry("Some Paper")])
    other.set_note("some-paper", "their note")
    redo = library.undo(removed)
    assert Library(library.root).get("some-paper").note == "their note"
    assert redo.kept == ("some-paper",)


def test_undo_of_a_delete_finds_the_paper_imported_again_under_another_key(library: Library) -> None:
    library.add([entry("Some Paper")], tags=["old"])
    other = Library(library.root)
    removed = library.remove(["some-paper"])
    other.add([entry("Some Paper", bib_key="smith2024")], tags=["newimport"])
    redo = library.undo(removed)
    fresh = Library(library.root)
    assert fresh.keys() == ["smith2024"] and redo.moved == {"some-paper": "smith2024"}
    assert fresh.get("smith2024").tags == ("old", "newimport")
    library.undo(redo)  # takes the merge back
    assert Library(library.root).get("smith2024").tags == ("newimport",)


def test_undo_of_an_import_keeps_a_new_paper_another_process_changed(library: Library) -> None:
    report = library.add([entry("First Paper"), entry("Second Paper")])
    assert report.change is not None
    other = Library(library.root)
    other.tag(["second-paper"], "keep")
    redo = library.undo(report.change)
    fresh = Library(library.root)
    assert fresh.keys() == ["second-paper"] and fresh.get("second-paper").tags == ("keep",)
    assert redo.kept == ("second-paper",)
    library.undo(redo)  # redoing the import brings back the one it deleted, and leaves this one
    assert sorted(Library(library.root).keys()) == ["first-paper", "second-paper"]


def test_undo_of_an_import_into_a_known_paper_keeps_later_tags_and_sources(library: Library) -> None:
    library.add([entry("Old Paper")])
    report = library.add([entry("Old Paper", "second.txt")], tags=["imported"])
    assert report.change is not None
    other = Library(library.root)
    other.add([entry("Old Paper", "third.txt")], tags=["later"])
    library.undo(report.change)
    paper = Library(library.root).get("old-paper")
    assert paper.tags == ("later",)
    assert [s.file for s in paper.sources] == ["f.txt", "third.txt"]


def test_redo_after_an_undo_with_interference_keeps_the_other_change(library: Library) -> None:
    library.add([entry("Some Paper")])
    other = Library(library.root)
    tagged = library.tag(["some-paper"], "alpha")
    other.tag(["some-paper"], "beta")
    redo = library.undo(tagged)
    assert Library(library.root).get("some-paper").tags == ("beta",)
    library.undo(redo)
    assert Library(library.root).get("some-paper").tags == ("alpha", "beta")


def test_set_note_refuses_to_write_over_a_note_changed_since(library: Library) -> None:
    library.add([entry("Some Paper")])
    other = Library(library.root)
    other.set_note("some-paper", "external")
    with pytest.raises(ConflictError, match="changed elsewhere") as info:
        library.set_note("some-paper", "mine", expected="")
    assert info.value.current == "external"
    assert Library(library.root).get("some-paper").note == "external"
    library.set_note("some-paper", "mine", expected="external")
    assert Library(library.root).get("some-paper").note == "mine"
    other.set_note("some-paper", "same")
    assert library.set_note("some-paper", "same", expected="mine").empty  # nothing lost


def test_set_note_refuses_a_key_that_names_another_paper_now(library: Library) -> None:
    """The paper an editor was opened on was deleted elsewhere and its key given to
    another: the note is not written on that one."""
    library.add([entry("Some Paper")])
    other = Library(library.root)
    other.remove(["some-paper"])
    other.add([Entry(title="Another Paper", abstract="x", bib_key="some-paper", entry_type="misc",
                     fields={})])
    assert other.get("some-paper").title == "Another Paper"
    with pytest.raises(UnknownKeyError, match="another paper has its key now"):
        library.set_note("some-paper", "mine", expected="", title="Some Paper")
    assert Library(library.root).get("some-paper").note == ""
    # The same paper, imported again under its key: the note is its own.
    library.set_note("some-paper", "theirs", expected="", title="another  PAPER!")
    assert Library(library.root).get("some-paper").note == "theirs"


def test_noop_changes_report_nothing(sample_library: Library) -> None:
    sample_library.tag(["ctp"], "x")
    assert sample_library.tag(["ctp"], "X").keys == ()
    assert sample_library.set_read(["ctp"], False).keys == ()


def test_files_are_deterministic_sorted_indented_json(sample_library: Library) -> None:
    root = sample_library.root
    text = (root / "papers" / "0001.json").read_text()
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert json.loads((root / "papershelf.json").read_text())["library"]["library"]["schema"] == 1
    assert (root / ".gitignore").read_text().startswith(".cache/")
    (root / ".gitignore").write_text("")  # cut short by a full disk or a kill
    Library(root)
    assert (root / ".gitignore").read_text().startswith(".cache/")


def test_shards_roll_over_at_capacity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library_module, "SHARD_CAPACITY", 100)
    lib = Library(tmp_path / "lib")
    lib.add(sample_entries())
    files = sorted(p.name for p in (tmp_path / "lib" / "papers").iterdir())
    assert files == ["0001.json", "0002.json", "0003.json", "0004.json"]
    assert len(Library(tmp_path / "lib")) == 356
    lib.tag(["ctp"], "vlp")  # touches only the shard holding ctp
    assert Library(tmp_path / "lib").get("ctp").tags == ("vlp",)


def test_refresh_sees_changes_made_by_another_library_object(sample_library: Library) -> None:
    other = Library(sample_library.root)
    assert not sample_library.refresh()
    other.tag(["ctp"], "seen")
    other.add([entry("Brand New Paper")])
    assert sample_library.refresh()
    assert sample_library.get("ctp").tags == ("seen",)
    assert "brand-new-paper" in sample_library


def _delete_before_the_text_is_read(library: Library, key: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Add "Some Paper" and "Other Paper"; another process deletes ``key`` when the
    library next reads a text file. Readers take no lock: another process's delete can
    land between reading a paper's record and its text."""
    library.add([entry("Some Paper"), entry("Other Paper")])
    real = library_module.Shard.text_records
    pending = [key]

    def delete_first(shard: library_module.Shard) -> dict[str, object]:
        if pending:
            Library(library.root).remove([pending.pop()])
        return real(shard)

    monkeypatch.setattr(library_module.Shard, "text_records", delete_first)


def test_a_paper_deleted_between_reading_its_record_and_its_text_is_gone_not_blank(
        library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    _delete_before_the_text_is_read(library, "some-paper", monkeypatch)
    with pytest.raises(UnknownKeyError, match="another papershelf deleted it"):
        library.get("some-paper")


def test_a_change_to_a_paper_deleted_before_the_lock_says_so(library: Library,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    library.add([entry("Some Paper"), entry("Other Paper")])
    real = Library.require
    pending = ["some-paper"]

    def then_deleted(self: Library, keys: object) -> list[str]:
        found = real(self, keys)  # type: ignore[arg-type]
        if pending:
            Library(self.root).remove([pending.pop()])  # before this change takes the lock
        return found

    monkeypatch.setattr(Library, "require", then_deleted)
    with pytest.raises(UnknownKeyError, match=r"'some-paper' \(another papershelf deleted it"):
        library.tag(["other-paper", "some-paper"], "x")
    assert "x" not in Library(library.root).get("other-paper").tags


def test_listing_search_results_skips_papers_deleted_since_the_search(library: Library) -> None:
    library.add([entry("Some Paper"), entry("Other Paper")])
    keys = search(library.catalog(), "paper").keys()
    Library(library.root).remove(["some-paper"])
    listed = [data["key"] for batch in library.iter_json(keys, skip_gone=True) for data in batch]
    assert listed == ["other-paper"]
    assert [p.key for batch in library.iter_papers(keys, skip_gone=True) for p in batch] == listed
    with pytest.raises(UnknownKeyError):
        library.papers(keys)


def test_a_keyed_walk_reads_each_shard_once_a_batch(library: Library,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Checking a shard's files for changes once a paper cost a third of `list --json`.
    library.add([entry(f"Paper number {i}") for i in range(30)])
    keys = [key for key in reversed(library.keys())]  # not in stored order
    reads: list[str] = []
    real = storage_module.JSONFileStorage.read

    def counted(storage: storage_module.JSONFileStorage) -> object:
        reads.append(storage.path.parent.name)
        return real(storage)

    monkeypatch.setattr(storage_module.JSONFileStorage, "read", counted)
    listed = [data["key"] for batch in library.iter_json(keys, batch=10) for data in batch]
    assert listed == keys
    assert sorted(reads) == ["papers"] * 3 + ["texts"] * 3  # 3 batches of one shard


def test_a_keyed_walk_skips_a_paper_deleted_between_its_two_reads(
        library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    _delete_before_the_text_is_read(library, "some-paper", monkeypatch)
    keys = ["some-paper", "other-paper"]
    assert [d["key"] for b in library.iter_json(keys, skip_gone=True) for d in b] == ["other-paper"]


def test_a_newer_schema_is_refused(sample_library: Library) -> None:
    meta = sample_library.root / "papershelf.json"
    data = json.loads(meta.read_text())
    data["library"]["library"]["schema"] = 99
    meta.write_text(json.dumps(data))
    with pytest.raises(LibraryError, match="schema version 99"):
        Library(sample_library.root)


@pytest.mark.parametrize(("name", "value"), [("schema", "1"), ("schema", 0), ("next_seq", "abc"),
                                           ("next_seq", None), ("next_batch", 1.5), ("next_seq", True)])
def test_a_hand_damaged_library_document_is_named(sample_library: Library, name: str, value: object) -> None:
    meta = sample_library.root / "papershelf.json"
    data = json.loads(meta.read_text())
    data["library"]["library"][name] = value
    meta.write_text(json.dumps(data))
    before = meta.read_bytes()
    with pytest.raises(LibraryError, match=f"papershelf.json: {name} is {value!r}, not a whole number"):
        Library(sample_library.root)
    assert meta.read_bytes() == before


def test_a_deleted_library_document_numbers_new_papers_after_every_paper(
        sample_library: Library) -> None:
    """``papershelf.json`` deleted (or left out of a commit) while papers are there: new
    papers were numbered from 1 again, among the old ones, and their import batch was
    one already taken (found by a black-box review)."""
    root = sample_library.root
    newest = search(sample_library.catalog(), "").keys()[:3]
    (root / "papershelf.json").unlink()
    lib = Library(root)
    assert lib.has_crossrefs()  # the flag is lost: assumed (exports only take longer)
    assert search(lib.catalog(), "").keys()[:3] == newest
    new = lib.add([entry("Otters Holding Hands While Asleep"), entry("A Second New Paper")])
    listed = search(Library(root).catalog(), "").keys()
    assert set(listed[:2]) == set(new.new) and listed[2:4] == newest[:2]  # newest first
    stored = [r for shard in Library(root).shards for r in shard.records().values()]
    assert len({r["seq"] for r in stored}) == len(stored)
    batches = {r["batch"] for r in stored if r["title"] in ("Otters Holding Hands While Asleep",
                                                           "A Second New Paper")}
    assert len(batches) == 1 and batches.pop() > max(r["batch"] for r in stored
                                                     if r["title"] != "A Second New Paper"
                                                     and "Otters" not in r["title"])
    doc = json.loads((root / "papershelf.json").read_text())["library"]["library"]
    assert doc["next_seq"] == len(stored) + 1 and doc["crossrefs"] is True


def test_papers_replaced_by_a_file_is_named(sample_library: Library) -> None:
    papers = sample_library.root / "papers"
    for child in papers.iterdir():
        child.unlink()
    papers.rmdir()
    papers.write_text("oops")
    with pytest.raises(LibraryError, match="papers is not a directory"):
        Library(sample_library.root)


#: JSON that orjson refuses (or reads oddly) and the standard library would take.
ODD_JSON = [b'{"a": "\\ud800"}', b'{"a": "\xed\xa0\x80"}', b'{"a": NaN}', b'{"a": Infinity}',
            b'{"a": -Infinity}', b'{"a": 1e400}', b'\xef\xbb\xbf{"a": 1}', '{"a": 1}'.encode("utf-16"),
            b'{"a": ' + b"[" * 3000 + b"]" * 3000 + b"}", b'{"a": 18446744073709551616}',
            b'{"a": "\\ud83d\\ude00"}', b'{"a": "\xff"}', b'{"papers": {']


@pytest.mark.parametrize("data", ODD_JSON)
def test_small_json_is_read_exactly_as_big_json(data: bytes) -> None:
    """Small files are parsed by the standard library and big ones by orjson: both
    must accept the same files and read them alike, whatever a hand edit left."""

    def outcome(text: bytes) -> tuple[object, ...]:
        try:
            return ("read", load_json(text))
        except ValueError:
            return ("refused",)

    assert outcome(data) == outcome(data + b" " * SMALL_JSON) == outcome(data + b" ")


def test_valid_json_reads_back_as_written() -> None:
    data = {"papers": {"k": {"title": "Caf\u00e9 \U0001f600", "n": [1, 2.5, None, True]}}}
    assert load_json(dump_json(data)) == load_json(dump_json(data) + b" " * SMALL_JSON) == data


@pytest.mark.parametrize("name", ["papers/0001.json", "papershelf.json"])
@pytest.mark.parametrize("damage", [b'{"papers": {', b'{"papers": {' + b" " * SMALL_JSON,
                                    b'{"papers": "\xff"}', b'{"papers": {"k": {"title": NaN}}}',
                                    b'{"papers": {"k": {"title": "\\ud800"}}}'])
def test_a_damaged_file_is_a_clear_error(sample_library: Library, name: str, damage: bytes
                                         ) -> None:
    """Broken JSON, bytes that are not UTF-8, NaN or a lone surrogate: a clear error
    on opening, not a value that breaks a later write."""
    (sample_library.root / name).write_bytes(damage)
    with pytest.raises(LibraryError, match="not valid JSON"):
        Library(sample_library.root)


def test_a_paper_stored_in_two_shards_is_a_clear_error(sharded: Library) -> None:
    """A bad merge can leave a paper in two shard files: the library says so (an export
    would repeat its key, which BibTeX rejects) until one copy is deleted by hand."""
    import json

    first, second = (sharded.root / "papers" / f"{n:04d}.json" for n in (1, 3))
    key = sorted(json.loads(first.read_text())["papers"])[0]
    data = json.loads(second.read_text())
    data["papers"][key] = json.loads(first.read_text())["papers"][key]
    second.write_text(json.dumps(data))
    with pytest.raises(LibraryError, match=f"the paper '{key}' is stored twice, in {first} and {second}"):
        Library(sharded.root)
    with pytest.raises(LibraryError, match="stored twice"):
        sharded.tag([key], "x")  # an open library finds it before it writes
    assert "x" not in (json.loads(first.read_text())["papers"][key].get("tags") or [])
    del data["papers"][key]
    second.write_text(json.dumps(data))
    assert len(Library(sharded.root)) == len(sharded) == 356
    sharded.tag([key], "x")
    assert sharded.get(key).tags == ("x",)



def test_a_library_open_while_a_merge_breaks_it_keeps_its_view_and_recovers(sharded: Library) -> None:
    """The TUI's library lives on: while a file holds a paper twice it keeps what it saw
    (no paper of the broken shard goes missing), and once the file is restored nothing
    of the bad merge lingers (a new paper may take the merged key later)."""
    import json

    first, third = (sharded.root / "papers" / f"{n:04d}.json" for n in (1, 3))
    backup = third.read_bytes()
    shown = set(sharded.keys())
    data = json.loads(backup)
    copied = sorted(json.loads(first.read_text())["papers"])[0]
    data["papers"]["aaa-merged"] = dict(data["papers"][sorted(data["papers"])[0]], title="Merged")
    data["papers"][copied] = json.loads(first.read_text())["papers"][copied]
    third.write_text(json.dumps(data))
    with pytest.raises(LibraryError, match="stored twice"):
        sharded.refresh()
    assert set(sharded.keys()) == shown and all(sharded.get(key) for key in shown)
    third.write_bytes(backup)  # the hint's fix
    sharded.refresh()
    assert set(sharded.keys()) == shown == set(Library(sharded.root).keys())
    Library(sharded.root).add([Entry(title="New", bib_key="aaa-merged", entry_type="misc")])
    sharded.refresh()
    assert sharded.get("aaa-merged").title == "New" and len(sharded) == 357


def test_a_paper_twice_is_found_when_every_shard_changed_at_once(sharded: Library) -> None:
    """Every shard re-read at once (a change to all of them; the first look) is checked
    by counting the keys, and only then key by key: the error still names both files,
    and the open library keeps its view."""
    import json
    import os

    files = sorted((sharded.root / "papers").glob("*.json"))
    shown = set(sharded.keys())
    first, second = files[0], files[-1]
    data = json.loads(second.read_text())
    key = sorted(json.loads(first.read_text())["papers"])[0]
    data["papers"][key] = json.loads(first.read_text())["papers"][key]
    second.write_text(json.dumps(data))
    for path in files[:-1]:  # every other shard changes too
        path.write_bytes(path.read_bytes())
        os.utime(path, ns=(1, 1))
    with pytest.raises(LibraryError, match=f"the paper '{key}' is stored twice, in {first} and {second}"):
        sharded.refresh()
    assert set(sharded.keys()) == shown


def test_a_shard_file_gone_with_a_duplicate_elsewhere_leaves_a_consistent_view(
        sharded: Library) -> None:
    """A file that is gone takes its papers with it even when the catch-up then fails on
    a paper stored twice: the catalog follows the keys (it listed papers that were no
    longer there)."""
    import json

    assert len(sharded.catalog()) == 356
    (sharded.root / "papers" / "0004.json").unlink()
    first, second = (sharded.root / "papers" / f"{n:04d}.json" for n in (1, 2))
    backup = second.read_bytes()
    data = json.loads(backup)
    copied = sorted(json.loads(first.read_text())["papers"])[0]
    data["papers"][copied] = json.loads(first.read_text())["papers"][copied]
    second.write_text(json.dumps(data))
    with pytest.raises(LibraryError, match="stored twice"):
        sharded.refresh()
    assert len(sharded) == len(sharded.catalog()) == 300
    second.write_bytes(backup)
    sharded.refresh()
    assert len(sharded) == len(sharded.catalog()) == len(Library(sharded.root)) == 300


def test_a_paper_deleted_then_restored_to_another_shard_is_no_duplicate(sharded: Library) -> None:
    """Undoing a delete puts the paper in the last shard; another process that catches
    up with both commits at once sees it there only."""
    other = Library(sharded.root)
    key = sharded.shards[0].keys_in_order()[0]
    sharded.undo(sharded.remove([key]))
    assert sharded.shard_of(key).number == 4
    assert other.refresh() and other.shard_of(key).number == 4 and len(other) == 356


def test_a_damaged_key_cache_is_a_miss(sample_library: Library) -> None:
    """The key cache is derived data: too deeply nested JSON there is a miss, not an
    error (the standard library raises RecursionError on it)."""
    cache = sample_library.cache_dir / "keys" / "0001.keys"
    assert cache.exists()
    cache.write_bytes(b"[" * 3000 + b"]" * 3000 + b"\n" + cache.read_bytes().partition(b"\n")[2])
    assert len(Library(sample_library.root)) == len(sample_library)


def test_dry_run_changes_nothing(library: Library) -> None:
    report = library.add(sample_entries(), dry_run=True)
    assert len(report.new) == 356
    assert len(library) == 0 and not (library.root / "papers").exists()


def test_a_file_is_not_a_library(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(LibraryError, match="is a file, not a library directory"):
        Library(tmp_path / "file")


def test_a_link_to_nowhere_is_named_as_such(tmp_path: Path) -> None:
    """It said "cannot create the library directory DIR: File exists" (a black-box review)."""
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    with pytest.raises(LibraryError, match=r"link is a symbolic link to .*nowhere, which does not exist"):
        Library(tmp_path / "link")
    assert not (tmp_path / "nowhere").exists()


def test_refresh_does_not_wait_long_for_a_busy_library(sample_library: Library) -> None:
    import subprocess
    import sys
    import time

    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from filelock import FileLock;"
         "l = FileLock(sys.argv[1]); l.acquire(); print('held', flush=True); time.sleep(30)",
         str(sample_library.root / ".lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        with pytest.raises(LibraryError, match="busy"):
            sample_library.refresh(wait=0.05)
        assert time.monotonic() - start < 1.0
    finally:
        holder.kill()
        holder.wait()
    assert sample_library.refresh(wait=1.0) is False


@pytest.mark.parametrize(("file", "edit", "says"), [
    ("papers", lambda r: r.update(seq="abc"), "has seq 'abc', which should be a whole number"),
    ("papers", lambda r: r.update(seq=2**63), "which should be a whole number"),
    ("papers", lambda r: r.update(tags="to-read"), "has tags 'to-read', which should be a list"),
    ("papers", lambda r: r.update(read="yes"), "has read 'yes', which should be true or false"),
    ("papers", lambda r: r.update(year=2024), "has year 2024, which should be text or null"),
    ("papers", lambda r: r.update(sources=[{"file": 3}]), "should be a list of sources"),
    ("papers", lambda r: r.pop("title"), "has no title"),
    ("papers", lambda r: r.update(title=["A", "B"]), 'has title ["A", "B"], which should be text'),
    ("texts", lambda r: r.update(abstract=None), "has abstract null, which should be text"),
    ("texts", lambda r: r.update(imported_keywords="ml"),
     "has imported_keywords 'ml', which should be a list of texts"),
    ("texts", lambda r: r.update(imported_annotes=[1, 2]), "which should be a list of texts"),
    ("texts", lambda r: r.update(bib_keys={}), "which should be a list of texts"),
])
def test_a_hand_edited_record_of_the_wrong_shape_is_named(
        sample_library: Library, file: str, edit: Callable[[dict[str, object]], object],
        says: str) -> None:
    root = sample_library.root
    assert damage_behind(root, TypeError()) is None
    path = root / file / "0001.json"
    data = json.loads(path.read_text())
    key = sorted(data[file])[5]
    edit(data[file][key])
    path.write_text(json.dumps(data))
    damage = damage_behind(root, TypeError())
    assert damage is not None and str(path) in str(damage) and repr(key) in str(damage)
    assert says in str(damage) and "restore it from git" in str(damage)


def test_a_record_that_is_not_an_object_is_named(sample_library: Library) -> None:
    path = sample_library.root / "papers" / "0001.json"
    data = json.loads(path.read_text())
    data["papers"][sorted(data["papers"])[0]] = 5
    path.write_text(json.dumps(data))
    damage = damage_behind(sample_library.root, ValueError())
    assert damage is not None and "is not a JSON object" in str(damage)


def test_the_diagnosis_blames_no_record_for_other_failures_and_changes_nothing(
        sample_library: Library) -> None:
    """A full disk is not a record's fault; and the diagnosis runs after a failure, so
    it reads without the lock (held here by another process) and writes nothing."""
    import subprocess
    import sys

    root = sample_library.root
    path = root / "papers" / "0001.json"
    data = json.loads(path.read_text())
    data["papers"][sorted(data["papers"])[0]]["seq"] = 8.0
    path.write_text(json.dumps(data))
    assert damage_behind(root, OSError(28, "No space left on device")) is None
    files = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'w');"
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(30)",
         str(root / ".lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        damage = damage_behind(root, TypeError())
    finally:
        holder.kill()
        holder.wait()
    assert damage is not None and "has seq 8.0" in str(damage)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == files


def test_null_lists_read_as_empty(sample_library: Library) -> None:
    """``"tags": null`` (and null links or sources) is read as no tags, everywhere."""
    path = sample_library.root / "papers" / "0001.json"
    data = json.loads(path.read_text())
    key = sorted(data["papers"])[0]
    data["papers"][key].update(tags=None, links=None, sources=None)
    path.write_text(json.dumps(data))
    library = Library(sample_library.root)
    assert library.stats()["papers"] == 356 and library.tags() == {}
    library.tag([key], "x")
    library.untag([key], "x")
    entry = Entry(title=library.get(key).title, abstract=ABSTRACT,
                  source=Source("again.txt", None), links=("https://example.org/x",))
    report = library.add([entry], ["again"])
    assert report.existing == [key] and library.get(key).tags == ("again",)
    assert library.get(key).links == ("https://example.org/x",)


def test_a_link_an_older_version_read_too_far_is_read_again_by_a_reimport(library: Library) -> None:
    """Versions before 2026-11-24 ran a link into the prose after it (an em dash, a
    Chinese comma, two links without a space): after a re-import the wrong link stayed
    first, beside the right ones, and ``o`` opened it. The links read now go before it;
    it stays (a URL may hold what ends a link in prose: ジャン＝ポール, a review)."""
    old = ("https://a.org/x—see", "https://b.org/k", "https://c.org/1，https://c.org/2")
    key = library.add([Entry(title="Stale Links", abstract=ABSTRACT, links=old)]).new[0]
    again = Entry(title="Stale Links", abstract=ABSTRACT, source=Source("again.txt", None),
                  links=("https://a.org/x", "https://c.org/1", "https://c.org/2"))
    library.add([again])
    assert library.get(key).links == ("https://a.org/x", old[0], old[1], "https://c.org/1",
                                      "https://c.org/2", old[2])
    fresh = Library(library.root)
    assert fresh.get(key).links == library.get(key).links
    library.add([again])  # once is enough
    assert library.get(key).links == fresh.get(key).links
    # a link the import does not bring again, or reads as it is, stays as it is
    fresh.add([Entry(title="Stale Links", links=("https://d.org/x—y", "https://a.org/x"))])
    assert fresh.get(key).links[-1] == "https://d.org/x—y"
    later = fresh.add([Entry(title="Later", links=("https://g.org/x—see",))]).new[0]
    fresh.add([Entry(title="Later", links=("https://h.org",))])
    fresh.add([Entry(title="Later", links=("https://g.org/x",))])
    assert fresh.get(later).links == ("https://g.org/x", "https://g.org/x—see", "https://h.org")
    fresh.add([Entry(title="Later", links=("https://h.org", "https://g.org/x"))])
    assert fresh.get(later).links == ("https://g.org/x", "https://g.org/x—see", "https://h.org")
    # the right link after the wrong one (a re-import by the code that read it right)
    stored = fresh.add([Entry(title="Stored", links=("https://g.org/x—see", "https://h.org",
                                                     "https://g.org/x"))]).new[0]
    fresh.add([Entry(title="Stored", links=("https://g.org/x",))])
    assert fresh.get(stored).links == fresh.get(later).links
    twice = fresh.add([Entry(title="Twice", links=("https://g.org/x—see", "https://g.org/x",
                                                   "https://g.org/x"))]).new[0]
    fresh.add([Entry(title="Twice", links=("https://g.org/x",))])  # (one copy moves up)
    assert fresh.get(twice).links == ("https://g.org/x", "https://g.org/x—see", "https://g.org/x")
    other = fresh.add([Entry(title="Other", links=("https://e.org/q—r",))]).new[0]
    fresh.add([Entry(title="Other", links=("https://f.org",))])
    assert fresh.get(other).links == ("https://e.org/q—r", "https://f.org")


def test_a_link_as_written_is_not_read_again(library: Library) -> None:
    """What a review found the first reading again do: a .bib ``url`` or DOI, taken as
    written, was cut where the same address in an abstract ends (at ``|`` or ``<``, or
    beyond ASCII), even by the import that brought it; links a file holds twice lost
    one."""
    url, doi = "https://x.org/a—b", "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"
    bib = Entry(title="As Written", bib_key="w", entry_type="misc",
                fields={"URL": f"{{{url}}}", "doi": f'"{doi}"'},  # as written in the file
                links=(url, f"https://doi.org/{doi}"))
    prose = Entry(title="As Written", abstract=ABSTRACT,
                  links=("https://x.org/a", "https://doi.org/10.1002/(SICI)1097-4571(199806)49:8"))
    key = library.add([bib, prose]).new[0]  # one import: the second merges into the first
    assert library.get(key).links == bib.links + prose.links
    library.add([prose])
    assert library.get(key).links == bib.links + prose.links
    # cut at ASCII (where every version stopped reading) is no older reading either
    fonts = "https://fonts.googleapis.com/css?family=Roboto|Open+Sans"
    key = library.add([Entry(title="Fonts", links=(fonts, fonts, "https://y.org/b—see"))]).new[0]
    library.add([Entry(title="Fonts", links=("https://fonts.googleapis.com/css?family=Roboto",
                                             "https://y.org/b"))])
    assert library.get(key).links == (fonts, fonts, "https://y.org/b", "https://y.org/b—see",
                                      "https://fonts.googleapis.com/css?family=Roboto")


def test_a_title_in_compatibility_letters_is_the_same_paper_and_found_by_its_plain_words(
        library: Library) -> None:
    # Bold "𝐁𝐄𝐑𝐓" decomposes to capitals: folded again, next to Cyrillic too.
    report = library.add([entry("𝐁𝐄𝐑𝐓 для русского языка")])
    assert len(report.new) == 1
    assert library.add([entry("BERT для русского языка", "g.txt")]).existing == report.new
    assert search(library.catalog(), "bert для").keys() == report.new


def test_a_note_keeps_its_lines_and_tabs_but_no_control_character(library: Library) -> None:
    (key,) = library.add([entry("Noted Paper")]).new
    library.set_note(key, "first\x1b[2J line\r\n\tsecond\x07")
    assert Library(library.root).get(key).note == "first line\n\tsecond"


def test_a_paper_deleted_by_another_process_is_an_unknown_key_not_a_crash(library: Library) -> None:
    (key,) = library.add([entry("Soon Deleted")]).new
    Library(library.root).remove([key])
    for change in (lambda: library.tag([key], "x"), lambda: library.set_note(key, "n"),
                   lambda: library.remove([key])):
        with pytest.raises(UnknownKeyError, match="no paper with key"):
            change()


def test_preambles_are_kept_once_each_in_the_library_metadata(library: Library) -> None:
    noop = '"\\providecommand{\\noopsort}[1]{}"'
    library.add([entry("One")], preambles=[noop, noop], dry_run=True)
    assert library.preambles() == []
    library.add([entry("One")], preambles=[noop, "{\\def\\x{}}", noop])
    library.add([entry("One", "again.txt")], preambles=["{\\def\\y{}}", noop])  # no new paper
    assert Library(library.root).preambles() == [noop, "{\\def\\x{}}", "{\\def\\y{}}"]
    assert json.loads((library.root / "papershelf.json").read_text())["library"]["library"][
        "preambles"] == [noop, "{\\def\\x{}}", "{\\def\\y{}}"]


def test_undoing_a_delete_whose_key_another_paper_took_brings_it_back_under_a_new_key(
        library: Library) -> None:
    (key,) = library.add([entry("VALOR: One")]).new
    library.set_note(key, "important")
    removed = library.remove([key])
    assert Library(library.root).add([entry("VALOR: Two")]).new == [key]  # the freed key
    redo = library.undo(removed)
    again = Library(library.root)
    back = [k for k in again.keys() if again.get(k).title == "VALOR: One"]
    assert back == [f"{key}-2"] and again.get(back[0]).note == "important"
    assert again.get(key).title == "VALOR: Two" and redo.kept == ()
    assert redo.moved == {key: f"{key}-2"}  # the app says so
    library.undo(redo)  # and redo deletes it again, leaving the other paper
    assert sorted(Library(library.root).keys()) == [key]


def test_undoing_a_tag_leaves_the_bulky_text_file_alone(library: Library) -> None:
    (key,) = library.add([entry("Tagged Then Not")]).new
    texts = library.root / "texts" / "0001.json"
    before = texts.stat()
    library.undo(library.tag([key], "x"))
    assert Library(library.root).get(key).tags == ()
    after = texts.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_undoing_a_big_delete_fills_the_last_shards_only_up_to_their_size(sharded: Library) -> None:
    # 356 papers in shards of 100: 100, 100, 100, 56. Deleting 150 and undoing it puts
    # them back in the last shards, none over 100 papers.
    doomed = sorted(sharded.keys())[:150]
    sharded.undo(sharded.remove(doomed))
    again = Library(sharded.root)
    assert sorted(again.keys()) == sorted(sharded.keys()) and len(again) == 356
    sizes = [len(shard.records()) for shard in again.shards]
    assert max(sizes) <= 100 and sum(sizes) == 356


def test_a_write_sees_what_another_process_wrote_after_this_one_last_read(library: Library) -> None:
    first, second = library.add([entry("Paper Alpha"), entry("Paper Beta")]).new
    assert library.get(first).tags == ()  # the shard is now cached in this process
    Library(library.root).tag([second], "theirs")
    library.tag([first], "ours")
    again = Library(library.root)
    assert (again.get(first).tags, again.get(second).tags) == (("ours",), ("theirs",))
    library.tag([first, second], "both")  # several reads of the shard in one write
    assert Library(library.root).get(second).tags == ("theirs", "both")


def test_papers_another_process_added_or_deleted_since_are_found_or_unknown(
        library: Library) -> None:
    (old,) = library.add([entry("An Older Paper")]).new
    assert old in library
    other = Library(library.root)
    (new,) = other.add([entry("A Zebrafish Paper")]).new
    # This process's view is older: the search reads the changed file, the keys follow.
    found = search(library.catalog(), "zebrafish").keys()
    assert found == [new]
    library.set_read(found)
    assert library.get(new).read and Library(library.root).get(new).read
    other.remove([old])
    with pytest.raises(UnknownKeyError, match="no paper with key"):
        library.record(old)


@pytest.mark.parametrize("error", [PermissionError(13, "Permission denied"),
                                   OSError(30, "Read-only file system")], ids=["EACCES", "EROFS"])
def test_a_library_that_cannot_be_written_fails_one_clear_way_and_stays_readable(
        library: Library, monkeypatch: pytest.MonkeyPatch, error: OSError) -> None:
    from papershelf import storage

    (key,) = library.add([entry("Read Only Paper")]).new
    real_open = storage.os.open

    def no_write(path: object, flags: int, *args: object) -> int:
        if flags & (storage.os.O_CREAT | storage.os.O_WRONLY | storage.os.O_RDWR):
            raise type(error)(error.errno, error.strerror, str(path))
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(storage.os, "open", no_write)
    reader = Library(library.root)  # locks through a read-only descriptor
    assert reader.get(key).title == "Read Only Paper"

    def denied(path: object, data: bytes) -> None:
        raise type(error)(error.errno, error.strerror, str(path))

    monkeypatch.setattr(storage, "_write_durably", denied)
    with pytest.raises(LibraryError, match=f"cannot write to the library .*{error.strerror}"):
        reader.tag([key], "x")
    monkeypatch.undo()
    assert Library(library.root).get(key).tags == ()
    with pytest.raises(LibraryError, match="cannot lock the library"):
        from papershelf.storage import LibraryLock

        with LibraryLock(library.root / "gone" / "away").held():
            pass


def test_a_storage_tells_what_its_file_may_hold_without_parsing_it(tmp_path: Path) -> None:
    path = tmp_path / "texts.json"
    storage = storage_module.JSONFileStorage(path)
    assert not storage.may_hold(b'"crossref"')  # no file
    storage.write({"texts": {"k": {"abstract": "a", "fields": {"crossref": "{p}"}}}})
    storage.forget()
    assert storage.may_hold(b'"crossref"') and not storage.may_hold(b'"nowhere"')
    assert storage.read() is not None
    assert storage.may_hold(b'"nowhere"')  # read already: "look in the data"


def test_a_title_stored_with_a_soft_hyphen_is_the_same_paper_as_without(tmp_path: Path) -> None:
    """Older code kept the soft hyphens of a page copied from a browser; the same title
    imported now (they are dropped) was another paper, and `pretraining` found the old
    one only by its typo-tolerance."""
    import dataclasses

    from papershelf.importers.pages import parse_page_dump

    library = Library(tmp_path / "lib")
    entries = parse_page_dump("Pretraining Large Models\n\nWe study it. It works.\n", "x.txt").entries
    library.add([dataclasses.replace(entries[0], title="Pre\u00adtraining Large\u200b Models")])
    report = library.add(entries)
    assert (report.new, report.existing) == ([], ["pretraining-large-models"])
    assert search(library.catalog(), '"pretraining large"').keys() == ["pretraining-large-models"]


def test_a_missing_texts_file_is_named_not_read_as_no_abstracts(sample_library: Library,
                                                                tmp_path: Path) -> None:
    """``texts/0001.json`` gone (a bad checkout, a hand delete): its papers were shown and
    exported without abstract or BibTeX fields, and saved so by the next change (found
    by a black-box review). It is named, and nothing is written; an empty one is a choice."""
    root = sample_library.root
    texts = root / "texts" / "0001.json"
    texts.unlink()
    papers = (root / "papers" / "0001.json").read_bytes()
    with pytest.raises(LibraryError, match=r"texts/0001.json is missing, but .*papers/0001.json "
                                           r"holds 356 papers"):
        Library(root).tag(["languagebind"], "x")
    assert (root / "papers" / "0001.json").read_bytes() == papers and not texts.exists()
    texts.write_text('{"texts": {}}')
    assert Library(root).get("languagebind").abstract == ""


def test_a_paper_missing_from_its_texts_file_is_named_not_shown_without_its_abstract(
        sample_library: Library, tmp_path: Path) -> None:
    """One paper's record gone from ``texts/`` (a bad merge): it was shown and exported
    without abstract or BibTeX fields, with nothing said (a data-safety review)."""
    from papershelf.exporters.bibtex import to_bibtex

    root = sample_library.root
    path = root / "texts" / "0001.json"
    data = json.loads(path.read_text())
    del data["texts"]["languagebind"]
    path.write_text(json.dumps(data))
    library = Library(root)
    said = r"texts/0001.json has no record of the paper 'languagebind', which .*papers/0001.json holds"
    with pytest.raises(LibraryError, match=said):
        library.get("languagebind")
    with pytest.raises(LibraryError, match=said):
        to_bibtex(library.papers(), {})
    with pytest.raises(LibraryError, match=said):
        list(library.iter_papers(["ctp", "languagebind"]))
    assert library.get("ctp").abstract  # the others are read as ever
    data["texts"]["languagebind"] = {"abstract": ""}  # the way out the hint gives
    path.write_text(json.dumps(data))
    assert Library(root).get("languagebind").abstract == ""


@pytest.mark.parametrize("bad", ["Bad Key!", "-dash-first", "tab\there", "ünïcode", "", "two\nlines",
                                 "ends\n"])
def test_a_key_bibtex_cannot_read_put_in_by_hand_is_named(sample_library: Library, bad: str) -> None:
    """A key edited by hand (or by a merge) into one BibTeX cannot read: every command
    worked, and the export wrote ``@misc{Bad Key!,``, which BibTeX rejects (found by a
    black-box review). Named, with its file, as any other hand damage."""
    root = sample_library.root
    path = root / "papers" / "0001.json"
    data = json.loads(path.read_text())
    data["papers"][bad] = data["papers"].pop("languagebind")
    path.write_text(json.dumps(data))
    with pytest.raises(LibraryError, match=f"{path}: the paper .* has a key BibTeX cannot read"):
        Library(root)


def test_a_papers_file_without_its_table_is_named(sample_library: Library) -> None:
    """``{}`` written over ``papers/0001.json`` read as a shard without papers: 356 papers
    gone without a word, their texts left behind (found by a black-box review). An
    emptied shard keeps its table, ``{"papers": {}}``, which stays a choice."""
    root = sample_library.root
    path = root / "papers" / "0001.json"
    path.write_text("{}")
    with pytest.raises(LibraryError, match=f"{path} holds no 'papers' table"):
        Library(root)
    path.write_text('{"papers": {}}')
    assert len(Library(root)) == 0
