"""``crossref``: BibTeX reads an entry a crossref names only after the entries naming
it, and only under the key it has in the file. Exports move such entries after those
pointing to them, and an import points crossrefs at the keys their targets got."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from papershelf.exporters.bibtex import to_bibtex
from papershelf.exporters.bibtex_cache import bibtex_pieces
from papershelf.exporters.bibtex_order import crossref_order
from papershelf.importers import parse_input
from papershelf.importers.bibtex import parse_bibtex
from papershelf.library import Library
from tests.test_latex_compile import bbl_items, cli, compile_document

PROCEEDINGS = """@proceedings{cvpr2020,
  title = {Proceedings of the Conference on Computer Vision and Pattern Recognition},
  booktitle = {Proceedings of CVPR 2020},
  editor = {Ann Editor},
  publisher = {IEEE},
  year = {2020},
}
"""
PAPERS = """@inproceedings{smith20,
  author = {John Smith},
  title = {Seeing Things},
  pages = {1--10},
  crossref = {cvpr2020},
}
@inproceedings{doe20,
  author = {Jane Doe},
  title = {Seeing More Things},
  pages = {11--20},
  crossref = {CVPR2020},
}
"""
#: As DBLP writes it ("with crossref"): keys the library cannot take (``/``).
DBLP = """@inproceedings{DBLP:conf/iccv/Lee21,
  author = {Kim Lee},
  title = {Looking Closer},
  crossref = {DBLP:conf/iccv/2021},
}
@proceedings{DBLP:conf/iccv/2021,
  editor = {Bo Chair},
  title = {Proceedings of ICCV 2021},
  booktitle = {Proceedings of ICCV 2021},
  publisher = {IEEE},
  year = {2021},
}
"""


def _heads(bib: str) -> list[str]:
    return re.findall(r"^@\w+\{([^,]+),$", bib, re.MULTILINE)


def test_an_entry_named_by_a_crossref_moves_after_every_entry_naming_it() -> None:
    keys = ["a", "parent", "b", "child", "c"]
    assert crossref_order(keys, {"child": "Parent"}) == ["a", "b", "child", "c", "parent"]
    # a chain: grandparent after parent after child
    assert crossref_order(["g", "p", "c"], {"c": "p", "p": "g"}) == ["c", "p", "g"]
    # crossrefs to papers not exported, or of papers not exported, move nothing
    assert crossref_order(keys, {"child": "elsewhere", "gone": "a", "a": "a"}) is keys
    # a cycle ends (BibTeX cannot resolve it either) and loses no key
    assert sorted(crossref_order(["x", "y"], {"x": "y", "y": "x"})) == ["x", "y"]


@pytest.fixture
def crossref_library(tmp_path: Path) -> Path:
    """The proceedings imported before the papers that crossref them, then a DBLP file."""
    root = tmp_path / "crossref-lib"
    for name, text in (("proc.bib", PROCEEDINGS), ("papers.bib", PAPERS), ("dblp.bib", DBLP)):
        (tmp_path / name).write_text(text)
        cli(root, "import", str(tmp_path / name))
    return root


def test_an_import_points_crossrefs_at_the_keys_their_targets_got(crossref_library: Path) -> None:
    show = cli(crossref_library, "show", "looking-closer", "--bibtex").stdout
    assert "crossref = {proceedings-iccv-2021}," in show
    assert "crossref = {cvpr2020}," in cli(crossref_library, "show", "smith20", "--bibtex").stdout


@pytest.mark.parametrize("target_first", [True, False])
def test_a_crossref_to_a_paper_of_another_import_that_got_another_key(
        tmp_path: Path, target_first: bool) -> None:
    """DBLP's paper and its proceedings imported from two files (in either order): the
    crossref named the proceedings' DBLP key, which the library holds under another, and
    BibTeX stopped at the export ("A bad cross reference"; a black-box review)."""
    paper, proceedings = DBLP.split("@proceedings")
    files = [("proc.bib", "@proceedings" + proceedings), ("paper.bib", paper)]
    lib = Library(tmp_path / "lib")
    for name, text in files if target_first else files[::-1]:
        report = lib.add(parse_bibtex(text, name).entries)
        assert report.missing_crossrefs == ({} if target_first or name == "proc.bib"
                                            else {"looking-closer": "DBLP:conf/iccv/2021"})
    fresh = Library(lib.root)
    assert fresh.get("looking-closer").fields["crossref"] == "{proceedings-iccv-2021}"
    assert "bib_keys" not in fresh.get("looking-closer").to_json()  # (kept, never shown)
    if shutil.which("bibtex"):
        cli(lib.root, "export", "-o", str(tmp_path / "refs.bib"))
        _bbl, blg, _log = compile_document(tmp_path, "plain", cite="looking-closer")
        assert "error message" not in blg and "bad cross reference" not in blg, blg
    if not target_first:  # undoing the import of the proceedings puts the crossref back
        assert report.change is not None
        lib.undo(report.change)
        assert Library(lib.root).get("looking-closer").fields["crossref"] == "{DBLP:conf/iccv/2021}"


def test_a_bib_key_that_got_another_key_here_names_the_paper(crossref_library: Path) -> None:
    """`show DBLP:conf/iccv/Lee21` said "no paper with key" and nothing more: the key
    the .bib had was said once, at the import (a black-box review)."""
    import subprocess
    import sys

    def show(key: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "papershelf", "--library", str(crossref_library),
                               "show", key], capture_output=True, text=True, timeout=60)

    for typed in ("DBLP:conf/iccv/Lee21", "dblp:conf/iccv/lee21"):
        shown = show(typed)
        assert (shown.returncode, shown.stderr) == (1, (
            f"papershelf: error: no paper with key '{typed}' (it is the .bib key of looking-closer "
            "here: use that key, and cite it so)\n"))
    assert "did you mean" in show("looking-close").stderr


def test_a_crossref_naming_a_paper_here_stays_when_another_entry_of_its_key_comes(
        tmp_path: Path) -> None:
    """Found by a code review: another @proceedings{cvpr2020} imported later takes the
    key cvpr2020-2; smith20's crossref, which names the cvpr2020 here, was pointed at it."""
    lib = Library(tmp_path / "lib")
    lib.add(parse_bibtex(PROCEEDINGS + PAPERS, "first.bib").entries)
    other = PROCEEDINGS.replace("Proceedings of the Conference", "Proceedings of Another Conference")
    report = lib.add(parse_bibtex(other.replace("2020}", "2021}"), "second.bib").entries)
    assert report.new == ["cvpr2020-2"]
    assert Library(lib.root).get("smith20").fields["crossref"] == "{cvpr2020}"


