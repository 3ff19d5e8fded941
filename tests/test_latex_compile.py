"""The exported BibTeX goes through a real pdflatex + bibtex + pdflatex run.

Exports the five sample pages, the hostile papers of ``fixtures/hostile.txt`` (every
special character, unbalanced braces, accents, Greek, ``@misc{`` in an abstract,
markup-like brackets, emoji), one paper holding every non-ASCII character the encoder
spells in LaTeX and a Zotero export (``.bib`` papers keep their fields), with hostile
tags and notes; then compiles a document with
``\\nocite{*}`` under ``plain`` (lowercases titles) and ``fixtures/fields.bst`` (prints
every field papershelf writes, so LaTeX typesets abstracts, keywords, notes and URLs).

Needs ``pdflatex`` and ``bibtex`` (Debian/Ubuntu: ``apt-get install texlive-latex-base``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from papershelf.importers.pages import parse_page_dump
from papershelf.latex import _PDFLATEX_SAFE, decode, encode

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "sample_data").glob("*.txt"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"

pytestmark = pytest.mark.skipif(
    shutil.which("pdflatex") is None or shutil.which("bibtex") is None,
    reason="pdflatex and bibtex are not installed (apt-get install texlive-latex-base)",
)

HOSTILE_NOTE = "A note } with { braces\n@misc{x,\n  100% sure & $5 \\end ~ ^ # _"
HOSTILE_TAGS = ("c++", "50%&$#_~^")


def cli(library: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run papershelf on ``library``; fail the test with its stderr if it fails."""
    done = subprocess.run([sys.executable, "-m", "papershelf", "--library", str(library), *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def hostile_titles() -> list[str]:
    text = (FIXTURES / "hostile.txt").read_text(encoding="utf-8")
    return [block.split("\n", 1)[0] for block in text.split("\n\n") if block.strip()][::2]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A directory holding ``refs.bib`` of every paper, and the papers' keys."""
    work = tmp_path_factory.mktemp("latex")
    library = work / "lib"
    every_char = work / "every-character.txt"
    # and letters it spells as accents of its own (Vietnamese, pinyin) and Greek symbols
    chars = " ".join(sorted(_PDFLATEX_SAFE)) + " ạ ễ ệ Ệ ồ ǎ ǐ ǰ ị ṣ Ṣ ṇ ḥ ẓ ǧ ḇ ϵ ϑ ϖ ϱ ϕ"
    every_char.write_text(f"Every Character the Encoder Spells in LaTeX\n\n{chars}\n", encoding="utf-8")
    cli(library, "import", *map(str, SAMPLES), str(FIXTURES / "hostile.txt"), str(every_char),
        str(FIXTURES / "zotero.bib"))
    for tag in HOSTILE_TAGS:
        cli(library, "tag", "add", tag, "every-special-character", "greek-letters")
    cli(library, "note", "every-special-character", HOSTILE_NOTE)
    cli(library, "note", "greek-letters", "Ψ-note: ß, é, ∞")
    cli(library, "export", "-o", str(work / "refs.bib"))
    keys = cli(library, "list", "--keys").stdout.split()
    shutil.copy(FIXTURES / "fields.bst", work / "fields.bst")
    return work, keys


def compile_document(work: Path, style: str, fonts: str = "", cite: str = "",
                     bibs: str = "refs") -> tuple[str, str, str]:
    """pdflatex, bibtex, pdflatex on a ``\\nocite{*}`` document (in the font encoding
    ``fonts``, e.g. ``T1``; OT1 by default), or one that ``\\cite``s the keys ``cite``
    only, of the .bib files ``bibs``; the .bbl, .blg and .log."""
    name = f"doc-{style}{fonts}"
    citing = f"\\cite{{{cite}}}" if cite else "\\nocite{*}"
    packages = f"\\usepackage[{fonts}]{{fontenc}}\n" if fonts else ""
    (work / f"{name}.tex").write_text(
        f"\\documentclass{{article}}\n{packages}\\usepackage{{url}}\n\\begin{{document}}\n"
        f"{citing}\n\\bibliographystyle{{{style}}}\n\\bibliography{{{bibs}}}\n\\end{{document}}\n"
    )
    latex = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"]
    for command in (latex, ["bibtex", name], latex):
        done = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=300,
                              errors="replace")
        assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout[-3000:]}"
    read = lambda suffix: (work / f"{name}{suffix}").read_text(errors="replace")  # noqa: E731
    return read(".bbl"), read(".blg"), read(".log")


