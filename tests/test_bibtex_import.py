"""``.bib`` import: real-world shapes (Zotero, Google Scholar, hand-kept files), broken
entries reported and skipped, merging with page-dump papers, and no exception but
``InputError`` whatever the text."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from papershelf import forked, importers
from papershelf.errors import InputError
from papershelf.importers import bibtex, parse_input
from papershelf.importers.bibtex import MONTHS, evaluate, keywords_to_tags, parse_bibtex
from papershelf.importers.pages import ParseResult
from papershelf.latex import decode
from papershelf.library import Library
from papershelf.model import Entry

from .conftest import forked_pools_on_two_cores, sample_entries

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent


def parse(name: str) -> dict[str, object]:
    result = parse_bibtex((FIXTURES / name).read_text(encoding="utf-8"), name)
    return {e.bib_key or "": e for e in result.entries} | {"_failures": result.failures}


def cli(library: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "papershelf", "--library", str(library), *args],
                          capture_output=True, text=True, input=stdin, timeout=120)


# ------------------------------------------------------------------ real-world shapes


def test_zotero_export_keeps_keys_types_authors_year_and_fields() -> None:
    result = parse_bibtex((FIXTURES / "zotero.bib").read_text(encoding="utf-8"), "zotero.bib")
    assert result.failures == []
    clip, _ = result.entries
    assert clip.bib_key == "radford_learning_2021" and clip.entry_type == "article"
    assert clip.title == "Learning Transferable Visual Models From Natural Language Supervision"
    assert clip.authors == ("Radford, Alec", "Kim, Jong Wook", "Hallacy, Chris", "Müller, Jörg",
                            "de la Fuente, Ana", "Sutskever, Ilya")
    assert clip.year == "2021"
    assert clip.source is not None and clip.source.file == "zotero.bib" and clip.source.listed is None
    # Zotero's own fields survive untouched for export
    assert clip.fields["file"].startswith("{Full Text PDF:/home/user/Zotero/storage/")
    assert clip.fields["urldate"] == "{2024-03-14}"
    assert clip.fields["month"] == "jul"
    assert clip.fields["pages"] == "{8748--8763}"
    assert clip.links == ("https://proceedings.mlr.press/v139/radford21a.html",
                          "https://github.com/OpenAI/CLIP")
    assert clip.tags == ("Computer-Science-Computer-Vision-and-Pattern-Recognition",
                         "contrastive-learning", "CLIP")
    assert clip.note == "Read for the reading group.\nCompare with ALIGN: 50% cheaper."


def test_latex_is_decoded_for_display_without_losing_text_after_percent() -> None:
    clip, cat = parse_bibtex((FIXTURES / "zotero.bib").read_text(encoding="utf-8"), "z.bib").entries
    assert clip.abstract.endswith(
        "ResNet-50 on ImageNet zero-shot, improving 76.2% over 5% baselines & more; "
        "see <https://github.com/OpenAI/CLIP>.")
    assert cat.title == "Über Schrödinger's cat: a α-Δ study of École naïveté"
    assert cat.authors == ("Schrödinger, Erwin", "OpenAI Team")
    assert cat.links == ("http://arxiv.org/abs/2301.00001", "https://doi.org/10.48550/arXiv.2301.00001")
    assert cat.fields["note"] == "{arXiv:2301.00001 [cs]}"  # BibTeX's note is not the user's note
    assert cat.note == ""


@pytest.mark.parametrize(("latex", "text"), [
    (r"{\"o} \"{o} {\'E}cole {\ss} {\o}", "ö ö École ß ø"),
    (r"50% of 5% and after", "50% of 5% and after"),
    (r"50\% of \& \$ \# \_", "50% of & $ # _"),
    (r"A & B", "A & B"),
    (r"$\alpha$-{$\Delta$} {\ensuremath{\beta}}", "α-Δ β"),
    (r"\textbackslash{}x \textbraceleft{}y\textbraceright{} \textasciitilde{} \~{} \^{}", "\\x {y} ~ ~ ^"),
    (r"{\textless}b{\textgreater} \textbar{}", "<b> |"),
    ("wrapped\n    over   lines", "wrapped over lines"),
    (r"\methodname\ works", "\\methodname works"),
    (r"\methodname{} works", "\\methodname works"),
    # a macro without a text rule shows its arguments' text: they were dropped (or run
    # into its name, when the parser knew no arguments of it)
    (r"\texttt{PyTorch}: \textsf{X}, \textup{Y}, \mbox{Z}", "PyTorch: X, Y, Z"),
    (r"\hbox{H} \enquote{Q} \sout{S} Need\textsuperscript{2}", "H Q S Need2"),
    (r"\SI{5}{\metre} \unknown{a}{b}", "5\\metre ab"),
    (r"{\noopsort{a}}Knuth", "Knuth"),
    # TeX's commands that only steer it print nothing (\relax: a black-box review)
    (r"{\relax Ch}ristopher, Anne and \protect\LaTeX{} x", "Christopher, Anne and LaTeX x"),
    (r"The {\TeX}book, \LaTeX\ and {\BibTeX}, \LaTeXe", "The TeXbook, LaTeX and BibTeX, LaTeX2e"),
    (r"Code at \href{https://github.com/x/y}{GitHub}.", "Code at GitHub <https://github.com/x/y>."),
    # a URL is not LaTeX text: ~ no space, -- no dash; \% \# as hyperref reads them
    (r"\url{https://www.cs.example.edu/~smith/}", "https://www.cs.example.edu/~smith/"),
    (r"At \url{https://x.org/a--b/c_d}, \url{https://x.org/a\%20b\#f}.",
     "At https://x.org/a--b/c_d, https://x.org/a%20b#f."),
    (r"\href{https://example.com/a_b~c}{the~code}", "the code <https://example.com/a_b~c>"),
    # a bare URL too (LaTeX would print its ~ as a space; the writer meant a URL)
    (r"Code: http://foo.org/~bar/x_y--z, and~more -- here.",
     "Code: http://foo.org/~bar/x_y--z, and more – here."),
    (r"{https://a.org/x--y} and https://b.org/a\_b\%20 {\"o}",
     "https://a.org/x--y and https://b.org/a_b%20 ö"),
    ("plain -- text, ftp://x.org/a--b", "plain – text, ftp://x.org/a--b"),
    # input pylatexenc fails on: shown as written
    (r"ends in \verb", r"ends in \verb"),
    (r"\begin{array}x\end{array} 5\%", r"\begin{array}x\end{array} 5\%"),
])
def test_decode(latex: str, text: str) -> None:
    assert decode(latex) == text


def test_an_href_keeps_the_entry_and_gives_its_link() -> None:
    (entry,) = parse_bibtex("@misc{h1, title={Paper with an \\href{https://e.org}{href}},\n"
                            "  abstract={Code at \\href{https://github.com/x/y}{GitHub}.}}\n",
                            "h.bib").entries
    assert entry.title == "Paper with an href <https://e.org>"
    assert "https://github.com/x/y" in entry.links


def test_month_macros_are_kept_as_macros_unless_the_file_redefines_them() -> None:
    """A style spells the months its own way (abbrvnat's ``Aug.``): ``jun # "--" # aug``
    was written as ``{June--August}``. A month the file redefines
    (``@string{jan = "Janvier"}``) was written as ``jan``, for BibTeX's January."""
    text = '@string{jan = "Janvier"}\n@misc{a, title={A}, month = jan}\n' \
           '@misc{b, title={B}, month = jun # "--" # aug}\n@misc{c, title={C}, month = feb # {~1}}\n'
    months = [entry.fields["month"] for entry in parse_bibtex(text, "m.bib").entries]
    assert months == ["{Janvier}", 'jun # "--" # aug', "feb # {~1}"]
    assert evaluate('jun # "--" # aug', MONTHS) == ("June--August", 'jun # "--" # aug')
    assert evaluate('"Proc. " # "X"', {}) == ("Proc. X", "{Proc. X}")  # no month: resolved


def test_a_url_inside_a_macro_argument_is_a_link() -> None:
    (entry,) = parse_bibtex("@misc{p, title={\\texttt{PyTorch}: An Imperative Style},\n"
                            "  abstract={We present \\texttt{PyTorch}; code at "
                            "\\mbox{\\url{https://github.com/x/y}}.}}", "p.bib").entries
    assert entry.title == "PyTorch: An Imperative Style"
    assert entry.abstract == "We present PyTorch; code at https://github.com/x/y."
    assert entry.links == ("https://github.com/x/y",)


def test_a_bare_url_in_an_abstract_gives_its_whole_link() -> None:
    (entry,) = parse_bibtex("@misc{u1, title={T}, abstract={See http://foo.org/~bar/x_y.}}",
                            "u.bib").entries
    assert entry.abstract == "See http://foo.org/~bar/x_y."
    assert entry.links == ("http://foo.org/~bar/x_y",)


def test_google_scholar_minimal_entries() -> None:
    entries = parse("scholar.bib")
    blip = entries["li2022blip"]
    assert blip.entry_type == "inproceedings"  # type: ignore[attr-defined]
    assert blip.title.startswith("Blip: Bootstrapping language-image")  # type: ignore[attr-defined]
    assert blip.authors == ("Li, Junnan", "Li, Dongxu", "Xiong, Caiming", "Hoi, Steven")  # type: ignore[attr-defined]
    assert blip.year == "2022" and blip.links == () and blip.tags == ()  # type: ignore[attr-defined]
    assert "others" not in entries["radford2021learning"].authors  # type: ignore[attr-defined]
    assert entries["_failures"] == []


def test_string_macros_concatenation_and_comments() -> None:
    entries = parse("strings-comments.bib")
    assert entries["_failures"] == []
    macro = entries["macro2021"]
    assert macro.title == "Macros and Concatenation"  # type: ignore[attr-defined]
    assert macro.fields == {  # type: ignore[attr-defined]
        "title": "{Macros and Concatenation}",
        "booktitle": "{Proceedings of International Conference on Machine Learning}",
        "month": "mar",
        "year": "2021",
        "publisher": "unknownmacro",  # a macro defined elsewhere (IEEEabrv.bib): kept
    }
    mixed = entries["MixedCase:2020"]
    assert mixed.entry_type == "article" and mixed.title == "Field Names in Mixed Case"  # type: ignore[attr-defined]
    assert mixed.authors == ("Knuth, Donald E.",) and mixed.year == "2020"  # type: ignore[attr-defined]
    assert set(entries) == {"macro2021", "MixedCase:2020", "_failures"}


@given(st.text(st.sampled_from('{}" #\\ab1'), max_size=10).map(lambda t: f"{{{t}}}")
       | st.text(st.sampled_from('{}" #\\ab1'), max_size=10).map(lambda t: f'"{t}"')
       | st.text(st.sampled_from('{}" #\\ab1jan'), max_size=12))
def test_evaluate_s_shortcut_gives_what_the_part_by_part_reading_gives(raw: str) -> None:
    from papershelf.importers.bibtex import _evaluated

    macros = {"ab": "Alpha Beta"}
    assert evaluate(raw, macros) == _evaluated(raw.strip(), macros)


@settings(max_examples=500)
@given(st.text(st.sampled_from(" \t\n\randANDxy~.,{}\\"), max_size=24))
def test_names_split_as_bibtexparser_splits_them(latex: str) -> None:
    """As bibtexparser splits them, but for a backslash outside braces, which it took
    for an escape (below)."""
    from bibtexparser.middlewares.names import split_multiple_persons_names

    from papershelf.importers.bibtex import split_names

    unbraced = latex
    while (shorter := re.sub(r"\{[^{}]*\}", "", unbraced)) != unbraced:
        unbraced = shorter
    if "\\" not in unbraced:
        assert split_names(latex) == split_multiple_persons_names(latex)
    assert split_names(" A and  B AND\tC and D~and E and ") == ["A", "B", "C", "D~and E and"]


def test_accents_of_names_after_an_and_or_with_a_tilde_stay() -> None:
    """bibtexparser took the command after an "and" for part of the separator, and
    ``\\~`` for a tie: a black-box review saw "Pe na, Yolanda" and "Nørgård, ystein"."""
    from papershelf.importers.bibtex import parse_authors, split_names

    latex = (r"Pe\~{n}a, Yolanda and \O{}ystein N{\o}rg{\aa}rd and \'Emile Zola and "
             r"\c{C}elik, Mehmet and {\'E}mile de la Rue and \v{s}koda, Jan and others")
    assert split_names(latex)[1:4] == [r"\O{}ystein N{\o}rg{\aa}rd", r"\'Emile Zola", r"\c{C}elik, Mehmet"]
    assert parse_authors(latex) == ("Peña, Yolanda", "Nørgård, Øystein", "Zola, Émile", "Çelik, Mehmet",
                                    "de la Rue, Émile", "škoda, Jan")
    # other escapes stay escapes (a code review: J., R., R. Tolkien; one name of two)
    assert parse_authors(r"J.\,R.\,R. Tolkien and Tolkien, J.\,R.\,R.") == ("Tolkien, J. R. R.",) * 2
    assert split_names(r"Smith\{x\} and Doe") == [r"Smith\{x\}", "Doe"]


def test_evaluate_keeps_self_contained_values_and_resolves_the_rest() -> None:
    macros = {"icml": "ICML", "jan": "January"}
    assert evaluate("{A {B}}", macros) == ("A {B}", "{A {B}}")
    assert evaluate('"quoted {x}"', macros) == ("quoted {x}", '"quoted {x}"')
    assert evaluate("2021", macros) == ("2021", "2021")
    assert evaluate("jan", macros) == ("January", "jan")
    assert evaluate('icml # " 2021"', macros) == ("ICML 2021", "{ICML 2021}")
    assert evaluate('"a } b"', macros)[1] == "{a b}"  # unbalanced for BibTeX: rewritten as text


def test_duplicate_keys_import_both_and_repeated_fields_keep_the_first(tmp_path: Path) -> None:
    result = parse_bibtex((FIXTURES / "duplicates.bib").read_text(), "duplicates.bib")
    assert result.failures == []
    assert [(e.bib_key, e.title) for e in result.entries] == [
        ("dup", "The First Paper Under This Key"),
        ("dup", "A Different Paper Reusing the Key"),
        ("repeated", "Repeated Field Keeps the First"),
    ]
    report = Library(tmp_path / "lib").add(result.entries)
    assert report.new == ["dup", "dup-2", "repeated"]


def test_broken_entries_are_reported_and_the_rest_import() -> None:
    result = parse_bibtex((FIXTURES / "broken.bib").read_text(), "broken.bib")
    assert [e.bib_key for e in result.entries] == ["good1", "good2", "good3"]
    assert [(f.line, f.reason) for f in result.failures] == [
        (6, "@article{unbalanced}: 1 { not closed when the next entry starts"),
        (15, "@article{nocomma}: expected comma after entry key, but found ="),
        (19, "@misc{notitle}: no title"),
    ]


def test_keywords_become_valid_tags() -> None:
    assert keywords_to_tags("deep learning; CLIP, clip,  {VLP}, \"quoted\", -dash") == \
        ("deep-learning", "CLIP", "VLP", "quoted", "dash")
    assert keywords_to_tags("deep - learning, x-, a-{}-b") == ("deep-learning", "x-", "a--b")
    assert keywords_to_tags("#ml, \\#nlp, C\\#, ##") == ("ml", "nlp", "C#")  # hashtags: the word


def test_keywords_lose_their_invisible_characters() -> None:
    assert keywords_to_tags("to\u200bread, \u200b, x\u202ey, toread") == ("toread", "xy")


def test_every_valid_tag_comes_back_from_an_export() -> None:
    from papershelf.exporters.bibtex import paper_fields
    from papershelf.model import Paper
    from papershelf.tags import tag_problem

    tags = ("a--b", "x-", "c++", "50%&$#_~^", "é-tag", "v1.0", "to_read!")
    keywords = dict(paper_fields(Paper(key="k", title="T", tags=tags)))["keywords"]
    assert keywords_to_tags(keywords[1:-1]) == tags
    assert "semicolons" in (tag_problem("tl;dr") or "")  # keywords are split at ; too


def test_bibtex_is_detected_by_name_or_leading_entry() -> None:
    text = b"% exported\n@misc{x, title={Detected by Content}}\n"
    assert parse_input("refs.txt", text).entries[0].title == "Detected by Content"
    assert parse_input("refs.bib", b"\n\n@misc{x, title={By Name}}").entries[0].bib_key == "x"
    with pytest.raises(InputError, match="no BibTeX entries found"):
        parse_input("empty.bib", b"% only a comment\n")


# ------------------------------------------------------------------ never anything but InputError

_BIB_ALPHABET = st.sampled_from([*"@{}()\"=,#%\\ \n\tabcmisc0123_-:.$&~^", "@misc{", "@string{",
                                 "@comment{", "title = ", "author = ", " and ", "{\\\"o}", "$\\alpha$",
                                 "\\", "}}}", "{{{", "jan", " # ", "ü", "🚀", "\x00", "\r\n"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_BIB_ALPHABET, max_size=60).map("".join) | st.text(max_size=200))
@example(text="@misc{,@\n@}")  # bibtexparser's reason quoted a line break
def test_parse_bibtex_raises_nothing_but_input_error(text: str) -> None:
    try:
        result = parse_bibtex(text, "fuzz.bib")
    except InputError:
        return
    for entry in result.entries:
        assert entry.title and "\n" not in entry.title
    for failure in result.failures:
        assert failure.line >= 1 and "\n" not in failure.reason


# ------------------------------------------------------------------ big files, in pieces


def whole(text: str) -> ParseResult:
    """``text`` parsed in one go, as a file too small for pieces is."""
    result = bibtex._parse(text, "x.bib", whole=True)
    assert result is not None
    if result.failures and "\\\n" in text:  # numbered by the file's lines, as parse_bibtex does
        result.failures = bibtex._on_file_lines(text, result.failures)
    return result


def cut_into(monkeypatch: pytest.MonkeyPatch, count: int) -> list[int]:
    """Cut every ``.bib`` into up to ``count`` pieces, parsed in this process; the list
    returned gets the number of pieces of each parse."""
    seen: list[int] = []

    def in_process(work: object, items: list[object]) -> object:
        seen.append(len(items))
        return (work(item) for item in items)  # type: ignore[operator]

    monkeypatch.setattr(importers, "PIECE_CHARS", 1)
    monkeypatch.setattr(forked, "workers_for", lambda tasks: min(tasks, count))
    monkeypatch.setattr(forked, "on_every_core", in_process)
    return seen


@pytest.mark.parametrize("name", ["zotero.bib", "scholar.bib", "duplicates.bib", "broken.bib",
                                  "strings-comments.bib"])
def test_pieces_give_what_one_parse_gives(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    text = (FIXTURES / name).read_text(encoding="utf-8") * 3
    expected = whole(text)
    seen = cut_into(monkeypatch, 4)
    assert parse_bibtex(text, "x.bib") == expected
    # macros need the whole file; the others are cut (broken.bib then parsed again whole)
    assert seen == ([] if name == "strings-comments.bib" else [4])


def test_a_broken_entry_in_a_piece_is_reported_as_one_parse_reports_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    good = "@misc{{k{0},\n  title = {{Paper {0}}},\n}}\n"
    text = "".join(good.format(i) for i in range(10)) + "@misc{open,\n  title = {Open {brace},\n}\n" \
        + "".join(good.format(i) for i in range(10, 20))
    cut_into(monkeypatch, 3)
    result = parse_bibtex(text, "x.bib")
    assert result == whole(text)
    assert [(f.line, f.reason) for f in result.failures] == [
        (31, "@misc{open}: 1 { not closed when the next entry starts")]
    assert len(result.entries) == 20


def test_lines_are_counted_as_one_parse_counts_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """bibtexparser does not count a newline right after a backslash (a LaTeX line break
    ending a line): pieces after one give the line one parse gives."""
    broken = "@misc{a,\n  title = {A},\n  abstract = {first line\\\\\n  second line},\n}\n"
    text = broken * 10 + "".join(f"@misc{{k{i},\n  year = {{2020}},\n}}\n" for i in range(10))
    seen = cut_into(monkeypatch, 2)
    result = parse_bibtex(text, "x.bib")
    assert seen == [2] and result == whole(text)
    assert len(result.failures) == 10
    # numbered by the file's lines: each @misc{k} after the ten of five lines
    assert [f.line for f in result.failures] == [51 + 3 * i for i in range(10)]


def test_only_the_rest_of_the_file_is_parsed_again_after_a_broken_piece(
        monkeypatch: pytest.MonkeyPatch) -> None:
    good = "".join(f"@misc{{k{i},\n  title = {{Paper {i}}},\n}}\n" for i in range(30))
    text = good + "@misc{open,\n  title = {Open {brace},\n}\n" + good
    expected = whole(text)
    cut_into(monkeypatch, 4)
    again: list[int] = []
    real = bibtex._parse

    def parse(text: str, file: str, first_line: int = 0, *, whole: bool) -> ParseResult | None:
        if whole:
            again.append(len(text))
        return real(text, file, first_line, whole=whole)

    monkeypatch.setattr(bibtex, "_parse", parse)
    assert parse_bibtex(text, "x.bib") == expected
    assert len(again) == 1 and len(text) / 4 < again[0] < len(text) * 3 / 4  # from the 2nd piece


def test_lines_of_failures_count_from_the_start_of_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "".join(f"@misc{{k{i},\n  title = {{Paper {i}}},\n}}\n" for i in range(20)) \
        + "@misc{untitled,\n  year = {2020},\n}\n"
    seen = cut_into(monkeypatch, 4)
    result = parse_bibtex(text, "x.bib")
    assert seen == [4] and result == whole(text)
    assert [(f.line, f.reason) for f in result.failures] == [(61, "@misc{untitled}: no title")]


_BLOCKS = st.sampled_from([
    "@misc{a, title = {A Title}}", "@article{b,\n  title = {B},\n  year = 2020,\n}",
    "@book(c, title = \"C\")", "@misc{d, title = {@ at sign}}", "@misc{e, title = {E\n@misc{f, x}",
    "@comment{a comment \n@misc{g, title={In a Comment}}}", "% a line comment", "stray text",
    "mail@example.org", "@misc{h, author = {A and B}}", "@misc{i, title = {I}, title = {Again}}",
    "@preamble{\"x\"}", "@misc{j, title = {J}", "}", "@misc{k,\n title = jan # {uary}}",
    "@misc{l, title = {L}, abstract = {one\\\\\ntwo}}", "@misc{m, year = 2020}", "a\\",
])


@settings(max_examples=200, deadline=None)
@given(st.lists(_BLOCKS, max_size=12), st.lists(st.sampled_from(["\n", "\n\n", " ", ""]),
                                                min_size=12, max_size=12),
       st.integers(2, 4))
def test_pieces_and_one_parse_agree_on_any_sequence_of_blocks(blocks: list[str], gaps: list[str],
                                                              count: int) -> None:
    text = "".join(block + gap for block, gap in zip(blocks, gaps, strict=False))
    with pytest.MonkeyPatch.context() as monkeypatch:
        cut_into(monkeypatch, count)
        try:
            result = parse_bibtex(text, "x.bib")
        except InputError:
            with pytest.raises(InputError):
                whole(text)
            return
    assert result == whole(text)


def test_a_big_file_is_parsed_by_forked_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    pools = forked_pools_on_two_cores(monkeypatch)
    text = (FIXTURES / "zotero.bib").read_text(encoding="utf-8") * 20
    expected = whole(text)
    monkeypatch.setattr(importers, "PIECE_CHARS", len(text) // 2)
    assert parse_bibtex(text, "x.bib") == expected
    assert pools == [2]


def test_a_huge_file_is_cut_into_pieces_no_longer_than_the_most(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces for the workers, and more when they would be long: a worker then holds
    one short piece's parse at a time."""
    monkeypatch.setattr(forked, "workers_for", lambda tasks: min(tasks, 2) if tasks > 1 else 1)
    piece, most = importers.PIECE_CHARS, importers.MAX_PIECE_CHARS
    assert importers.piece_count(piece) == 1
    assert importers.piece_count(3 * piece) == 2
    assert importers.piece_count(3 * piece, per_worker=2) == 4
    assert importers.piece_count(20 * most) == 20
    assert importers.piece_count(20 * most + 1, per_worker=2) == 21
    text = "@misc{k,\n  title = {T},\n}\n" * (3 * most // 26)
    assert max(end - start for start, end in bibtex._pieces(text)) <= most + 26


# ------------------------------------------------------------------ through the library and the CLI


def test_bib_entry_merges_into_the_page_dump_paper(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    sample = ROOT / "sample_data" / "vision-language-pretraining.txt"
    assert cli(library, "import", str(sample)).returncode == 0
    before = json.loads(cli(library, "show", "languagebind", "--json").stdout)
    assert "authors" not in before
    cli(library, "tag", "add", "vlp", "languagebind")
    done = cli(library, "import", str(FIXTURES / "scholar.bib"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("2 new, 1 already in library, 0 failed")
    # a \cite{zhu2023languagebind} fails on the export: the import says so
    assert done.stderr.splitlines() == [
        "papershelf: warning: .bib key 'zhu2023languagebind' is 'languagebind' here "
        "(it has that paper's title, and one title is one paper here)"]
    after = json.loads(cli(library, "show", "languagebind", "--json").stdout)
    assert after["authors"][:2] == ["Zhu, Bin", "Lin, Bin"] and after["year"] == "2023"
    assert after["tags"] == ["vlp"] and after["abstract"] == before["abstract"]
    assert [s["file"] for s in after["sources"]] == ["vision-language-pretraining.txt", "scholar.bib"]
    assert after["type"] == "article" and after["fields"]["journal"] == "{arXiv preprint arXiv:2310.01852}"
    again = cli(library, "import", str(FIXTURES / "scholar.bib"), "--json")
    assert json.loads(again.stdout)["renamed"] == {}  # said once: the file is a source now
    assert json.loads(again.stdout)["existing"] == ["radford2021learning", "li2022blip", "languagebind"]


def test_a_bib_entry_merged_into_a_paper_with_fields_adds_those_it_lacks(tmp_path: Path) -> None:
    """Importing an export back gives every page-dump paper fields (``@misc``, a url):
    a Google Scholar entry merged into one afterwards showed its authors and year, but
    its export had neither, nor the journal, and stayed ``@misc``."""
    library = tmp_path / "lib"
    sample = ROOT / "sample_data" / "vision-language-pretraining.txt"
    assert cli(library, "import", str(sample)).returncode == 0
    backup = tmp_path / "backup.bib"
    assert cli(library, "export", "-o", str(backup)).returncode == 0
    assert cli(library, "import", str(backup)).returncode == 0
    before = json.loads(cli(library, "show", "languagebind", "--json").stdout)
    assert before["type"] == "misc"
    done = cli(library, "import", str(FIXTURES / "scholar.bib"))
    assert done.returncode == 0, done.stderr
    after = json.loads(cli(library, "show", "languagebind", "--json").stdout)
    assert after["type"] == "article" and after["fields"]["journal"] == "{arXiv preprint arXiv:2310.01852}"
    assert after["fields"]["url"] == before["fields"]["url"]  # its own fields stay
    entry = cli(library, "show", "languagebind", "--bibtex").stdout
    assert entry.startswith("@article{languagebind,")
    assert "author = {Zhu, Bin and Lin, Bin" in entry and "year = {2023}" in entry
    assert entry.count("title = ") == 1 and entry.count("url = ") == 1


def test_cli_reports_broken_entries_on_stderr_and_imports_the_rest(tmp_path: Path) -> None:
    done = cli(tmp_path / "lib", "import", str(FIXTURES / "broken.bib"))
    assert done.returncode == 0
    assert done.stdout.strip() == "3 new, 0 already in library, 3 failed"
    assert done.stderr.splitlines() == [
        "papershelf: warning: broken.bib:6: skipped @article{unbalanced}: "
        "1 { not closed when the next entry starts",
        "papershelf: warning: broken.bib:15: skipped @article{nocomma}: "
        "expected comma after entry key, but found =",
        "papershelf: warning: broken.bib:19: skipped @misc{notitle}: no title",
    ]
    keys = cli(tmp_path / "lib", "list", "--keys").stdout.split()
    assert sorted(keys) == ["good1", "good2", "good3"]


def test_an_entry_missing_the_comma_between_two_fields_is_skipped(tmp_path: Path) -> None:
    """bibtexparser read the next field into the value (the title "Good Threeauthor=..."
    and no author), silently; BibTeX rejects the entry ("I was expecting a ',' or a
    '}'"), so it is skipped, as other entries BibTeX cannot read are."""
    text = ("@article{three,\n  title = {Good Three}\n  author = {Missing Comma},\n  year = {2005},\n}\n"
            '@article{four,\n  title = "Good Four",\n  year = 2005\n  month = jan,\n}\n'
            '@article{fine,\n  title = {Fine} # " one",\n  month = jun # "--" # aug,\n'
            '  year = "20" # {05}\n}\n')
    done = cli(tmp_path / "lib", "import", "-", stdin=text)
    assert done.stdout.strip() == "1 new, 0 already in library, 2 failed"
    assert done.stderr.splitlines() == [
        "papershelf: warning: <stdin>:1: skipped @article{three}: the field title has no comma "
        "before 'author' (BibTeX expects a ',' between fields)",
        "papershelf: warning: <stdin>:6: skipped @article{four}: the field year has no comma "
        "before 'month' (BibTeX expects a ',' between fields)",
    ]
    fine = json.loads(cli(tmp_path / "lib", "show", "fine", "--json").stdout)
    assert (fine["title"], fine["year"]) == ("Fine one", "2005")


def test_cli_imports_bibtex_from_stdin(tmp_path: Path) -> None:
    done = cli(tmp_path / "lib", "import", "-", stdin="@misc{stdin2024, title = {From Standard Input}}\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1 new, 0 already in library, 0 failed"
    assert cli(tmp_path / "lib", "list", "--keys").stdout.split() == ["stdin2024"]


def test_control_characters_in_fields_are_dropped() -> None:
    text = ("@article{evil, title={Evil \x1b]0;PWNED\x07 Title}, abstract={Cleared \x1b[2J screen},"
            " annote={note \x1b[7m reversed\nsecond line}}")
    (entry,) = parse_bibtex(text, "evil.bib").entries
    assert (entry.title, entry.abstract) == ("Evil Title", "Cleared screen")  # sequences whole
    assert entry.note == "note  reversed\nsecond line"  # (a note keeps its spaces)


# ------------------------------------------------------------------ @preamble

PREAMBLE_BIB = """\
@string{lead = "\\providecommand{\\lead}{x}"}
@preamble{ "\\providecommand{\\noopsort}[1]{}" }
@PREAMBLE{{\\providecommand{\\cafe}{caf\\'e é}}}
@preamble{lead # " \\providecommand{\\tail}{y}"}
@preamble{ "" }
@book{knuth1,
  title = {The {TeX}book},
  author = {{\\noopsort{a}}Knuth, Donald},
}
@preamble{ "\\providecommand{\\noopsort}[1]{}" }
@book{knuth2,
  title = {The {METAFONT}book},
  author = {{\\noopsort{b}}Knuth, Donald},
}
"""


def test_preambles_are_kept_as_exported_in_the_order_found() -> None:
    """Entries may use macros a ``@preamble`` defines (``\\noopsort`` to sort names):
    its value is kept as BibTeX writes it back, macros resolved, made ASCII; empty ones
    are not."""
    result = parse_bibtex(PREAMBLE_BIB, "knuth.bib")
    assert [e.bib_key for e in result.entries] == ["knuth1", "knuth2"]
    assert result.preambles == [
        '"\\providecommand{\\noopsort}[1]{}"',
        "{\\providecommand{\\cafe}{caf\\'e {\\'e}}}",
        "{\\providecommand{\\lead}{x} \\providecommand{\\tail}{y}}",
        '"\\providecommand{\\noopsort}[1]{}"',
    ]
    assert not result.failures


def test_preambles_in_pieces_are_those_of_one_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    text = PREAMBLE_BIB.split("@preamble{ \"\"", 1)[1].split("\n", 1)[1] * 4  # no @string
    expected = whole(text)
    assert len(expected.preambles) == 4
    seen = cut_into(monkeypatch, 3)
    assert parse_bibtex(text, "x.bib") == expected and seen == [3]


def test_cli_keeps_each_preamble_once_and_exports_them_first(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    path = tmp_path / "knuth.bib"
    path.write_text(PREAMBLE_BIB, encoding="utf-8")
    assert cli(library, "import", str(path), "--dry-run").returncode == 0
    assert Library(library).preambles() == []
    for _ in range(2):
        done = cli(library, "import", str(path))
        assert done.returncode == 0 and not done.stderr, done.stderr
    assert len(Library(library).preambles()) == 3
    for args in (["export"], ["export", "knuth2"]):
        out = cli(library, *args).stdout
        assert out.startswith('@preamble{"\\providecommand{\\noopsort}[1]{}"}\n\n'
                              "@preamble{{\\providecommand{\\cafe}{caf\\'e {\\'e}}}}\n\n"
                              "@preamble{{\\providecommand{\\lead}{x} \\providecommand{\\tail}{y}}}"
                              "\n\n@book{knuth")
        assert out.isascii() and out.count("@preamble") == 3
    shown = cli(library, "show", "knuth1", "--bibtex").stdout
    assert shown.startswith("@book{knuth1,")  # one entry: no preamble



def test_a_bib_of_macros_only_imports_nothing_and_says_so() -> None:
    from papershelf.importers import definitions_only

    macros = parse_input("IEEEabrv.bib", b'@string{IEEE_J_PAMI = "{IEEE} Trans. PAMI"}\n'
                                         b'@STRING{IEEE_J_IP = "{IEEE} Trans. Image Process."}\n')
    assert macros.entries == [] and macros.macros == ["IEEE_J_PAMI", "IEEE_J_IP"]
    assert definitions_only(macros) == ("no entries, only 2 @string macros (IEEE_J_PAMI, IEEE_J_IP): "
                                        "an entry using one is exported with its name, for BibTeX "
                                        "to read with the file that defines it")
    again = parse_input("a.bib", b'@string{pami = "PAMI"}\n@string{PAMI = "T. PAMI"}\n@string{ip = "IP"}\n')
    assert definitions_only(again).startswith("no entries, only 2 @string macros (PAMI, ip): ")
    preambles = parse_input("sort.bib", b'@preamble{"\\providecommand{\\noopsort}[1]{}"}\n')
    assert definitions_only(preambles) == "no entries, only 1 @preamble, kept for export"
    assert definitions_only(parse_input("refs.bib", b"@misc{x, title={A Paper}}")) is None
    with pytest.raises(InputError, match="no BibTeX entries found"):  # nor a broken entry
        parse_input("broken.bib", b'@string{a = "b"}\n@misc{x, title={No end}\n')


def test_cli_imports_the_entries_beside_a_bib_of_macros(tmp_path: Path) -> None:
    abrv, refs = tmp_path / "IEEEabrv.bib", tmp_path / "refs.bib"
    abrv.write_text('@string{IEEE_J_PAMI = "{IEEE} Trans. PAMI"}\n', encoding="utf-8")
    refs.write_text("@article{ieee1, title={Some TPAMI Paper}, journal=IEEE_J_PAMI, year=2020}\n",
                    encoding="utf-8")
    done = cli(tmp_path / "lib", "import", str(abrv), str(refs))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1 new, 0 already in library, 0 failed\n"
    assert done.stderr == ("papershelf: warning: IEEEabrv.bib: no entries, only 1 @string macro "
                           "(IEEE_J_PAMI): an entry using one is exported with its name, for BibTeX "
                           "to read with the file that defines it\n")
    assert "  journal = IEEE_J_PAMI,\n" in cli(tmp_path / "lib", "export").stdout

def test_cli_names_the_bib_keys_it_could_not_keep(tmp_path: Path) -> None:
    many = "".join(f"@misc{{a/{n}, title={{Paper {n}}}}}\n" for n in range(7))
    done = cli(tmp_path / "lib", "import", "-", stdin=(
        "@inproceedings{DBLP:conf/cvpr/HeZRS16, title={Deep Residual Learning}}\n"
        "@misc{good2020, title={Good Key}}\n"))
    assert done.stderr.splitlines() == [
        "papershelf: warning: .bib key 'DBLP:conf/cvpr/HeZRS16' is 'deep-residual-learning' here "
        "(a key holds only letters, digits and _ : . -, at most 40)"]
    done = cli(tmp_path / "lib", "import", "-", stdin="@misc{Good2020, title={Other}}\n" + many)
    assert done.stderr.splitlines() == [
        "papershelf: warning: .bib key 'Good2020' is 'Good2020-2' here (that key is taken, up to "
        "case, by a paper of another title)",
        "papershelf: warning: .bib key 'a/0' is 'paper-0' here "
        "(a key holds only letters, digits and _ : . -, at most 40)",
        "papershelf: warning: .bib key 'a/1' is 'paper-1' here "
        "(a key holds only letters, digits and _ : . -, at most 40)",
        "papershelf: warning: ... and 5 more .bib keys are changed (import --json lists them)"]
    again = cli(tmp_path / "lib", "import", "--json", "-", stdin="@misc{x/y, title={New One}}\n" + many)
    assert json.loads(again.stdout)["renamed"] == {"x/y": "new-one"}  # the rest were there
    assert again.stderr == ""



def test_cli_names_every_key_a_repeated_bib_key_became(tmp_path: Path) -> None:
    """Three entries keyed d became d, d-2 and d-3; the warning named d-2 only."""
    done = cli(tmp_path / "lib", "import", "-", stdin="".join(
        f"@article{{d, title={{{title}}}, year=1}}\n" for title in ("One", "Two", "Three")))
    assert done.stdout == "3 new, 0 already in library, 0 failed\n"
    assert done.stderr == ("papershelf: warning: .bib key 'd' is 'd-2', 'd-3' here (that key is "
                           "taken, up to case, by a paper of another title)\n")

def test_a_reimported_export_joins_its_papers_whose_titles_it_spelled_in_ascii(
        tmp_path: Path) -> None:
    from papershelf.exporters.bibtex import to_bibtex
    from papershelf.importers.pages import parse_page_dump

    abstract = "An abstract long enough to be one. It has two sentences."
    titles = ["Kyiv Київ and Cyrillic", "Quantum Ψ-states in Ελληνικά text", "中文 Title"]
    lib = Library(tmp_path / "lib")
    lib.add(parse_page_dump("".join(f"{t}\n\n{abstract}\n\n" for t in titles), "p.txt").entries)
    # a page dump drops a zero-width space; a .bib field keeps it
    titles.append("Zero\u200bWidth Title")
    lib.add([Entry(title=titles[-1], abstract=abstract)])
    exported = to_bibtex(lib.papers())
    # lossy (spelled in ASCII, as their keys are): these titles no longer match by title
    assert "title = {Kyiv Kiiv and Cyrillic}" in exported and "title = {{ZhongWen} Title}" in exported
    report = lib.add(parse_bibtex(exported, "refs.bib").entries)
    assert report.new == [] and len(report.existing) == 4
    assert sorted(p.title for p in lib.papers()) == sorted(titles)
    # a foreign entry under a taken key is another paper, as before
    assert sorted(p.key for p in lib.papers()) == [
        "kyiv-kiiv-cyrillic", "quantum-psi-states-ellinika", "zerowidth-title", "zhongwen-title"]
    report = lib.add(parse_bibtex("@misc{kyiv-kiiv-cyrillic, title={Kyiv and Cyrillic Again}}",
                                  "o.bib").entries)
    assert report.new == ["kyiv-kiiv-cyrillic-2"]


def test_cli_names_the_entries_whose_title_names_no_paper(tmp_path: Path) -> None:
    done = cli(tmp_path / "lib", "import", "-",
               stdin="@misc{a, title={?!?}}\n@misc{b, title={\\ldots}}\n@misc{c, title={Fine}}\n")
    assert done.stdout.strip() == "1 new, 0 already in library, 2 failed"
    assert done.stderr.splitlines() == [  # with where they are, as other skipped entries
        "papershelf: warning: <stdin>:1: skipped @misc{a}: the title '?!?' has no letter or digit",
        "papershelf: warning: <stdin>:2: skipped @misc{b}: the title '…' has no letter or digit"]
    assert json.loads(cli(tmp_path / "lib", "import", "--json", "-",
                          stdin="@misc{a, title={?!?}}\n@misc{c, title={Fine}}\n").stdout)["failed"] \
        == ["<stdin>:1"]


_CONFERENCE = ("@inproceedings{smith2019conf, author={Smith, J. and Lee, K.}, title={Robust Learning "
               "with Noisy Labels}, booktitle={Proc. ICML}, year={2019}, pages={1--8}}\n")
_JOURNAL = ("@article{smith2020journal, author={Smith, J. and Lee, K. and Park, S.}, title={Robust "
            "learning with noisy labels}, journal={IEEE TPAMI}, volume={42}, year={2020}, "
            "pages={100--120}}\n")


def test_two_keys_of_one_file_with_one_title_are_named_and_not_mixed(tmp_path: Path) -> None:
    """One title is one paper (SPEC), so the second entry joins the first: the import
    said nothing of it (a \\cite of its key then fails), and the paper took the fields it
    lacked from the other version (an inproceedings with a journal and a volume)."""
    bib = tmp_path / "two.bib"
    bib.write_text(_CONFERENCE + _JOURNAL)
    for _ in range(2):  # and again, when the file is already one of the paper's sources
        done = cli(tmp_path / "lib", "import", str(bib))
        assert done.returncode == 0
        assert done.stderr.splitlines() == [
            "papershelf: warning: .bib key 'smith2020journal' is 'smith2019conf' here "
            "(it has that paper's title, and one title is one paper here)",
            "papershelf: warning: .bib entry 'smith2020journal' (merged into 'smith2019conf', of the "
            "same title) differs in type, year, pages: the paper kept its own fields, "
            "taking none of another version's (papershelf import --update takes them)"]
    paper = json.loads(cli(tmp_path / "lib", "show", "smith2019conf", "--json").stdout)
    assert paper["type"] == "inproceedings" and paper["year"] == "2019"
    assert sorted(paper["fields"]) == ["author", "booktitle", "pages", "title", "year"]
    assert paper["authors"] == ["Smith, J.", "Lee, K."]


_PREPRINT = ("@article{smith2020, author={Smith, J.}, title={Deep Learning for Graphs}, "
             "journal={arXiv preprint arXiv:2001.00001}, year={2020}}")
_PUBLISHED = ("@article{smith2020, author={Smith, J. and Doe, A.}, title={Deep Learning for "
              "Graphs}, journal={Nature}, volume={580}, pages={1--10}, year={2021}}")


def test_a_newer_version_of_an_entry_is_not_mixed_into_the_paper(tmp_path: Path) -> None:
    """The published entry from another file than the preprint's: the paper had kept
    the preprint's journal and year and taken the article's volume and pages."""
    library = Library(tmp_path / "lib")
    preprint = _PREPRINT
    library.add(parse_bibtex(preprint, "a.bib").entries)
    report = library.add(parse_bibtex(_PUBLISHED, "b.bib").entries)
    assert report.differing == {"smith2020": ["year", "journal"]} and report.renamed == {}
    assert library.get("smith2020").fields == {
        "author": "{Smith, J.}", "title": "{Deep Learning for Graphs}",
        "journal": "{arXiv preprint arXiv:2001.00001}", "year": "{2020}"}
    # the same entry with a field more (its DOI, found since) still gives it
    with_doi = preprint[:-1] + ", doi={10.1000/x}}"
    assert library.add(parse_bibtex(with_doi, "c.bib").entries).differing == {}
    assert library.get("smith2020").fields["doi"] == "{10.1000/x}"


def test_import_update_takes_the_newer_version_and_keeps_what_is_the_users(tmp_path: Path) -> None:
    """A black-box review: a corrected or published entry imported again was "already in
    library", and the only way to take it was rm and import, which lost tags and notes."""
    library = Library(tmp_path / "lib")
    library.add(parse_bibtex(_PREPRINT, "a.bib").entries)
    library.tag(["smith2020"], "graphs")
    library.set_note("smith2020", "read the proofs")
    library.set_read(["smith2020"], True)
    report = library.add(parse_bibtex(_PUBLISHED, "b.bib").entries, update=True)
    assert (report.updated, report.differing, report.new) == (["smith2020"], {}, [])
    paper = Library(library.root).get("smith2020")
    assert paper.fields == parse_bibtex(_PUBLISHED, "b.bib").entries[0].fields
    assert (paper.year, paper.authors) == ("2021", ("Smith, J.", "Doe, A."))
    assert (paper.tags, paper.note, paper.read) == (("graphs",), "read the proofs", True)
    assert [source.file for source in paper.sources] == ["a.bib", "b.bib"]
    again = library.add(parse_bibtex(_PUBLISHED, "b.bib").entries, update=True)
    assert again.updated == []
    assert report.change is not None
    library.undo(report.change)  # the preprint's fields come back, and the user's stay
    paper = Library(library.root).get("smith2020")
    assert paper.year == "2020" and paper.fields["journal"] == "{arXiv preprint arXiv:2001.00001}"
    assert (paper.tags, paper.note, paper.read) == (("graphs",), "read the proofs", True)


def test_import_update_takes_nothing_from_an_entry_of_the_same_version(tmp_path: Path) -> None:
    """Found by a code review: papershelf's own export of a paper in Chinese, imported
    back with --update, replaced its title and authors with their ASCII spelling; an
    unchanged DBLP entry counted as updated at every import (its crossref points at the
    key the proceedings have here); and a note kept over the entry's annote was no
    longer reported."""
    from papershelf.exporters.bibtex import to_bibtex

    library = Library(tmp_path / "lib")
    library.add(parse_bibtex("@article{wang2020, title={机器学习的基础}, author={王, 小明}, "
                             "journal={计算机学报}, year={2020}}", "a.bib").entries)
    exported = to_bibtex(library.papers(["wang2020"]), {})
    assert "JiQiXueXi" in exported
    assert library.add(parse_bibtex(exported, "out.bib").entries, update=True).updated == []
    paper = Library(library.root).get("wang2020")
    assert (paper.title, paper.authors) == ("机器学习的基础", ("王, 小明",))
    dblp = ("@inproceedings{DBLP:conf/x/A1, title={Looking Closer}, author={Kim Lee}, "
            "crossref={DBLP:conf/x/2021}}\n@proceedings{DBLP:conf/x/2021, title={Proceedings of X}, "
            "booktitle={Proceedings of X}, year={2021}}\n")
    library.add(parse_bibtex(dblp, "dblp.bib").entries)
    assert library.add(parse_bibtex(dblp, "dblp.bib").entries, update=True).updated == []
    library.set_note("wang2020", "mine")
    other = exported.replace("@article{wang2020,", "@article{wang2020,\n  annote = {theirs},")
    report = library.add(parse_bibtex(other, "other.bib").entries, update=True)
    assert report.notes_kept == ["wang2020"] and Library(library.root).get("wang2020").note == "mine"


def test_import_update_takes_only_what_differs(tmp_path: Path) -> None:
    """A second black-box review: the export of a paper in Chinese, its year edited and
    imported with --update, put the ASCII spelling over its title, authors and journal;
    empty fields (``author = {}``) wiped the paper's; a page-dump paper took the
    entry's fields unreported and then, at the next --update, its abstract; of two
    entries of one title, the last one won."""
    from papershelf.exporters.bibtex import to_bibtex

    library = Library(tmp_path / "lib")
    library.add(parse_bibtex("@article{wang2020, title={机器学习的基础}, author={王, 小明}, "
                             "journal={计算机学报}, year={2020}, pages={1--2}}", "a.bib").entries)
    edited = to_bibtex(library.papers(["wang2020"]), {}).replace("{2020}", "{2021}")
    assert library.add(parse_bibtex(edited, "out.bib").entries, update=True).updated == ["wang2020"]
    paper = Library(library.root).get("wang2020")
    assert (paper.title, paper.authors, paper.year) == ("机器学习的基础", ("王, 小明",), "2021")
    assert paper.fields["journal"] == "{计算机学报}" and paper.fields["year"] == "{2021}"
    empty = "@article{wang2020, title={机器学习的基础}, author={}, journal={}, year={}, pages={}, volume={3}}"
    report = library.add(parse_bibtex(empty, "e.bib").entries, update=True)
    assert (report.updated, report.differing) == (["wang2020"], {})
    paper = Library(library.root).get("wang2020")
    assert (paper.authors, paper.year, paper.fields["journal"]) == (("王, 小明",), "2021", "{计算机学报}")
    assert paper.fields["volume"] == "{3}" and paper.fields["pages"] == "{1--2}"

    library.add(sample_entries()[:1])
    page = library.get(library.keys_in_order()[-1])
    entry = f"@inproceedings{{x, title={{{page.title}}}, author={{Zhu, H.}}, year={{2023}}, " \
            "booktitle={ICCV}, abstract={Short official abstract.}}"
    first = library.add(parse_bibtex(entry, "p.bib").entries, update=True)
    assert first.updated == [page.key]
    assert Library(library.root).get(page.key).abstract == "Short official abstract."
    assert library.add(parse_bibtex(entry, "p.bib").entries, update=True).updated == []

    twins = ("@article{ta, title={Twin}, author={A, A}, year={2001}}\n"
             "@article{tb, title={Twin}, author={B, B}, year={2002}}\n")
    library.add(parse_bibtex(twins, "t.bib").entries)
    later = twins.replace("A, A", "C, C").replace("2001", "2003")
    later = later.replace("B, B", "D, D").replace("2002", "2004")
    report = library.add(parse_bibtex(later, "t2.bib").entries, update=True)
    assert report.updated == ["ta"] and report.differing == {"tb": ["year"]}
    twin = Library(library.root).get("ta")
    assert (twin.authors, twin.year) == (("C, C",), "2003")


def test_import_update_from_the_command_line(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    for text, name in ((_PREPRINT, "a.bib"), (_PUBLISHED, "b.bib")):
        (tmp_path / name).write_text(text)
    assert cli(lib, "import", str(tmp_path / "a.bib")).returncode == 0
    dry = cli(lib, "import", "--update", "--dry-run", str(tmp_path / "b.bib"))
    assert dry.stdout.splitlines() == [
        "~ smith2020  Deep Learning for Graphs",
        "would import: 0 new, 1 already in library, 0 failed (dry run: nothing changed)",
        "would update 1 paper from its .bib entry"]
    assert json.loads(cli(lib, "show", "smith2020", "--json").stdout)["year"] == "2020"
    done = cli(lib, "import", "--update", str(tmp_path / "b.bib"))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == ["0 new, 1 already in library, 0 failed",
                                        "updated 1 paper from its .bib entry: smith2020"]
    assert json.loads(cli(lib, "show", "smith2020", "--json").stdout)["year"] == "2021"
    as_json = json.loads(cli(lib, "import", "--update", "--json", str(tmp_path / "a.bib")).stdout)
    assert as_json["updated"] == ["smith2020"] and as_json["differing"] == {}


def test_the_papers_own_file_changed_since_is_another_version_too(tmp_path: Path) -> None:
    """Replacing the paper's fields from "its own file" went by the file's name: two
    references.bib, stdin or the clipboard swapped the versions back and forth (a
    review found it). Tags, note and read state are never touched either way."""
    library = Library(tmp_path / "lib")
    library.add(parse_bibtex(_PREPRINT, "refs.bib").entries)
    library.tag(["smith2020"], "mine")
    report = library.add(parse_bibtex(_PUBLISHED, "refs.bib").entries)
    assert report.differing == {"smith2020": ["year", "journal"]}
    paper = library.get("smith2020")
    assert paper.fields["journal"] == "{arXiv preprint arXiv:2001.00001}" and paper.year == "2020"
    assert paper.tags == ("mine",)


def test_an_export_spelling_a_field_in_ascii_is_no_other_version(tmp_path: Path) -> None:
    from papershelf.exporters.bibtex import to_bibtex

    library = Library(tmp_path / "lib")
    library.add(parse_bibtex("@article{cj, title={中文 分词 研究}, journal={计算机学报}, year=2018}",
                             "mix.bib").entries)
    exported = to_bibtex(library.papers(["cj"]), {})
    assert "JiSuanJiXueBao" in exported
    for _ in range(2):
        report = library.add(parse_bibtex(exported, "export.bib").entries)
        assert report.differing == {} and report.existing == ["cj"]
    assert library.get("cj").fields["journal"] == "{计算机学报}"


@pytest.mark.parametrize("journal", ["Χημικά Χρονικά", "مجلة جامعة الملك سعود", "CO₂ Letters"])
def test_our_export_spelling_a_journal_otherwise_than_anyascii_is_no_other_version(
        tmp_path: Path, journal: str) -> None:
    """Our export writes Greek capitals as Latin look-alikes (Χ as X, anyascii's Ch)."""
    from papershelf.exporters.bibtex import to_bibtex

    library = Library(tmp_path / "lib")
    library.add(parse_bibtex(f"@article{{p, title={{T T}}, journal={{{journal}}}, year=2019}}",
                             "a.bib").entries)
    exported = to_bibtex(library.papers(["p"]), {})
    assert library.add(parse_bibtex(exported, "export.bib").entries).differing == {}


def test_a_doi_written_as_a_url_is_the_same_doi(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    library.add(parse_bibtex("@article{a, title={T T}, doi={https://doi.org/10.1016/j.x.2021.1}}",
                             "sd.bib").entries)
    report = library.add(parse_bibtex("@article{a, title={T T}, doi={10.1016/J.X.2021.1}, "
                                      "volume={3}}", "zotero.bib").entries)
    assert report.differing == {} and library.get("a").fields["volume"] == "{3}"


def test_a_doi_tells_versions_apart(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    library.add(parse_bibtex("@misc{chen2020, title={A Simple Framework}, year={2020}, "
                             "publisher={arXiv}, doi={10.48550/arXiv.2002.05709}}", "z.bib").entries)
    report = library.add(parse_bibtex("@inproceedings{chen2020, title={A Simple Framework}, "
                                      "year={2020}, booktitle={ICML}, doi={10.5555/3524938}}",
                                      "d.bib").entries)
    assert report.differing == {"chen2020": ["type", "doi"]}
    assert "booktitle" not in library.get("chen2020").fields


@pytest.mark.parametrize(("before", "after"), [
    # as JabRef or bibtool save it again: quotes to braces, the month macro spelled out
    ('@article{k, title="T One", author="Doe, J.", journal="Nature", year="2020", month=jul, '
     'pages="1-8"}',
     "@article{k, title={T One}, author={Doe, J.}, journal={{N}ature}, year={2020}, "
     "month={July}, pages={1--8}, doi={10.1/x}}"),
    # another source of the same version: names written the other way round, a URL
    ("@inproceedings{k, title={T One}, author={Xu, Hu}, booktitle={ICLR}, year={2024}, "
     "url={https://a.org/x}}",
     "@inproceedings{k2, title={T One}, author={Hu Xu}, booktitle={ICLR}, year={2024}, "
     "url={https://b.org/y}, doi={10.1/x}}"),
])
def test_the_same_version_written_otherwise_is_no_other_version(tmp_path: Path, before: str,
                                                                 after: str) -> None:
    library = Library(tmp_path / "lib")
    library.add(parse_bibtex(before, "a.bib").entries)
    report = library.add(parse_bibtex(after, "b.bib").entries)
    assert report.differing == {}
    assert library.get("k").fields["doi"] == "{10.1/x}"  # what it lacked, taken


def test_a_page_dump_papers_export_imported_elsewhere_still_takes_its_bib_entry(
        tmp_path: Path) -> None:
    """Its export's url is the page's first link, no field of a version of the paper."""
    from papershelf.exporters.bibtex import to_bibtex

    first = Library(tmp_path / "first")
    first.add(parse_input("page.txt", (ROOT / "sample_data" / "language-image-pretraining.txt")
                          .read_bytes()).entries)
    exported = to_bibtex(first.papers(["demystifying-clip-data"]), {})
    second = Library(tmp_path / "second")
    second.add(parse_bibtex(exported, "export.bib").entries)
    scholar = ("@inproceedings{xu2024demystifying, title={Demystifying {CLIP} Data}, "
               "author={Xu, Hu and Xie, Saining}, booktitle={ICLR}, year={2024}, "
               "url={https://openreview.net/forum?id=5BCFlnfE1g}}")
    report = second.add(parse_bibtex(scholar, "scholar.bib").entries)
    assert report.differing == {}
    paper = second.get("demystifying-clip-data")
    assert paper.entry_type == "inproceedings" and paper.year == "2024"
    assert paper.fields["booktitle"] == "{ICLR}"


def test_a_library_export_imported_back_differs_from_nothing(tmp_path: Path) -> None:
    from papershelf.exporters.bibtex import to_bibtex

    library = Library(tmp_path / "lib")
    library.add(parse_bibtex((FIXTURES / "scholar.bib").read_text(encoding="utf-8"), "s.bib").entries)
    odd = ("@misc{u, title={U}, url={https://example.org/Schrödinger}, doi={10.1000/ä1}, "
           "howpublished={\\url{https://de.wikipedia.org/wiki/Äpfel}}}")
    library.add(parse_bibtex(odd, "odd.bib").entries)  # (an export percent-encodes them)
    key = library.keys()[0]
    library.tag([key], "mine")
    library.set_note(key, "100% & more")
    exported = to_bibtex(library.papers(library.keys()), {})
    dry = library.add(parse_bibtex(exported, "export.bib").entries, update=True, dry_run=True)
    assert dry.updated == []  # (nothing an export spells otherwise reads as another version)
    report = library.add(parse_bibtex(exported, "export.bib").entries)
    assert report.differing == {} and not report.new


def test_and_others_is_no_author_but_stays_in_the_export(tmp_path: Path) -> None:
    from papershelf.exporters.bibtex import to_bibtex
    from papershelf.importers.bibtex import parse_authors

    assert parse_authors("Doe, Jane and Roe, R. and others") == ("Doe, Jane", "Roe, R.")
    assert parse_authors("{others}") == ("others",)  # a name in braces is a name
    library = Library(tmp_path / "lib")
    library.add(parse_bibtex("@misc{k, title={T T}, author={Doe, Jane and others}}", "x.bib").entries)
    assert library.get("k").authors == ("Doe, Jane",)
    assert "author = {Doe, Jane and others}" in to_bibtex(library.papers(["k"]), {})
    # shown as "et al." (a black-box review: it was gone from the Markdown export)
    from papershelf.exporters.markdown import paper_to_markdown
    from papershelf.model import author_line

    assert "- authors: Doe, Jane; et al.\n" in paper_to_markdown(library.get("k"))
    assert author_line(("A, B",), {"editor": '"A, B AND others"'}) == "A, B; et al."
    assert author_line(("A, B", "Others"), {"author": "{A, B and Others}"}) == "A, B; Others"
    assert author_line(("A, B",), {"author": "{A, B and Others Smith}"}) == "A, B"


def test_a_note_emptied_stays_so_when_the_export_that_spelled_it_in_latex_is_imported(
        tmp_path: Path) -> None:
    """The export writes an annote read as ``café`` or ``x_1`` in LaTeX (``caf{\\'e}``,
    ``x\\_1``): imported again, it is the annote read before, not a new one (a data-safety
    review: the notes came back)."""
    bib = tmp_path / "acc.bib"
    notes = {"z1": "Très bien, café", "z2": "x_1 and y^2", "z3": "笔记 note"}
    bib.write_text("".join(f"@article{{{key}, title={{Title of {key}}}, annote={{{note}}}}}\n"
                           for key, note in notes.items()), encoding="utf-8")
    lib = tmp_path / "lib"
    cli(lib, "import", str(bib))
    cli(lib, "export", "-o", str(tmp_path / "back.bib"))
    assert "caf{\\'e}" in (tmp_path / "back.bib").read_text()
    for key in notes:
        cli(lib, "note", key, "")
    cli(lib, "import", str(tmp_path / "back.bib"))
    assert [Library(lib).get(key).note for key in notes] == ["", "", ""]


def test_a_tag_removed_or_a_note_emptied_stays_so_when_the_bib_is_imported_again(
        tmp_path: Path) -> None:
    """A .bib kept up to date (Zotero's auto-export) imported again: what its keywords and
    annote gave before, and the paper lost since, does not come back; what is new in
    them does."""
    bib = tmp_path / "z.bib"
    entry = "@article{{smith2020, title={{A Study of Things}}, keywords={{{}}}, annote={{{}}}}}\n"
    bib.write_text(entry.format("to-read, vision", "from zotero"))
    lib = tmp_path / "lib"
    cli(lib, "import", str(bib))
    cli(lib, "tag", "rm", "to-read", "smith2020")
    cli(lib, "note", "smith2020", "")
    cli(lib, "import", str(bib))
    paper = json.loads(cli(lib, "show", "smith2020", "--json").stdout)
    assert (paper["tags"], paper["note"]) == (["vision"], "")
    bib.write_text(entry.format("To-Read, vision, new-one", "edited in zotero"))
    cli(lib, "import", str(bib))
    paper = json.loads(cli(lib, "show", "smith2020", "--json").stdout)
    assert (paper["tags"], paper["note"]) == (["vision", "new-one"], "edited in zotero")
    cli(lib, "tag", "rm", "new-one", "smith2020")
    cli(lib, "import", str(bib))
    assert json.loads(cli(lib, "show", "smith2020", "--json").stdout)["tags"] == ["vision"]
    # two files, each with its keywords: a tag removed does not come back from either
    (tmp_path / "z2.bib").write_text("@article{smith2020b, title={A Study of Things}, "
                                     "keywords={rl}, annote={second file}}\n")
    cli(lib, "import", str(tmp_path / "z2.bib"))
    cli(lib, "tag", "rm", "vision", "smith2020")
    cli(lib, "import", str(bib))
    cli(lib, "import", str(tmp_path / "z2.bib"))
    assert json.loads(cli(lib, "show", "smith2020", "--json").stdout)["tags"] == ["rl"]
    # another version of the paper (not merged into it): its keywords and annote too
    (tmp_path / "v.bib").write_text("@inproceedings{smith2021, title={A Study of Things}, "
                                    "year={2021}, booktitle={ICLR}, keywords={conf}, "
                                    "annote={conference version}}\n")
    cli(lib, "note", "smith2020", "")
    cli(lib, "import", str(tmp_path / "v.bib"))
    cli(lib, "tag", "rm", "conf", "smith2020")
    cli(lib, "note", "smith2020", "")
    cli(lib, "import", str(tmp_path / "v.bib"))
    paper = json.loads(cli(lib, "show", "smith2020", "--json").stdout)
    assert (paper["tags"], paper["note"]) == (["rl"], "")
    # a tag "#ml" of a version before 2026-11-24, exported as \\#ml, which reads as ml
    from papershelf import tags as tag_rules

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(tag_rules, "tag_problem", lambda tag: None)
        Library(lib).tag(["smith2020"], "#ml")
    cli(lib, "export", "key:smith2020", "-o", str(tmp_path / "back.bib"))
    cli(lib, "import", str(tmp_path / "back.bib"))
    assert json.loads(cli(lib, "show", "smith2020", "--json").stdout)["tags"] == ["rl", "#ml"]
    # tags with a joiner that joins nothing, which older versions kept: read now without it
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(tag_rules, "tag_problem", lambda tag: None)
        Library(lib).tag(["smith2020"], "coder\u200d")
        Library(lib).tag(["smith2020"], "学习\u200d，数据")
    (tmp_path / "raw.bib").write_text("@article{smith2020, title={A Study of Things}, "
                                      "keywords={coder\u200d, 学习\u200d，数据}}\n")
    cli(lib, "import", str(tmp_path / "raw.bib"))
    assert json.loads(cli(lib, "show", "smith2020", "--json").stdout)["tags"] == [
        "rl", "#ml", "coder\u200d", "学习\u200d，数据"]
    # another .bib's keywords, of a paper first imported from a page dump: all its tags
    dump = tmp_path / "p.txt"
    dump.write_text("Another Paper Entirely\n\nIts abstract, long enough to be one.\n")
    cli(lib, "import", str(dump))
    other = tmp_path / "o.bib"
    other.write_text("@misc{o1, title={Another Paper Entirely}, keywords={vlp}}\n")
    cli(lib, "import", str(other))
    assert json.loads(cli(lib, "show", "another-paper-entirely", "--json").stdout)["tags"] == ["vlp"]


def test_annotes_kept_as_written_by_the_versions_of_one_hour_read_as_their_hashes() -> None:
    """9ff214c-933841a kept the annotes read as written; their hashes are kept now."""
    from papershelf.records import annote_id, imported_before

    text = {"abstract": "", "imported_annotes": ["{Dog}", annote_id("{Cat}")]}
    assert imported_before(text).annotes == {annote_id("{Dog}"), annote_id("{Cat}")}


def test_import_update_reads_the_keywords_and_annote_of_the_entry_it_takes(tmp_path: Path) -> None:
    """--update replaces the paper's fields: what the new entry's keywords and annote say
    is read as by any import (they were taken for read already), and what the old
    fields said was read stays read (a removed tag came back from the old file)."""
    lib = tmp_path / "lib"
    old = "@article{{smith2020, title={{A Study of Things}}, journal={{J}}, year={{2020}}{}}}\n"
    new = "@inproceedings{{smith2021, title={{A Study of Things}}, booktitle={{ICLR}}, year={{2021}}{}}}\n"
    (tmp_path / "a1.bib").write_text(old.format(", keywords={ml, cv}, annote={Cat note}"))
    (tmp_path / "a2.bib").write_text(new.format(""))
    (tmp_path / "a3.bib").write_text(new.format(", keywords={rl}, annote={Great paper}"))
    cli(lib, "import", str(tmp_path / "a1.bib"))
    cli(lib, "tag", "rm", "ml", "smith2020")
    cli(lib, "note", "smith2020", "")
    cli(lib, "import", "--update", str(tmp_path / "a2.bib"))
    cli(lib, "import", str(tmp_path / "a1.bib"))
    paper = json.loads(cli(lib, "show", "smith2020", "--json").stdout)
    assert (paper["tags"], paper["note"], paper["year"]) == (["cv"], "", "2021")
    cli(lib, "import", "--update", str(tmp_path / "a3.bib"))
    paper = json.loads(cli(lib, "show", "smith2020", "--json").stdout)
    assert (paper["tags"], paper["note"]) == (["cv", "rl"], "Great paper")
    assert "keywords = {cv, rl}" in cli(lib, "show", "smith2020", "--bibtex").stdout


def test_an_annote_not_taken_over_the_papers_own_note_is_said(tmp_path: Path) -> None:
    bib = tmp_path / "n.bib"
    bib.write_text("@misc{k1, title={Noted Paper}, annote={from the bib}}\n")
    assert cli(tmp_path / "lib", "import", str(bib)).stderr == ""
    cli(tmp_path / "lib", "note", "k1", "my own")
    bib.write_text("@misc{k1, title={Noted Paper}, annote={changed in the bib}}\n")
    dry = cli(tmp_path / "lib", "import", str(bib), "--dry-run", "--json")
    assert json.loads(dry.stdout)["notes_kept"] == ["k1"]
    assert cli(tmp_path / "lib", "import", str(bib)).stderr == (
        "papershelf: warning: k1 kept its own note, not the other one its entry's annote holds\n")
    # said once: the file imported again (kept up to date by Zotero) brings no other note
    assert json.loads(cli(tmp_path / "lib", "import", str(bib), "--json").stdout)["notes_kept"] == []
    assert cli(tmp_path / "lib", "note", "k1").stdout == "my own\n"
    cli(tmp_path / "lib", "export", "-o", str(tmp_path / "e.bib"))  # its own export: no other note
    assert json.loads(cli(tmp_path / "lib", "import", str(tmp_path / "e.bib"), "--json").stdout
                      )["notes_kept"] == []
    # the note it was imported with, edited here since: no other note either (a Zotero
    # export imported again), nor one an export spelled in ASCII
    other = tmp_path / "o.bib"
    other.write_text("@misc{k2, title={Other Noted}, annote={first}}\n")
    cli(tmp_path / "lib", "import", str(other))
    cli(tmp_path / "lib", "note", "k2", "读 this later, edited")
    assert json.loads(cli(tmp_path / "lib", "import", str(other), "--json").stdout)["notes_kept"] == []
    cli(tmp_path / "lib", "export", "k2", "-o", str(tmp_path / "e2.bib"))
    assert json.loads(cli(tmp_path / "lib", "import", str(tmp_path / "e2.bib"), "--json").stdout
                      )["notes_kept"] == []
    # an export made before the note was edited holds the note imported, in ASCII
    accented = tmp_path / "a.bib"
    accented.write_text("@misc{k3, title={Accented Noted}, annote={ma note modifiée}}\n")
    cli(tmp_path / "lib", "import", str(accented))
    cli(tmp_path / "lib", "export", "k3", "-o", str(tmp_path / "e3.bib"))
    cli(tmp_path / "lib", "note", "k3", "edited since")
    assert json.loads(cli(tmp_path / "lib", "import", str(tmp_path / "e3.bib"), "--json").stdout
                      )["notes_kept"] == []


def test_a_library_imported_before_macro_arguments_were_read_still_matches_its_entries(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its titles hold the earlier reading (``\\textsf: ...``): the same entries under
    other keys (renamed, or from another file) were new papers, and its keywords were
    written anew on export (a review found it)."""
    from papershelf.exporters.bibtex import to_bibtex
    from papershelf.latex import decode as decode_now

    bib = ("@inproceedings{DBLP:conf/mm/Jia14, title={{\\textsf{Caffe}}: Convolutional Architecture},"
           " year={2014}}\n@misc{Paszke_2019, title={\\texttt{PyTorch}: An Imperative Style}, "
           "keywords={\\texttt{pytorch}, deep learning}}\n")
    library = Library(tmp_path / "lib")
    with monkeypatch.context() as earlier:  # read as versions before 2026-11-23 did
        earlier.setattr(bibtex, "decode", lambda latex, **options: decode_now(
            latex, **{**options, "arguments_shown": False}))
        library.add(parse_bibtex(bib, "d.bib").entries)
    assert library.get("Paszke_2019").title == "\\texttt: An Imperative Style"
    assert "keywords = {\\texttt{pytorch}, deep learning}" in to_bibtex(library.papers(["Paszke_2019"]), {})
    other = bib.replace("DBLP:conf/mm/Jia14", "jia2014").replace("Paszke_2019", "paszke2019")
    report = library.add(parse_bibtex(other, "other.bib").entries)
    assert report.new == [] and sorted(report.existing) == ["Paszke_2019", "textsf"]
    # its tags are the keywords read then: read now, they were added again
    assert library.get("Paszke_2019").tags == ("texttt", "deep-learning")
    assert "keywords = {\\texttt{pytorch}, deep learning}" in to_bibtex(library.papers(["Paszke_2019"]), {})
    more = other.replace("deep learning}", "deep learning, GPU}")  # a keyword added since
    library.add(parse_bibtex(more, "other.bib").entries)
    assert library.get("Paszke_2019").tags == ("texttt", "deep-learning", "GPU")


def test_an_export_of_a_cjk_title_by_an_earlier_version_is_still_its_papers(tmp_path: Path) -> None:
    """Earlier exports braced no caseless spelling: ``{JiYuShenDu...FenCi with BERT}``."""
    library = Library(tmp_path / "lib")
    library.add(parse_bibtex("@article{wang2020, title={基于深度学习的中文分词 with BERT}, "
                             "year={2020}}", "cjk.bib").entries)
    earlier_export = "@article{wang2020, title = {JiYuShenDuXueXiDeZhongWenFenCi with BERT}, year = {2020}}"
    report = library.add(parse_bibtex(earlier_export, "refs.bib").entries)
    assert report.new == [] and report.existing == ["wang2020"]


@pytest.mark.parametrize(("latex", "text"), [
    ("\\color{red} x", "x"), ("\\label{sec:x}Intro", "Intro"), ("T\\thanks{Funded}", "T"),
    ("A\\rule{1cm}{0.4pt}B", "AB"), ("\\raisebox{1pt}{x}", "x"), ("\\phantom{x}y", "y"),
    ("Name\\IEEEauthorrefmark{1}", "Name"), ("\\nocite{k}Title", "Title"),
    ("\\bibinfo{title}{X}", "X"), ("\\fontsize{10}{12}\\selectfont Big", "Big"),
    ("{\\em X} and {\\sc Lisp}", "X and Lisp"), ("\\textcolor[rgb]{1,0,0}{R}", "R"),
])
def test_arguments_that_are_no_text_are_not_read_as_text(latex: str, text: str) -> None:
    """Shown as text, a label or a colour joined the words (``sec:xIntro``, ``red x``),
    which search, keys and duplicate matching then saw (a review found it)."""
    assert decode(latex) == text


def test_a_preprint_written_as_misc_is_a_version_but_an_export_of_a_page_dump_paper_is_not(
        tmp_path: Path) -> None:
    """Zotero writes a preprint as a misc: without a DOI to compare, it took the
    published entry's booktitle and pages beside its publisher = {arXiv} (a review)."""
    library = Library(tmp_path / "lib")
    library.add(parse_bibtex("@misc{chen2020, title={A Simple Framework}, year={2020}, "
                             "publisher={arXiv}, eprint={2002.05709}}", "z.bib").entries)
    report = library.add(parse_bibtex("@inproceedings{chen2020, title={A Simple Framework}, "
                                      "year={2020}, booktitle={ICML}, pages={1--11}}", "d.bib").entries)
    assert report.differing == {"chen2020": ["type"]}
    assert "booktitle" not in library.get("chen2020").fields


def test_a_parse_leaves_nothing_of_bibtexparsers_blocks_for_the_collector(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With the collector off, as on the command line: the reference cycles pylatexenc
    leaves (the exceptions it catches, with their frames) reached the parse's frame, and
    so kept bibtexparser's blocks of the whole text alive to the end of the process."""
    import gc
    import weakref

    import bibtexparser.entrypoint

    made: list[weakref.ref[object]] = []
    real = bibtexparser.entrypoint.parse_string

    def spied(text: str, **kwargs: object) -> object:
        library = real(text, **kwargs)  # type: ignore[arg-type]
        made.append(weakref.ref(library))
        return library

    monkeypatch.setattr(bibtexparser.entrypoint, "parse_string", spied)  # (imported when parsing)
    text = "@article{k,\n  title = {M{\\\"u}ller's \\emph{Ideas} \\& More},\n  year = {2020},\n}\n"
    was = gc.isenabled()
    gc.disable()
    try:
        result = whole(text)
        assert [e.title for e in result.entries] == ["Müller's Ideas & More"]
        assert made and made[0]() is None
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.parametrize(("url", "doi", "links"), [
    # Mendeley braces what it escapes in a url or doi
    (r"https://www.example.com/path{\_}with{\_}x?q=1{\&}r=2{\%}20", r"10.1002/(SICI)1097-4571{\_}x",
     ("https://www.example.com/path_with_x?q=1&r=2%20", "https://doi.org/10.1002/(SICI)1097-4571_x")),
    (r"http://www.cs.toronto.edu/{~}hinton/a\_b", "", ("http://www.cs.toronto.edu/~hinton/a_b",)),
])
def test_escaped_characters_in_a_url_or_doi_are_plain_in_its_link(url: str, doi: str,
                                                                   links: tuple[str, ...]) -> None:
    doi_field = f"doi = {{{doi}}}, " if doi else ""
    text = f"@article{{md, title={{Mendeley}}, {doi_field}url = {{{url}}}, year = 2019}}"
    assert parse_bibtex(text, "m.bib").entries[0].links == links


def test_a_brace_left_open_in_a_quoted_value_leaves_no_quote_in_the_text() -> None:
    """BibTeX rejects ``title = "Unbalanced { brace"``; bibtexparser ends the value at its
    last quote, which was read as text: the title was ``Unbalanced brace"``."""
    result = parse_bibtex('@misc{u1, title = "Unbalanced { brace in quotes", year = 2020}\n'
                          '@misc{u2, title = "Close } first {", year = 2020}\n', "x.bib")
    assert [e.title for e in result.entries] == ["Unbalanced brace in quotes", "Close first"]
    assert all('"' not in e.fields["title"] for e in result.entries)


@pytest.mark.parametrize(("head", "declared"), [
    ("% This file was created with JabRef 2.10.\n% ", "ISO8859_1"), ("% ", "Cp1252"),
    ("% ", "windows-1252"), ("This file was created with JabRef 2.1 beta 2.\n", "Cp1252")])
def test_a_jabref_file_is_read_in_the_encoding_it_declares(head: str, declared: str) -> None:
    """JabRef wrote ``% Encoding: ISO8859_1`` above its entries (2.1: ``Encoding: Cp1252``
    under its first line); such a file was refused as not UTF-8 (a black-box review)."""
    text = (f"{head}Encoding: {declared}\n\n"
            "@article{mueller2019,\n  author = {Müller, Jürgen},\n  title = {Über Cafés},\n}\n")
    result = importers.parse_input("old.bib", text.encode("latin-1"), "old.bib")
    assert [(e.title, e.authors) for e in result.entries] == [("Über Cafés", ("Müller, Jürgen",))]


@pytest.mark.parametrize(("head", "body"), [
    ("% Encoding: UTF-8\n", "@misc{a, title={Café}}\n"), ("% Encoding: rot13\n", "@misc{a, title={Café}}\n"),
    ("% Encoding: nope\n", "@misc{a, title={Café}}\n"), ("", "@misc{a, title={Café}}\n"),
    # one in which its own line does not read (EBCDIC), and a listing: no JabRef .bib
    ("% Encoding: cp037\n", "@misc{a, title={Café}}\n"),
    ("% Encoding: unicode_escape\n", "@misc{a, title={Café \\textbf{x}}}\n"),  # \t: a tab
    ("% Encoding: utf_7\n", "@misc{a, title={Café +-}}\n"),
    ("% Encoding: latin1\n", "Some Paper Title\n\nAn abstract of the café, long enough.\n")])
def test_a_file_in_no_encoding_it_declares_is_refused(head: str, body: str) -> None:
    with pytest.raises(importers.InputError, match=r"not UTF-8 text \(bad byte at offset \d+\)"
                       + (", nor BibTeX in " if head else r" \(")):
        importers.parse_input("x.bib", (head + body).encode("latin-1"), "x.bib")