def test_exports_write_crossref_targets_last_from_the_cache_too(crossref_library: Path) -> None:
    lib = Library(crossref_library)
    expected = ["smith20", "doe20", "looking-closer", "cvpr2020", "proceedings-iccv-2021"]
    for _ in range(2):  # rendered, then from the cache
        assert _heads(b"".join(bibtex_pieces(Library(crossref_library))).decode()) == expected
    assert _heads(b"".join(bibtex_pieces(lib, ["cvpr2020", "doe20"])).decode()) == ["doe20", "cvpr2020"]
    assert _heads(to_bibtex(lib.papers(["cvpr2020", "smith20"]))) == ["smith20", "cvpr2020"]


def test_papers_in_other_shards_than_their_crossref_target(sharded: Library) -> None:
    first = next(iter(sharded.papers())).key
    papers = re.sub("{cvpr2020}", "{" + first + "}", PAPERS, flags=re.IGNORECASE)
    sharded.add(parse_bibtex(papers, "papers.bib").entries)
    heads = _heads(b"".join(bibtex_pieces(Library(sharded.root))).decode())
    assert heads[-1] == first and heads[-3:-1] == ["smith20", "doe20"]
    assert len(heads) == len(sharded)


@pytest.mark.skipif(shutil.which("bibtex") is None, reason="bibtex is not installed")
def test_bibtex_resolves_every_crossref_of_an_export(crossref_library: Path) -> None:
    work = crossref_library.parent
    cli(crossref_library, "export", "-o", str(work / "refs.bib"))
    # cited alone, not by \nocite{*}: only then does BibTeX need the order
    bbl, blg, _log = compile_document(work, "plain", cite="smith20,doe20,looking-closer")
    assert "error message" not in blg and "bad cross reference" not in blg, blg
    items = bbl_items(bbl)
    # two papers cite the CVPR proceedings: BibTeX lists it and they cite it; the ICCV
    # paper alone takes the fields of its proceedings
    assert "In Editor <cit.>" in items["smith20"] and "In Editor <cit.>" in items["doe20"]
    assert "In Bo Chair, editor, Proceedings of ICCV 2021. IEEE, 2021" in items["looking-closer"]