def cited_with_natbib(work: Path, keys: list[str]) -> tuple[str, str, str]:
    """pdflatex, bibtex and pdflatex twice on a document that ``\\citet``s ``keys`` of
    ``refs.bib`` under plainnat; the .bbl (its lines joined: BibTeX breaks long ones),
    .blg and .log."""
    (work / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage{natbib}\n\\usepackage{url}\n\\begin{document}\n"
        + " ".join(f"\\citet{{{key}}}" for key in keys)
        + "\n\\bibliographystyle{plainnat}\n\\bibliography{refs}\n\\end{document}\n")
    latex = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]
    for command in (latex, ["bibtex", "doc"], latex, latex):
        done = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=300,
                              errors="replace")
        assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout[-3000:]}"
    read = lambda suffix: (work / f"doc{suffix}").read_text(errors="replace")  # noqa: E731
    return " ".join(read(".bbl").split()), read(".blg"), read(".log")


def bbl_items(bbl: str) -> dict[str, str]:
    """The text of each ``\\bibitem`` by key, LaTeX decoded."""
    parts = re.split(r"\\bibitem(?:\[[^\]]*\])?\{([^}]*)\}", bbl)
    return {key: decode(body.replace("\\end{thebibliography}", "").replace("\\newblock", " "))
            for key, body in zip(parts[1::2], parts[2::2], strict=True)}


@pytest.mark.parametrize("style", ["plain", "fields"])
def test_bibtex_and_pdflatex_accept_every_paper(exported: tuple[Path, list[str]], style: str) -> None:
    work, keys = exported
    bbl, blg, log = compile_document(work, style)
    assert "error message" not in blg, blg[-3000:]
    assert not re.search(r"I was expecting|I'm skipping|---line \d+ of file refs\.bib", blg), blg[-3000:]
    assert not re.search(r"^! ", log, re.MULTILINE), log[-3000:]
    items = bbl_items(bbl)
    assert sorted(items) == sorted(keys)
    # samples, hostile papers (LanguageBind is in both), every char, Zotero (CLIP is in both)
    assert len(keys) == 356 + 11 + 1 + 1
    for title in hostile_titles():
        shown = " ".join(decode(encode(title)).split())  # emoji and CJK are spelled in ASCII
        assert any(shown.casefold() in body.casefold() for body in items.values()), \
            f"title not readable in the .bbl: {title}"


def test_author_year_styles_cite_a_paper_with_no_author_by_its_short_title(
        exported: tuple[Path, list[str]]) -> None:
    """plainnat's label of a page-dump paper (no author) is its ``key``, a short title;
    it was the first three letters of the entry's key, ``lan``."""
    work, _keys = exported
    bbl, blg, log = compile_document(work, "plainnat")
    assert "to sort, need author or key" not in blg and "error message" not in blg, blg[-3000:]
    assert not re.search(r"^! ", log, re.MULTILINE), log[-3000:]
    assert "\\bibitem[{LanguageBind}()]{languagebind}" in bbl
    assert "\\bibitem[{2.5 Years in Class}()]{2.5-years-class-multimodal}" in bbl


def test_natbib_cites_papers_whose_short_title_holds_brackets_or_parentheses(tmp_path: Path) -> None:
    """plainnat copies ``key`` into ``\\bibitem[KEY()]``: a ``]`` in it (``[Re] ...``, as
    ReScience titles go) ended the label and natbib refused the whole bibliography; a
    ``(`` split the label into author and year."""
    titles = ["[Re] Reproducing Strategic Classification under Uncertainty",
              "GPT-4 (Technical Report) Revisited", "Sch" + "\u00f6" * 300 + "dinger Equations"]
    listing = tmp_path / "page.txt"
    listing.write_text("".join(f"{title}\n\n{'An abstract of the paper. ' * 8}\n\n" for title in titles),
                       encoding="utf-8")
    cli(tmp_path / "lib", "import", str(listing))
    cli(tmp_path / "lib", "export", "-o", str(tmp_path / "refs.bib"))
    bbl, _blg, log = cited_with_natbib(tmp_path, cli(tmp_path / "lib", "list", "--keys").stdout.split())
    assert "Bibliography not compatible" not in log and "undefined" not in log, log[-3000:]
    assert "\\bibitem[{[Re] Reproducing Strategic Classification...}()]" in bbl
    assert "\\bibitem[{GPT-4 (Technical Report) Revisited}()]" in bbl


def test_bib_papers_with_no_author_are_cited_by_a_short_title_too(tmp_path: Path) -> None:
    """A software or web page entry of a ``.bib`` without an author made plainnat warn
    ``to sort, need author or key`` and cite it by three letters of its key (``pyt``)."""
    bib = tmp_path / "in.bib"
    bib.write_text("@misc{pytorch, title={PyTorch: An Imperative Style Deep Learning Library},"
                   " howpublished={\\url{https://pytorch.org}}, year={2019}}\n"
                   "@book{essays, title={A Book of Essays}, editor={Doe, Jane}, publisher={P}, year={2020}}\n"
                   "@misc{own, title={Own Key}, key={Kernel}, year={2021}}\n", encoding="utf-8")
    cli(tmp_path / "lib", "import", str(bib))
    cli(tmp_path / "lib", "export", "-o", str(tmp_path / "refs.bib"))
    bbl, blg, _log = cited_with_natbib(tmp_path, ["pytorch", "essays", "own"])
    assert "Warning" not in blg, blg
    assert "\\bibitem[{PyTorch}()]{pytorch}" in bbl and "\\bibitem[Doe(2020)]{essays}" in bbl
    assert "\\bibitem[Kernel()]{own}" in bbl


def test_styles_that_lowercase_titles_keep_protected_capitals(exported: tuple[Path, list[str]]) -> None:
    work, _ = exported
    items = bbl_items(compile_document(work, "plain")[0])
    assert items["languagebind"].startswith(
        "LanguageBind: Extending video-language pretraining to N-modality")
    assert "CJK" in items["emoji-cjk-zhongwen-cannot"]
    assert "ZhongWen" in items["emoji-cjk-zhongwen-cannot"]  # 中文 had no case to lower
    assert "ΔT" in items["greek-letters"] and "β-VAE" in items["greek-letters"]


def test_fields_style_typesets_abstract_tags_note_and_url(exported: tuple[Path, list[str]]) -> None:
    work, _ = exported
    items = bbl_items(compile_document(work, "fields")[0])
    special = items["every-special-character"]
    assert "100% of $5 & #1 a_b {x} ~y ^z \\textsc{Ofa} \\\\ 50\\% end." in special
    assert "Keywords: c++, 50%&$#_~^" in special
    assert "Note: " + " ".join(HOSTILE_NOTE.split()) in special
    every = items["every-character-encoder-spells"]
    assert "α β γ" in every and "Ω" in every and "ß" in every
    zotero = items["schrodinger_uber_2023"]
    assert "Über Schrödinger's cat" in zotero and "Schrödinger, Erwin and OpenAI Team" in zotero
    injection = items["bibtex-injection-abstract"]
    assert '@misc{evil, title={pwned}} and @article{x, author = "y"} then } close' in injection


# ------------------------------------------------------------------ .bib papers as imported

UNICODE_BIB = """\
@inproceedings{higgins2017beta,
  title = {β-VAE: Learning Basic Visual Concepts},
  author = {Higgins, Irina and Παπαδόπουλος, Γιάννης and 王小明},
  booktitle = {ICLR},
  year = {2017},
  note = {Great 🎉 paper, see \\url{https://例え.jp/パス}},
  url = {https://de.wikipedia.org/wiki/Düsseldorf},
}
@article{nandu,
  title = {Über Ñandú and the ΔT of Łódź},
  author = {Núñez García, José},
  journal = {Revue d’Études},
  year = {2020},
  note = {\\LaTeX模板 and \\TeX 中文},
}
@preamble{ "\\providecommand{\\noopsort}[1]{}" }
@book{knuth,
  title = {The {\\TeX}book},
  author = {{\\noopsort{a}}Knuth, Donald},
  publisher = {Addison-Wesley},
  year = {1984},
}
@misc{escape,
  title = {Escape \x1b[31mRed\x07 Title},
  note = {bell \x07 here},
}@preamble{ "\\providecommand{\\Pbold}[1]{\\textbf{#1}}" }
@article{specials,
  title = {Reaching 100% Accuracy on #1 Benchmarks, {\\Pbold{Bold}}},
  journal = {Science & Society},
  year = {2021},
  note = {see \\url{https://x.org/a%20b#frag}},
}
"""