def test_a_library_without_crossrefs_exports_shard_by_shard(sharded: Library,
                                                            crossref_library: Path) -> None:
    """Only a library that imported a crossref pays for ordering every key."""
    assert not sharded.has_crossrefs()
    assert Library(crossref_library).has_crossrefs()
    sharded.add(parse_bibtex(PROCEEDINGS, "proc.bib").entries)
    assert not Library(sharded.root).has_crossrefs()


def test_some_papers_come_with_the_papers_their_crossrefs_name(crossref_library: Path) -> None:
    lib = Library(crossref_library)
    assert lib.with_crossref_targets(["smith20"]) == ["smith20", "cvpr2020"]
    assert lib.with_crossref_targets(["doe20", "smith20"]) == ["doe20", "smith20", "cvpr2020"]
    assert lib.with_crossref_targets(["cvpr2020", "doe20"]) == ["cvpr2020", "doe20"]  # already in
    assert lib.with_crossref_targets(["looking-closer"]) == ["looking-closer", "proceedings-iccv-2021"]
    assert lib.with_crossref_targets([]) == []
    # every way of writing some papers' BibTeX
    assert _heads(cli(crossref_library, "show", "smith20", "--bibtex").stdout) == ["smith20", "cvpr2020"]
    assert _heads(cli(crossref_library, "export", "key:smith").stdout) == ["smith20", "cvpr2020"]
    out = crossref_library.parent / "some.bib"
    done = cli(crossref_library, "export", "key:smith", "-o", str(out)).stdout
    assert done == f"exported 1 paper and 1 paper it cross-references to {out}\n"
    assert _heads(out.read_text()) == ["smith20", "cvpr2020"]
    done = cli(crossref_library, "export", "seeing", "-o", str(out)).stdout
    assert done == f"exported 2 papers and 1 paper they cross-reference to {out}\n"
    # JSON and Markdown hold no crossref: only the papers asked for
    assert '"cvpr2020"' not in cli(crossref_library, "export", "key:smith", "--format", "json").stdout


def test_a_chain_of_crossrefs_comes_whole_and_a_missing_target_is_left_out(tmp_path: Path) -> None:
    root = tmp_path / "chain"
    (tmp_path / "chain.bib").write_text(
        "@inbook{part, title = {A Part}, crossref = {book}}\n"
        "@book{book, title = {A Book}, crossref = {series}}\n"
        "@book{series, title = {A Series}}\n"
        "@inbook{orphan, title = {An Orphan Part}, crossref = {nowhere}}\n")
    cli(root, "import", str(tmp_path / "chain.bib"))
    lib = Library(root)
    assert lib.with_crossref_targets(["part"]) == ["part", "book", "series"]
    assert lib.with_crossref_targets(["orphan"]) == ["orphan"]
    assert _heads(b"".join(bibtex_pieces(lib, lib.with_crossref_targets(["part"]))).decode()) \
        == ["part", "book", "series"]