@pytest.fixture(scope="module")
def bib_exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """``refs.bib`` of .bib papers with Greek, CJK, emoji and control characters in their
    original fields, one using a macro of the file's ``@preamble``, and of a library
    from before keys were compared up to case holding ``LanguageBind`` and
    ``languagebind``; the keys as exported."""
    from papershelf.library import Library

    work = tmp_path_factory.mktemp("latex-bib")
    library = work / "lib"
    (work / "unicode.bib").write_text(UNICODE_BIB, encoding="utf-8")
    (work / "lb.bib").write_text("@misc{LanguageBind,\n  title = {Some Other Paper Entirely},\n}\n")
    with pytest.MonkeyPatch.context() as patch:  # keys taken exactly, as they were
        patch.setattr(Library, "taken_keys", lambda self: set(self._where))
        cli(library, "import", str(work / "lb.bib"))
        Library(library).add([e for path in SAMPLES if "vision-language-pretraining.txt" in path.name
                              for e in parse_page_dump(path.read_text(encoding="utf-8"), path.name).entries])
    cli(library, "import", str(work / "unicode.bib"))
    cli(library, "note", "languagebind", "Ψ-note 🎉")
    done = cli(library, "export", "-o", str(work / "refs.bib"))
    assert "'languagebind' is written as 'languagebind-2'" in done.stderr
    keys = re.findall(r"^@\w+\{([^,\s]+),$", (work / "refs.bib").read_text(), re.MULTILINE)
    return work, keys


@pytest.mark.parametrize("fonts", ["", "T1"])
def test_bib_papers_with_any_text_and_keys_equal_up_to_case_compile(
        bib_exported: tuple[Path, list[str]], fonts: str) -> None:
    work, keys = bib_exported
    assert (work / "refs.bib").read_bytes().isascii()
    assert {"LanguageBind", "languagebind-2", "higgins2017beta", "nandu", "escape", "knuth"} <= set(keys)
    bbl, blg, log = compile_document(work, "plain", fonts)
    assert "error message" not in blg and "Repeated entry" not in blg, blg[-3000:]
    assert not re.search(r"^! ", log, re.MULTILINE), log[-3000:]
    items = bbl_items(bbl)
    assert sorted(items) == sorted(keys)
    assert "β-vae: Learning basic visual concepts" in items["higgins2017beta"]
    assert "Irina Higgins, Γιάννης Παπαδ" in items["higgins2017beta"]  # (omicron is an o)
    assert "and WangXiaoMing" in items["higgins2017beta"]  # spelled in ASCII: pdflatex has no CJK
    assert "Great :tada: paper" in items["higgins2017beta"]
    # spelled after a command, not run into it (\LaTeXMoBan: an undefined command)
    assert "MoBan and" in items["nandu"] and "ZhongWen" in items["nandu"]
    # plain lowercases titles: the capitals BibTeX never touched in UTF-8 stay capitals,
    # ASCII ones the .bib did not brace are lowercased as they always were, but in a
    # title of plain ASCII, which is written as a page-dump title is (a colour's escape
    # sequence is dropped whole)
    assert "Über Ñandú and the Δt of Łódź" in items["nandu"] and "José Núñez García" in items["nandu"]
    assert "Escape red title. bell here" in items["escape"]
    assert "Some other paper entirely" in items["LanguageBind"]
    # defined by the @preamble kept from the .bib: else "! Undefined control sequence"
    assert "{\\noopsort{a}}Knuth" in bbl and bbl.startswith("\\providecommand{\\noopsort}")
    assert items["languagebind-2"].startswith("LanguageBind: Extending")
    # unescaped % & # of a .bib (read as the characters) are escaped; not in a URL, and
    # not in the @preamble's macro
    assert "Reaching 100% accuracy on #1 benchmarks" in items["specials"]
    assert "Science & Society" in items["specials"] and "{\\Pbold{" in bbl
    assert "\\url{https://x.org/a%20b#frag}" in bbl
    assert "\\providecommand{\\Pbold}[1]{\\textbf{#1}}" in bbl


def test_a_macro_the_file_does_not_define_is_exported_as_it_is(tmp_path: Path) -> None:
    """IEEEtran users keep journal names in ``IEEEabrv.bib`` and give BibTeX both files:
    ``journal = IEEE_J_PAMI`` was exported as ``{IEEE_J_PAMI}``, and pdflatex stopped at
    its ``_`` (found by a helper's hunt)."""
    source = tmp_path / "ieee.bib"
    source.write_text(
        "@article{ieeepaper, author = {Doe, John}, title = {A Paper Using IEEE Abbreviations},\n"
        "  journal = IEEE_J_PAMI, year = 2020}\n"
        "@inproceedings{conf, author = {Roe, Jane}, title = {A Conference Paper},\n"
        '  booktitle = "Proc. " # IEEE_C_CVPR, year = 2021}\n')
    library = tmp_path / "lib"
    cli(library, "import", str(source))
    cli(library, "export", "-o", str(tmp_path / "refs.bib"))
    assert "  journal = IEEE_J_PAMI,\n" in (tmp_path / "refs.bib").read_text()
    (tmp_path / "abrv.bib").write_text('@string{IEEE_J_PAMI = "{IEEE} Trans. Pattern Anal."}\n')
    bbl, _blg, log = compile_document(tmp_path, "plain", bibs="abrv,refs")
    assert not re.search(r"^! ", log, re.MULTILINE), log[-3000:]
    items = bbl_items(bbl)
    assert "IEEE Trans. Pattern Anal." in items["ieeepaper"]
    assert "Proc. IEEE_C_CVPR" in items["conf"]  # joined to text: named, and it compiles


def imported_and_exported(work: Path, bib: str) -> str:
    """``refs.bib`` in ``work``, exported from a new library that imported ``bib`` (the
    text of a .bib file); its text."""
    (work / "in.bib").write_text(bib, encoding="utf-8")
    cli(work / "lib", "import", str(work / "in.bib"))
    cli(work / "lib", "export", "-o", str(work / "refs.bib"))
    return (work / "refs.bib").read_text(encoding="utf-8")


def test_an_accent_quote_inside_a_quoted_value_is_read_as_meant_and_exported_so(tmp_path: Path) -> None:
    """``title = "Schr\\"{o}dinger"``: bibtexparser reads the whole value (BibTeX stops at
    the ``\\"``). Read as two parts, the title was ``Schr\\odingerinquotes"``, and the
    export's ``\\oumlaut`` stopped pdflatex (found by a helper's hunt)."""
    source = tmp_path / "quoted.bib"
    source.write_text('@article{a2, title = "Schr\\"{o}dinger in Quotes", journal = {J}, year = 2020}\n'
                      '@article{u2, title = "Quoted {"}Title{"} and \\"{o} Umlaut", year = 2020}\n')
    library = tmp_path / "lib"
    cli(library, "import", str(source))
    assert json.loads(cli(library, "show", "a2", "--json").stdout)["title"] == "Schrödinger in Quotes"
    assert json.loads(cli(library, "show", "u2", "--json").stdout)["title"] == 'Quoted "Title" and ö Umlaut'
    cli(library, "export", "-o", str(tmp_path / "refs.bib"))
    assert '  title = {Schr{\\"o}dinger in Quotes},\n' in (tmp_path / "refs.bib").read_text()
    bbl, _blg, log = compile_document(tmp_path, "plain")
    assert not re.search(r"^! ", log, re.MULTILINE), log[-3000:]
    items = bbl_items(bbl)
    assert "Schrödinger in quotes" in items["a2"] and 'Quoted "title" and ö umlaut' in items["u2"]


def test_macro_arguments_read_from_a_bib_compile_as_text(tmp_path: Path) -> None:
    """A macro's arguments were dropped from the text read (``\\texttt{PyTorch}`` was
    ``\\texttt``): a field written anew from that text (its braces do not balance)
    printed ``\\texttt``; it prints the argument's text now."""
    exported = imported_and_exported(
        tmp_path,
        "@misc{pytorch,\n  title = {\\texttt{PyTorch}: An Imperative Style},\n"
        "  note = {code at \\mbox{\\url{https://github.com/x/y}}},\n}\n"
        '@misc{broken,\n  title = "Need\\textsuperscript{2} } and \\hbox{H}",\n'
        '  note = "\\textsf{Coq} } unbalanced",\n}\n')
    assert "texttt{PyTorch}" in exported and "textsuperscript" not in exported
    bbl, _blg, log = compile_document(tmp_path, "plain")
    assert not re.search(r"^! ", log, re.MULTILINE), log[-3000:]
    items = bbl_items(bbl)
    assert "PyTorch: An imperative style" in items["pytorch"]
    assert "code at https://github.com/x/y" in items["pytorch"]
    assert "need2 and h" in items["broken"].casefold() and "Coq unbalanced" in items["broken"]