def test_some_papers_rendered_alone_come_in_crossref_order(crossref_library: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A shard the cache misses, of which few papers are exported, renders only them:
    the same bytes, targets still after the entries naming them."""
    from papershelf.exporters import bibtex_cache

    keys = ["cvpr2020", "looking-closer", "doe20", "smith20", "proceedings-iccv-2021"]
    whole = b"".join(bibtex_pieces(Library(crossref_library), keys))
    shutil.rmtree(Library(crossref_library).cache_dir / "bibtex")
    monkeypatch.setattr(bibtex_cache, "WHOLE_SHARD_SHARE", 2.0)  # every shard: only those papers
    alone = b"".join(bibtex_pieces(Library(crossref_library), keys))
    assert alone == whole
    assert _heads(alone.decode()) == ["looking-closer", "doe20", "smith20", "cvpr2020",
                                      "proceedings-iccv-2021"]
    assert not (Library(crossref_library).cache_dir / "bibtex").exists() or \
        not any((Library(crossref_library).cache_dir / "bibtex").iterdir())


@pytest.mark.skipif(shutil.which("bibtex") is None, reason="bibtex is not installed")
def test_bibtex_resolves_the_crossref_of_an_export_of_some_papers(crossref_library: Path) -> None:
    work = crossref_library.parent
    cli(crossref_library, "export", "key:looking", "-o", str(work / "refs.bib"))
    bbl, blg, _log = compile_document(work, "plain", cite="looking-closer")
    assert "error message" not in blg and "bad cross reference" not in blg, blg
    assert "Proceedings of ICCV 2021. IEEE, 2021" in bbl_items(bbl)["looking-closer"]


def test_the_tui_copies_and_exports_some_papers_with_their_crossref_targets(
        crossref_library: Path) -> None:
    from papershelf.tui.shelf import Shelf

    shelf = Shelf(crossref_library)
    assert _heads(shelf.bibtex(["doe20"])[0]) == ["doe20", "cvpr2020"]
    out = crossref_library.parent / "tui.bib"
    shelf.export_bibtex(["looking-closer"], out)
    assert _heads(out.read_text()) == ["looking-closer", "proceedings-iccv-2021"]


@pytest.mark.skipif(shutil.which("bibtex") is None, reason="bibtex is not installed")
def test_deleting_a_crossref_target_leaves_what_the_papers_naming_it_inherited(
        crossref_library: Path) -> None:
    done = cli(crossref_library, "rm", "cvpr2020").stdout
    assert done == ("deleted 1 paper\nsmith20, doe20 took the fields they inherited by crossref "
                    "from a deleted paper\n")
    lib = Library(crossref_library)
    smith = lib.get("smith20")
    assert "crossref" not in smith.fields and smith.year == "2020"
    # what BibTeX filled in: all but the target's own title (and the paper keeps its own)
    assert smith.fields["booktitle"] == "{Proceedings of CVPR 2020}"
    assert smith.fields["publisher"] == "{IEEE}" and smith.fields["title"] == "{Seeing Things}"
    work = crossref_library.parent
    cli(crossref_library, "export", "-o", str(work / "refs.bib"))
    bbl, blg, _log = compile_document(work, "plain", cite="smith20,doe20")
    assert "error message" not in blg and "bad cross reference" not in blg, blg
    items = bbl_items(bbl)
    assert items["smith20"] == ("John Smith. Seeing things. In Ann Editor, editor, Proceedings "
                                "of CVPR 2020, pages 1–10. IEEE, 2020.")
    assert "editor, Proceedings of CVPR 2020, pages 11–20. IEEE, 2020." in items["doe20"]


def test_a_deleted_crossref_target_in_a_chain_passes_its_own_on_and_undo_restores_all(
        tmp_path: Path) -> None:
    root = tmp_path / "chain"
    (tmp_path / "chain.bib").write_text(
        "@inbook{part, title = {A Part}, chapter = {3}, crossref = {book}}\n"
        "@book{book, title = {A Book}, publisher = {P}, Chapter = {9}, crossref = {series}}\n"
        "@book{series, title = {A Series}, series = {S}, year = {1999}}\n"
        "@misc{other, title = {Other}}\n")
    lib = Library(root)
    lib.add(parse_bibtex((tmp_path / "chain.bib").read_text(), "chain.bib").entries)
    before = lib.get("part")
    assert lib.remove(["other"]).keys == ("other",)  # names no crossref target: alone
    change = lib.remove(["book"])
    assert change.deleted == ("book",) and set(change.keys) == {"book", "part"}
    part = lib.get("part")
    assert part.fields["crossref"] == "{series}" and part.fields["chapter"] == "{3}"
    assert part.fields["publisher"] == "{P}" and "Chapter" not in part.fields
    assert part.year is None  # inherited from the series, which is still there
    # both deleted at once: the part takes from the book, then from the series
    lib.undo(change)
    assert lib.get("part") == before
    change = lib.remove(["series", "book"])
    assert change.deleted == ("series", "book")
    part = lib.get("part")
    assert "crossref" not in part.fields and part.fields["series"] == "{S}" and part.year == "1999"
    lib.undo(change)
    assert lib.get("part") == before and {"book", "series"} <= set(lib.keys())


async def test_the_tui_says_which_papers_took_the_fields_of_a_deleted_crossref_target(
        crossref_library: Path) -> None:
    from papershelf.tui.app import PapershelfApp
    from tests.tui.conftest import fresh, settle, wait_until

    app = PapershelfApp(crossref_library)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await settle(pilot)
        await pilot.press("slash", *"key:cvpr2020", "enter")
        await settle(pilot)
        assert screen.papers.current_key == "cvpr2020"
        await pilot.press("delete")
        said = [n.message for n in app._notifications]
        assert "Deleted 1 paper; smith20, doe20 took the fields they inherited by crossref from " \
               "a deleted paper; u undoes." in said
        assert "crossref" not in fresh(crossref_library).get("doe20").fields
        await pilot.press("u")
        await wait_until(pilot, lambda: any(n.message == "Undone: delete (1 paper)."
                                            for n in app._notifications))
        assert fresh(crossref_library).get("doe20").fields["crossref"] == "{CVPR2020}"


def test_an_import_warns_of_a_crossref_to_a_key_held_nowhere(crossref_library: Path) -> None:
    work = crossref_library.parent
    (work / "more.bib").write_text(
        "@inproceedings{one, title = {One}, crossref = {nowhere}}\n"
        "@inproceedings{two, title = {Two}, crossref = {Here}}\n"
        "@proceedings{here, title = {Here}}\n"
        "@inproceedings{three, title = {Three}, crossref = {CVPR2020}}\n")  # an earlier file's
    dry = cli(crossref_library, "import", "--dry-run", str(work / "more.bib"))
    as_json = json.loads(cli(crossref_library, "import", "--dry-run", "--json",
                             str(work / "more.bib")).stdout)
    assert as_json["missing_crossrefs"] == {"one": "nowhere"}
    done = cli(crossref_library, "import", str(work / "more.bib"))
    assert dry.stderr == done.stderr == (
        "papershelf: warning: the crossref of one names nowhere, which neither the file nor the "
        "library holds (BibTeX reports a bad cross reference unless another .bib of the "
        "document does)\n")
    report = Library(crossref_library).add(
        parse_bibtex("@inbook{four, title = {Four}, crossref = {Gone}}", "b.bib").entries)
    assert report.missing_crossrefs == {"four": "Gone"}


async def test_the_tui_import_warns_of_a_crossref_to_a_key_held_nowhere(tmp_path: Path) -> None:
    from papershelf.tui.app import PapershelfApp
    from tests.tui.conftest import settle, wait_until

    (tmp_path / "a.bib").write_text("@inbook{four, title = {Four}, crossref = {Gone}}\n")
    app = PapershelfApp(tmp_path / "lib")
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        await pilot.press("i", *str(tmp_path / "a.bib"), "enter")
        said = "Imported a.bib: 1 new, 0 already in library, 0 failed. The crossref of four " \
               "names Gone, which neither the file nor the library holds (BibTeX reports a bad " \
               "cross reference unless another .bib of the document does)."
        await wait_until(pilot, lambda: any(n.message == said for n in app._notifications), 10)


def test_deleting_crossref_targets_leaves_no_crossref_naming_a_deleted_paper_or_itself(
        tmp_path: Path) -> None:
    lib = Library(tmp_path / "cycles")
    lib.add(parse_bibtex(
        "@inbook{c, title = {Paper C}, crossref = {a}}\n"
        "@book{a, title = {Paper A}, crossref = {B}, publisher = {PA}}\n"
        "@book{b, title = {Paper B}, crossref = {A}, series = {SB}}\n", "c.bib").entries)
    lib.add(parse_input("p.txt", b"A Page Paper\n\nIts abstract, long enough to be one.\n").entries)
    lib.add(parse_bibtex("@inbook{kid, title = {Kid}, crossref = {page-paper}}", "k.bib").entries)
    change = lib.remove(["a", "b"])  # c -> a -> b -> a: the cycle ends on a deleted paper
    c = lib.get("c")
    assert "crossref" not in c.fields and (c.fields["publisher"], c.fields["series"]) == ("{PA}", "{SB}")
    lib.undo(change)
    lib.remove(["b"])  # a -> b -> a: a would name itself
    assert "crossref" not in lib.get("a").fields and lib.get("a").fields["series"] == "{SB}"
    assert lib.get("c").fields["crossref"] == "{a}"  # names a, which is still there
    lib.remove(["page-paper"])  # a page-dump paper named by a crossref: nothing to take
    assert lib.get("kid").fields == {"title": "{Kid}"}


def test_a_biblatex_xref_is_pointed_at_the_key_its_entry_got(tmp_path: Path) -> None:
    (tmp_path / "x.bib").write_text(DBLP.replace("crossref = {DBLP:conf/iccv/2021}",
                                                 "xref = {DBLP:conf/iccv/2021}, note = {x}"))
    result = cli(tmp_path / "lib", "import", str(tmp_path / "x.bib"))
    assert "crossref" not in result.stderr  # an xref gives no fields: nothing is missing
    assert "xref = {proceedings-iccv-2021}," in cli(tmp_path / "lib", "show", "looking-closer",
                                                    "--bibtex").stdout