@pytest.mark.parametrize("fonts", ["", "T1"])
def test_paths_written_as_imported_compile(tmp_path: Path, fonts: str) -> None:
    """``file``, ``pdf`` and ``biburl`` are written as imported (``&``, ``%``, ``#`` and
    UTF-8 unescaped): no style prints them, so BibTeX and pdflatex never read them."""
    exported = imported_and_exported(
        tmp_path,
        "@article{smith2020,\n  title = {Q\\&A Systems},\n  author = {Smith, John},\n"
        "  journal = {J},\n  year = {2020},\n"
        "  file = {/home/u/Zotero/X7/Smith & Jones - 2020 - Q&A Systems #2 100%.pdf},\n"
        "  pdf = {/home/jörg/papers/Käse.pdf},\n  biburl = {https://e.org/cgi?a=1&b=2#x},\n}\n")
    assert "  file = {/home/u/Zotero/X7/Smith & Jones - 2020 - Q&A Systems #2 100%.pdf},\n" in exported
    assert "  pdf = {/home/jörg/papers/Käse.pdf},\n" in exported
    for style in ("plain", "plainnat"):
        bbl, blg, log = compile_document(tmp_path, style, fonts)
        assert "error message" not in blg and "Warning--" not in blg, blg[-3000:]
        assert not re.search(r"^! ", log, re.MULTILINE), log[-3000:]
        # (Scholar's Q\&A: an escape is no protection of the writer's, so its capitals are)
        assert bbl.isascii() and "John Smith. Q&A systems." in bbl_items(bbl)["smith2020"]


def test_a_caseless_word_of_a_bib_title_keeps_its_capitals_in_plain(tmp_path: Path) -> None:
    """plain lowercases titles: ``中文`` of a .bib title, spelled ``ZhongWen``, printed as
    "zhongwen" (BibTeX never lowercased the characters themselves)."""
    imported_and_exported(
        tmp_path,
        "@misc{cjk,\n  title = {Emoji 🚀 and CJK 中文 and Cyrillic Москва in a .bib title},\n}\n")
    bbl, _blg, log = compile_document(tmp_path, "plain")
    assert not re.search(r"^! ", log, re.MULTILINE), log[-3000:]
    assert "Emoji :rocket: and cjk ZhongWen and cyrillic Moskva in a .bib title" in bbl_items(bbl)["cjk"]


def test_month_macros_compile_as_the_style_spells_them(tmp_path: Path) -> None:
    """abbrvnat spells August ``Aug.``: ``jun # "--" # aug`` was exported as
    ``{June--August}``; ``@string{jan = "Janvier"}`` with ``month = jan`` as bare ``jan``,
    which BibTeX, without the file's @string, printed as January."""
    imported_and_exported(
        tmp_path,
        '@string{jan = "Janvier"}\n'
        "@article{over, title = {Override}, author = {Doe, J.}, journal = {J}, year = 2020, month = jan}\n"
        '@article{range, title = {Range}, author = {Roe, J.}, journal = {J}, year = 2021,\n'
        '  month = jun # "--" # aug}\n')
    bbl, _blg, log = compile_document(tmp_path, "abbrvnat")
    assert not re.search(r"^! ", log, re.MULTILINE), log[-3000:]
    items = bbl_items(bbl)
    assert "Janvier 2020" in items["over"] and "June–Aug. 2021" in items["range"]


def test_scripts_outside_math_of_a_bib_compile(tmp_path: Path) -> None:
    """A ``.bib`` whose title and journal hold ``_`` and ``^`` outside math (and some in
    math, a crossref key with ``_``): pdflatex stopped at "Missing $ inserted"."""
    imported_and_exported(tmp_path, (
        "@book{parent_book, title = {Parent_Book}, publisher = {P_ub}, year = 2019}\n"
        "@incollection{us2020, title = {Snake_case and C# and R&D at 50% and x^2 and $x_1^2$},\n"
        "  author = {Doe, J.}, journal = {J_x}, crossref = {parent_book}, year = 2020,\n"
        "  note = {see \\url{https://a.org/x_y} and \\cite{parent_book}}}\n"))
    bbl, _blg, log = compile_document(tmp_path, "plain")
    assert not re.search(r"^! ", log, re.MULTILINE), log[-3000:]
    items = bbl_items(bbl)
    assert "Snake_case and c# and r&d at 50% and x^2" in items["us2020"]  # (plain lowercases)
    assert "Parent_Book" in items["parent_book"] and "P_ub" in items["parent_book"]
    assert "https://a.org/x_y" in items["us2020"]

