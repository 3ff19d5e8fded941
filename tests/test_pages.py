"""The page-dump importer: both layouts, chrome, dates, links, and robustness."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from papershelf import forked, importers
from papershelf.errors import InputError
from papershelf.importers import other_format, pages, parse_input
from papershelf.importers.pages import ParseResult, clean_line, parse_page_dump
from papershelf.links import extract_links
from papershelf.text import has_word, normalize_title, words

from .conftest import SAMPLES, forked_pools_on_two_cores

ABSTRACT = ("We study things at length. " * 12).strip()
LONG_ABSTRACT = ("We study things at greater length. " * 16).strip()  # longer than any title


def _dump(*papers: tuple[str, str], compact: bool = False, chrome: bool = True) -> str:
    sep = "\n" if compact else "\n\n"
    head = ["new", "Get trending papers in your email inbox!", "Subscribe",
            "byAK and the research community", "Mar 14"] if chrome else []
    body = [line for title, abstract in papers for line in (title, abstract)]
    return sep.join([*head, *body]) + "\n"


def test_the_five_samples_give_429_entries_and_356_papers() -> None:
    entries = []
    for path in SAMPLES:
        result = parse_page_dump(path.read_text(encoding="utf-8"), path.name)
        assert result.failures == []
        entries += result.entries
    assert len(SAMPLES) == 5
    assert len(entries) == 429
    assert len({normalize_title(e.title) for e in entries}) == 356


@pytest.mark.parametrize("line", ["by AK and the research community", "By Ak And The Research Community",
                                  "Get Trending Papers in your email inbox once a day !"])
def test_chrome_is_dropped_however_the_copy_spaced_it(line: str) -> None:
    text = "\n\n".join([line, "First Paper: A Title", ABSTRACT]) + "\n"
    result = parse_page_dump(text, "vlp.txt")
    assert [e.title for e in result.entries] == ["First Paper: A Title"]
    assert result.failures == []


_DAILY_PAGE = ["Daily Papers", "by AK and the research community", "Mar 14, 2025", "Previous",
               "Next", "Daily", "Weekly", "Monthly", "Trending", "Submitted by", "akhaliq", "42",
               "First Paper: A Title", "· 5 authors", ABSTRACT, "Published on Mar 14",
               "GitHub 1.2k", "Upvote", "+17", "Week 11", "Submitted by AdinaY", "·", "3",
               "1984: A Second Paper", ABSTRACT, "March 2025", "Third Paper", ABSTRACT]


@pytest.mark.parametrize("sep", ["\n\n", "\n"])
def test_the_chrome_of_a_daily_page_is_no_paper(sep: str) -> None:
    result = parse_page_dump(sep.join(_DAILY_PAGE) + "\n", "daily.txt")
    assert [(e.title, e.abstract, e.source and e.source.listed) for e in result.entries] == [
        ("First Paper: A Title", ABSTRACT, "Mar 14, 2025"),
        ("1984: A Second Paper", ABSTRACT, "Week 11"),
        ("Third Paper", ABSTRACT, "March 2025"),
    ]
    assert result.failures == []


def test_a_number_ending_a_hard_wrapped_abstract_is_no_chrome() -> None:
    lines = ["We trained a model on a very large corpus of text that was released in",
             "the middle of the year and evaluated it on the new benchmarks released in", "2024."]
    (entry,) = parse_page_dump("Title Here\n\n" + "\n".join(lines) + "\n", "w.txt").entries
    assert entry.abstract == " ".join(lines)


def test_blank_line_layout_with_chrome_and_date() -> None:
    text = _dump(("First Paper: A Title", ABSTRACT), ("Second Paper", ABSTRACT + " https://x.org/a."))
    result = parse_page_dump(text, "vlp.txt")
    assert [e.title for e in result.entries] == ["First Paper: A Title", "Second Paper"]
    assert all(e.source and e.source.listed == "Mar 14" and e.source.file == "vlp.txt"
               for e in result.entries)
    assert result.entries[1].links == ("https://x.org/a",)


def test_compact_layout_with_subscribe_glued_to_the_first_title() -> None:
    text = ("Get trending papers in your email inbox once a day!\n"
            "Get trending papers in your email inbox!\n"
            f"SubscribeLanguageBind: Extending Things\n{ABSTRACT}\nCTP: Another One\n{ABSTRACT}\n")
    result = parse_page_dump(text, "c.txt")
    assert [e.title for e in result.entries] == ["LanguageBind: Extending Things", "CTP: Another One"]
    assert result.entries[0].source is not None and result.entries[0].source.listed is None


@pytest.mark.parametrize("variant", ["crlf", "bom", "trailing", "cr"])
def test_crlf_bom_and_trailing_spaces_parse_the_same(variant: str) -> None:
    text = SAMPLES[0].read_text(encoding="utf-8")
    expected = parse_page_dump(text, "x").entries
    if variant == "crlf":
        data = text.replace("\n", "\r\n").encode()
    elif variant == "cr":
        data = text.replace("\n", "\r").encode()
    elif variant == "bom":
        data = b"\xef\xbb\xbf" + text.encode()
    else:
        data = "\n".join(line + "   \t" for line in text.split("\n")).encode()
    got = parse_input("x", data).entries
    assert [(e.title, e.abstract, e.links) for e in got] == \
        [(e.title, e.abstract, e.links) for e in expected]


def test_date_lines_apply_to_the_papers_below_them() -> None:
    text = f"Mar 11\n\nOne\n\n{ABSTRACT}\n\nMar 12\n\nTwo\n\n{ABSTRACT}\n"
    listed = [e.source.listed for e in parse_page_dump(text, "d").entries if e.source]
    assert listed == ["Mar 11", "Mar 12"]


def test_date_lines_between_compact_papers_apply_to_the_papers_below_them() -> None:
    text = ("First Paper Before Any Date Line\n"
            "This is the abstract of the first paper, listed before any date line in the page.\n"
            "Mar 14\nSecond Paper Listed Under March Fourteen\n"
            "This is the abstract of the second paper, listed below the Mar 14 date line.\n"
            "Mar 13\nThird Paper Listed Under March Thirteen\n"
            "This is the abstract of the third paper, listed below the Mar 13 date line.\n")
    result = parse_page_dump(text, "c.txt")
    assert [e.title for e in result.entries] == ["First Paper Before Any Date Line",
                                                 "Second Paper Listed Under March Fourteen",
                                                 "Third Paper Listed Under March Thirteen"]
    assert [e.source.listed for e in result.entries if e.source] == [None, "Mar 14", "Mar 13"]
    assert result.failures == []


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("see \\url{https://github.com/a/b}.", ("https://github.com/a/b",)),
        ("at https://github.com/a/b}{https://github.com/a/b and more", ("https://github.com/a/b",)),
        ("(code: https://wuw.github.io/R-AMT/).", ("https://wuw.github.io/R-AMT/",)),
        ("https://x.org/Detect-CLIP{GitHub", ("https://x.org/Detect-CLIP",)),
        ("https://www.robots.ox.ac.uk/~vgg/research/teachtext/.",
         ("https://www.robots.ox.ac.uk/~vgg/research/teachtext/",)),
        ("https://en.wikipedia.org/wiki/Foo_(bar), then http://b.io;",
         ("https://en.wikipedia.org/wiki/Foo_(bar)", "http://b.io")),
        ("no links here, just http:// and https://", ()),
        ("Code: HTTPS://Example.org/X.", ("HTTPS://Example.org/X",)),
        # punctuation beyond ASCII ends a link: the link was https://x.org/y—see
        ("at https://x.org/y—see it, “https://q.org/a” and https://e.org/b… fin",
         ("https://x.org/y", "https://q.org/a", "https://e.org/b")),
        ("代码见https://github.com/x/y，数据见（https://data.org/z）。",
         ("https://github.com/x/y", "https://data.org/z")),
        ("‘https://s.org/b’ → https://a.org/→ • https://b.org•🚀",
         ("https://s.org/b", "https://a.org/", "https://b.org")),
        ("https://zh.wikipedia.org/wiki/中文 and https://de.org/Übersicht",  # letters stay
         ("https://zh.wikipedia.org/wiki/中文", "https://de.org/Übersicht")),
        # ... and digits, marks, the joiners of Persian, and an en dash or middle dot
        # between two letters (a review: the first version cut these)
        ("https://ja.wikipedia.org/wiki/人々 https://zh.wikipedia.org/wiki/〇 https://x.org/µm",
         ("https://ja.wikipedia.org/wiki/人々", "https://zh.wikipedia.org/wiki/〇", "https://x.org/µm")),
        ("https://x.org/1º https://x.org/x² https://fa.org/می\u200cخواهم",
         ("https://x.org/1º", "https://x.org/x²", "https://fa.org/می\u200cخواهم")),
        ("https://en.wikipedia.org/wiki/Kullback–Leibler_divergence– and https://ca.org/Intel·ligència·",
         ("https://en.wikipedia.org/wiki/Kullback–Leibler_divergence", "https://ca.org/Intel·ligència")),
        # the katakana middle dot between the parts of a name, and only there (reviews)
        ("見てhttps://ja.wikipedia.org/wiki/トム・ハンクス。https://x.org/a・",
         ("https://ja.wikipedia.org/wiki/トム・ハンクス", "https://x.org/a")),
        ("データ（https://x.org/data・コード）公式：https://g.com/bar・ドキュメント https://w.org/ﾄﾑ･ﾊﾝｸｽ",
         ("https://x.org/data", "https://g.com/bar", "https://w.org/ﾄﾑ･ﾊﾝｸｽ")),
        ("https://a.org—https://b.org", ("https://a.org", "https://b.org")),  # the rest: a link
        ("https://a.org/x–https://b.org", ("https://a.org/x", "https://b.org")),  # not inner
        # a decomposed accent is part of its letter (a second review)
        ("https://w.org/Poincare\u0301–Bendixson x", ("https://w.org/Poincare\u0301–Bendixson",)),
        ("https://a.org/x\x85y https://b.org/\u00a0", ("https://a.org/x", "https://b.org/")),
    ],
)
def test_links_are_cleaned_of_punctuation_and_latex_braces(text: str, links: tuple[str, ...]) -> None:
    assert extract_links(text) == links


def test_links_in_prose_without_spaces_are_read_in_one_pass() -> None:
    """Each link read the rest of a run of text without spaces (Chinese prose): 10,000
    links separated by dashes took 4.8 s (a second review)."""
    import time

    started = time.perf_counter()
    assert len(extract_links("https://a.org/x—" * 10000)) == 1
    assert time.perf_counter() - started < 1.0


def test_what_stops_a_links_ascii_is_written_as_the_rest_of_ascii_rightly() -> None:
    """links._URL_STOP names what does not stop a link (it compiles 40x quicker so):
    it must stop at exactly a space, what a URL escapes, and any character beyond ASCII."""
    from papershelf.links import _URL_STOP

    said = re.compile(r"[\s<>\"{}\\|^`\x80-\U0010ffff]")
    for code in [*range(0x800), 0xFEFF, 0x3000, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF]:
        assert (_URL_STOP.match(chr(code)) is None) == (said.match(chr(code)) is None), hex(code)


_LINK_PIECES = st.sampled_from(["http", "https", "HTTP", "HtTpS", "://", "s", "\u017f", "x", " ",
                                ".", ")", "(", "]", "[", "a.com", "/", "|", "{", "\\url{", "}", ":",
                                "中", "é", "²"])
#: Text whose characters beyond ASCII are letters, marks and digits, which links keep
#: (the punctuation that ends them is the parametrized test's above).
_WORDY_TEXT = st.text(st.characters(max_codepoint=127)
                      | st.characters(min_codepoint=128, categories=["L", "M", "N"]))


@settings(max_examples=500, deadline=None)
@given(st.lists(_LINK_PIECES, max_size=30).map("".join) | _WORDY_TEXT)
def test_links_are_what_a_case_blind_scan_for_http_finds(text: str) -> None:
    from papershelf.links import _trim_url

    found: list[str] = []
    for match in re.finditer(r"https?://[^\s<>\"{}\\|^`]+", text, re.IGNORECASE):
        url = _trim_url(match.group(0))
        if len(url) > len("https://") and url not in found:
            found.append(url)
    assert extract_links(text) == tuple(found)


def test_sample_links_are_clean() -> None:
    for path in SAMPLES:
        for entry in parse_page_dump(path.read_text(encoding="utf-8"), path.name).entries:
            for link in entry.links:
                assert link.startswith(("http://", "https://"))
                assert link[-1] not in ".,;:}{)" or (link.endswith(")") and "(" in link)


def test_a_title_without_abstract_is_reported_and_the_rest_still_pair() -> None:
    text = f"Lonely Title\n\nGood Title\n\n{ABSTRACT}\n\nLast Title\n"
    result = parse_page_dump(text, "t")
    assert [e.title for e in result.entries] == ["Good Title"]
    assert [f.line for f in result.failures] == [1, 7]
    assert "without an abstract" in result.failures[0].reason


def test_a_cut_off_title_before_a_short_abstract_does_not_shift_the_rest() -> None:
    first = ("We propose a method for doing things better than before, and we evaluate it "
             "thoroughly on many benchmarks. Our experiments show consistent gains across tasks "
             "and settings, and we release code.")
    short = ("Another quite different abstract describing a second study of widgets, with "
             "experiments on five data sets, ablations, and a discussion of the limitations of "
             "the approach we take here.")
    text = (f"First Complete Paper Title\n\n{first}\n\nCut Off Paper Without Abstract\n\n"
            f"Third Paper Title After The Cut\n\n{short}\n")
    result = parse_page_dump(text, "t.txt")
    assert [(e.title, e.abstract) for e in result.entries] == [
        ("First Complete Paper Title", first), ("Third Paper Title After The Cut", short)]
    assert result.failures == [
        pages.Failure(5, "title without an abstract: 'Cut Off Paper Without Abstract'")]


@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize("length", [250, 400, pages.TITLE_MAX])
def test_a_long_title_is_still_a_title(length: int, compact: bool) -> None:
    long_title = ("Scaling Laws for Vision and Language Pretraining on Noisy Web Data " * 8)[:length].strip()
    papers = [("Normal Paper One", ABSTRACT), (long_title, ABSTRACT), ("Normal Paper Two", ABSTRACT)]
    result = parse_page_dump(_dump(*papers, compact=compact), "l.txt")
    assert [(e.title, e.abstract) for e in result.entries] == papers
    assert result.failures == []


def test_an_abstract_cut_off_in_its_first_sentence_still_pairs_with_its_title() -> None:
    cut = "We propose a method for doing things better than before, and we evaluate it on"
    papers = [("First Paper", cut), ("Second Paper", ABSTRACT), ("Last Paper", cut)]
    result = parse_page_dump(_dump(*papers), "t.txt")
    assert [(e.title, e.abstract) for e in result.entries] == papers
    assert result.failures == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Attention Is All You Need", pages._TITLE),
        ("American Stories: A Large-Scale Text Dataset of Historical U.S. Newspapers", pages._TITLE),
        ("Humans vs. Machines: Who Labels Better?", pages._TITLE),
        ("Don't Stop Pretraining? Make Prompt-based Fine-tuning Powerful Learner", pages._TITLE),
        ("Scaling Vision Models " * 16, pages._TITLE),
        ("We show that one sentence was cut off in the middle of", pages._TITLE),
        ("We show that one sentence can be a whole abstract.", pages._ABSTRACT_LIKE),
        ("We show this. Code: https://x.org/a", pages._ABSTRACT_LIKE),
        ("We show this. And that (Table 2).", pages._ABSTRACT),
        ("Scaling Vision Models " * 24, pages._ABSTRACT),
    ],
)
def test_units_read_as_titles_or_abstracts_by_their_shape(text: str, kind: int) -> None:
    assert pages._kind(pages._Unit(1, text.strip(), None)) == kind


def test_an_abstract_without_title_is_reported() -> None:
    result = parse_page_dump(f"{ABSTRACT}\n\nTitle\n\n{ABSTRACT}\n", "t")
    assert [e.title for e in result.entries] == ["Title"]
    assert len(result.failures) == 1


def test_hard_wrapped_paragraphs_are_joined() -> None:
    wrapped = "\n".join(["This abstract was copied with hard line breaks at about"] * 4)
    result = parse_page_dump(f"A Title\n\n{wrapped}\n", "w")
    assert len(result.entries) == 1
    assert result.entries[0].abstract.count("hard line breaks") == 4


def test_compact_papers_with_short_abstracts_are_not_one_hard_wrapped_paragraph() -> None:
    papers = [("First Paper Listed Before Any Date Line Here", "The abstract of the first paper, one line."),
              ("Second Paper Listed Under The Same Listing", "The abstract of the second paper, also short."),
              ("Third Paper Listed Under The Same Listing", "The abstract of the third paper, quite short.")]
    result = parse_page_dump(_dump(*papers, compact=True), "c.txt")
    assert [(e.title, e.abstract) for e in result.entries] == papers
    assert result.failures == []


def test_a_hard_wrapped_title_is_one_paragraph() -> None:
    title = "\n".join(["A Rather Long Title Copied With Hard Line Breaks"] * 3)
    (entry,) = parse_page_dump(f"{title}\n\n{ABSTRACT}\n", "w").entries
    assert entry.title == title.replace("\n", " ")


def test_latex_remnants_stay_in_the_abstract() -> None:
    abstract = "One For All (\\textsc{Ofa}) gets $Δ$ 5\\% better. " * 8
    (entry,) = parse_page_dump(f"Ofa\n\n{abstract}\n", "l").entries
    assert "\\textsc{Ofa}" in entry.abstract and "$Δ$" in entry.abstract


def test_a_title_without_a_letter_or_digit_is_skipped_where_it_is() -> None:
    result = parse_page_dump(f"🎉🎉🎉\n\n{ABSTRACT}\n\nA Real Title\n\n{ABSTRACT}\n", "e.txt")
    assert [e.title for e in result.entries] == ["A Real Title"]
    assert result.failures == [pages.Failure(1, "'🎉🎉🎉': a title needs a letter or a digit")]


@given(st.text(max_size=40))
@example("℅")  # no letter, but folds to c/o
@example("²")
@example("_-_")
def test_has_word_is_whether_a_text_has_words(text: str) -> None:
    assert has_word(text) == bool(words(text))


def test_control_characters_are_removed_from_titles() -> None:
    (entry,) = parse_page_dump(f"Evil\x1b[31m Title\x07\n\n{ABSTRACT}\n", "e").entries
    assert entry.title == "Evil Title"  # the colour's sequence whole, not its escape only


@pytest.mark.parametrize("head", ["This file was created with JabRef 2.1 beta 2.\nEncoding: Cp1252\n\n",
                                  "My references\r\n\r\n"])
def test_bibtex_after_a_line_of_text_is_bibtex_whatever_the_file_name(head: str) -> None:
    bib = "@article{smith2020,\n  title = {A Study of Things},\n  year = {2020}\n}\n"
    result = parse_input("refs.txt", (head + bib).encode())
    assert [(e.bib_key, e.title) for e in result.entries] == [("smith2020", "A Study of Things")]
    assert result.failures == []


@pytest.mark.parametrize("bib", [
    "@article{smith2020, title={A Study of Things}, year={2020}}\n",
    "  @article{ smith2020 , title = {A Study of Things}}"])
def test_an_entry_on_one_line_after_a_line_of_text_is_bibtex(bib: str) -> None:
    """A "Cite as" box copied with its heading: a paper titled "Cite this work as:" was
    made of it, the entry its abstract."""
    result = parse_input("<stdin>", f"Cite this work as:\n{bib}".encode())
    assert [(e.bib_key, e.title) for e in result.entries] == [("smith2020", "A Study of Things")]
    assert result.failures == []


@pytest.mark.parametrize("line", ["@dataclass(frozen, order=True) in Python",
                                  "@dataclass(frozen=True,\n    slots=True) over two lines"])
def test_a_line_like_a_python_decorator_leaves_a_listing_a_listing(line: str) -> None:
    """A listing quoting ``@dataclass(frozen, order=True)`` on a line of its own, or over
    two, was read as BibTeX, and refused whole (two reviews)."""
    text = f"Some Paper\n\n{ABSTRACT}\n\n{line}\n\n{ABSTRACT}\n"
    result = parse_input("<stdin>", text.encode())
    assert result.entries[0].title == "Some Paper" and len(result.entries) == 2  # a listing
    assert "dataclass" in " ".join(e.title for e in result.entries) + str(result.failures)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_a_bom_reads_as_utf8_does(codec: str) -> None:
    text = SAMPLES[0].read_text(encoding="utf-8").replace("\n", "\r\n")
    bom = "" if codec == "utf-16" else "\ufeff"  # the plain codec writes its own
    expected = parse_input("x", text.encode()).entries
    got = parse_input("x", (bom + text).encode(codec)).entries
    assert [(e.title, e.abstract) for e in got] == [(e.title, e.abstract) for e in expected]


@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff", "\u00ad", "\u2060"])
def test_invisible_characters_of_a_browser_copy_change_nothing(invisible: str) -> None:
    text = SAMPLES[0].read_text(encoding="utf-8")
    expected = parse_page_dump(text, "x").entries
    # On "blank" lines, at line ends and inside words (a soft hyphen in "Pre\u00adtraining").
    copied = text.replace("\n\n", f"\n{invisible}\n").replace("\n", f"{invisible}\n") \
        .replace("Pretraining", f"Pre{invisible}training")
    result = parse_page_dump(copied, "x")
    assert result.failures == []
    assert [(e.title, e.abstract) for e in result.entries] == \
        [(e.title, e.abstract) for e in expected]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x0c", "\x0b", "\x85", "\x1c"])
def test_a_line_separator_inside_an_abstract_is_a_space(separator: str) -> None:
    """str.splitlines split the abstract there: its halves read as a title and an
    abstract, and the paper was lost. Line numbers count line feeds, as editors do."""
    text = SAMPLES[0].read_text(encoding="utf-8")
    expected = parse_page_dump(text, "x")
    copied = text.replace(". ", f".{separator}")
    result = parse_page_dump(copied + "\nA Title Left Alone\n", "x")
    assert [(e.title, e.abstract) for e in result.entries] == \
        [(e.title, e.abstract) for e in expected.entries]
    assert [f.line for f in result.failures] == [text.count("\n") + 2]
    assert clean_line(f"pre{separator}training") == "pre training"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"  \n\n \t\n", "is empty"),
        (b"\x00\x01\x02binary\x00", "binary"),
        (bytes(range(1, 32)) * 20, "binary"),
        (b"caf\xe9 au lait\n", "not UTF-8"),
        (b"\xff\xfe\x00\xd8", "not UTF-16"),
        (b"\xff\xfe\n\x00", "is empty"),
        ("A Paper\n\nWe study it.\n".encode("utf-16-le"), "looks like UTF-16 text without a "
         "byte-order mark .*iconv -f utf-16le"),
        ("A Paper\n\nWe study it.\n".encode("utf-16-be"), "iconv -f utf-16be"),
        (b"just one short line\n", "no papers found"),
        # Other formats, which read as a listing would give a paper for every other line.
        (b'[{"title": "A Paper", "abstract": "We study it."}, {"title": "B"}]', "is JSON, not"),
        (b'\n  {"key": "x",\n "title": "A Paper"}\n', "is JSON, not"),
        (b"<!DOCTYPE html>\n<html><body><p>A Paper</p>\n<p>We study it.</p></body></html>",
         "is HTML or XML, not"),
        (b"<?xml version='1.0'?>\n<papers><paper>A</paper></papers>\n", "is HTML or XML, not"),
        (b"# Reading list\n\n## A Paper\n\n- key: `a-paper`\n\nWe study it.\n", "is Markdown, not"),
        (b"[project]\nname = 'x'\ndescription = 'A tool.'\n", "is TOML, not"),
        (b"title = 'A Paper'\nabstract = 'We study it at length.'\n", "is TOML, not"),
        # A paper's own LaTeX files: its source, the .aux and the .bbl BibTeX wrote.
        (b"% !TEX program = pdflatex\n\n\\documentclass{article}\n\\begin{document}\n"
         b"We study it.\n\\nocite{*}\n\\end{document}\n", "is LaTeX, not"),
        (b"\\relax \n\\citation{a}\n\\bibstyle{plain}\n\\bibdata{all}\n", "is LaTeX, not"),
        (b"\\begin{thebibliography}{1}\n\n\\bibitem{a}\nA.~Author.\n\\newblock A Paper.\n"
         b"\n\\end{thebibliography}\n", "is LaTeX, not"),
        (b"This is pdfTeX, Version 3.141592653-2.6-1.40.24 (TeX Live 2022) (preloaded format=pdflatex)\n"
         b" restricted \\write18 enabled.\n\n**t\n(./t.tex\n", "is a log of TeX's, not"),
        (b"This is BibTeX, Version 0.99d (TeX Live 2022)\nThe top-level auxiliary file: t.aux\n",
         "is a log of TeX's, not"),
        # an arXiv source; a biblatex .bbl
        (b"\\pdfoutput=1\n\\documentclass{article}\n\\title{A Paper}\n\n\\begin{document}\nWe study it.\n",
         "is LaTeX, not"),
        (b"% $ biblatex auxiliary file $\n% $ biblatex bbl format version 3.2 $\n% Do not modify\n\n"
         b"\\begingroup\n\\makeatletter\n\\refsection{0}\n  \\datalist[entry]{nty/global//global/global}\n"
         b"    \\entry{a}{article}{}\n      \\field{title}{A Paper}\n    \\endentry\n", "is LaTeX, not"),
    ],
)
def test_bad_inputs_raise_a_clear_input_error(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_input("bad.txt", data)


@pytest.mark.parametrize("text", [
    f"[1] A Paper Title\n\n{LONG_ABSTRACT}\n",  # a numbered listing: not JSON or TOML
    f"[Oral] A Paper Title\n{LONG_ABSTRACT}\n",
    f"{{Braced}} Title\n\n{LONG_ABSTRACT}\n",
    f"#1 on the Leaderboard: A Paper\n\n{LONG_ABSTRACT}\n",  # no space after #: a title
    f"<Think> Before You Answer\n\n{LONG_ABSTRACT}\n",
    f"x = y: Solving Equations\n\n{LONG_ABSTRACT}\n",
    f"\\textsc{{Ofa}}: One Model\n\n{LONG_ABSTRACT}\n\n\\emph{{Two}} Models\n\n{LONG_ABSTRACT}\n",
    f"\\begin{{Ofa}}: One Model\n{LONG_ABSTRACT} \\cite{{x}}\n",  # one line starts with \\begin
    f"This is Not a Log: A Paper\n\n{LONG_ABSTRACT}\n",
    f"This is LaTeX-Bench: Evaluating LLMs on Typesetting\n\n{LONG_ABSTRACT}\n",
    "[" * 100_000,  # deeply nested: not JSON (nor a listing)
])
def test_listings_that_start_like_other_formats_are_read_as_listings(text: str) -> None:
    assert other_format(text) is None


def test_the_sample_pages_are_listings() -> None:
    for path in SAMPLES:
        assert other_format(path.read_text(encoding="utf-8-sig")) is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_give_papers_or_an_input_error(data: bytes) -> None:
    try:
        result = parse_input("fuzz.txt", data)
    except InputError as exc:
        assert str(exc)
    else:
        assert result.entries
        assert all(e.title and e.abstract for e in result.entries)


_lines = st.one_of(
    st.sampled_from(["new", "Subscribe", "Daily Papers", "Mar 14", "", "   ", "\r",
                     "Get trending papers in your email inbox!", "byAK and the research community",
                     "@misc{x,", "https://example.org/x}.", ABSTRACT, "Short Title: A Paper"]),
    st.text(max_size=400),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_lines, max_size=30), st.sampled_from(["\n", "\r\n", "\r"]))
def test_arbitrary_text_gives_papers_or_an_input_error(lines: list[str], newline: str) -> None:
    text = newline.join(lines)
    try:
        result = parse_input("fuzz.txt", text.encode("utf-8", "surrogatepass"))
    except InputError as exc:
        assert str(exc)
    except UnicodeEncodeError:
        pytest.skip("unencodable surrogate")
    else:
        for entry in result.entries:
            assert entry.title.strip() == entry.title and "\n" not in entry.title
            assert len(entry.title) <= pages.TITLE_MAX


@given(st.text(alphabet=st.characters(codec=None), max_size=80)
       | st.text(alphabet=" \t\x0b\x0c\x1c\x85\xa0\u2028\u3000\x00\x7f\x9fab", max_size=20))
@example("a b")
@example("a ")
@example(" a")
@example("a  b")
@example("a\tb")
@example("a\x00 b")
@example("\x1b\x0ca")
@example("\x1b[31mred")
@example("\x1b]0;title\x07a")
def test_clean_line_drops_controls_and_collapses_whitespace(line: str) -> None:
    separators = re.sub(r"[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", " ", line)  # made spaces (\r: a line end)
    # a terminal's escape sequences go whole: CSI, a title with its end, two-character ones
    sequences = re.sub(r"\x1b\[[0-9:;<=>?]*[A-Za-z@^`~]|\x1b\][^\x07\x1b\n{}\"\\$]*\x07"
                       r"|\x1b[()][0-9A-Za-z]|\x1b[78=>]", "", separators)
    controls = re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff]", "", sequences)
    assert clean_line(line) == re.sub(r"\s+", " ", controls).strip()


_WORDS = st.sampled_from(["vision", "language", "models", "scaling", "data", "robust", "of", "a",
                          "pretraining", "contrastive", "alignment", "retrieval", "benchmark", "to",
                          "multimodal", "learning", "transformers", "noisy", "web", "captions"])
_TITLES = st.lists(st.tuples(_WORDS, st.sampled_from(["", "", "", ":", "?", " vs."])), min_size=1,
                   max_size=40).map(lambda words: " ".join(
                       word.capitalize() + mark for word, mark in words).rstrip(".")).filter(
                           lambda title: len(title) <= pages.TITLE_MAX)
_SENTENCES = st.lists(_WORDS, min_size=1, max_size=40).map(
    lambda words: " ".join(words).capitalize() + ".")
_ABSTRACTS = st.lists(_SENTENCES, min_size=1, max_size=8).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TITLES, _ABSTRACTS, st.sampled_from([None, None, None, "Mar 14", "Jun 2"])),
                min_size=1, max_size=8),
       st.booleans(), st.data())
def test_dropping_one_title_or_abstract_loses_only_that_paper(
        papers: list[tuple[str, str, str | None]], compact: bool, data: st.DataObject) -> None:
    sep = "\n" if compact else "\n\n"
    dropped = data.draw(st.integers(0, len(papers) - 1))
    drop = data.draw(st.sampled_from([None, "title", "abstract"]))
    lines, expected, listed = [], [], None
    for i, (title, abstract, date) in enumerate(papers):
        listed = date or listed
        lines += [date] if date else []
        lines += [title] if (i, drop) != (dropped, "title") else []
        lines += [abstract] if (i, drop) != (dropped, "abstract") else []
        if i != dropped or drop is None:
            expected.append((title, abstract, listed))
    result = parse_page_dump(sep.join(lines) + "\n", "p.txt")
    assert [(e.title, e.abstract, e.source and e.source.listed) for e in result.entries] == expected
    assert len(result.failures) == (drop is not None)
    if drop == "abstract":
        assert "title without an abstract" in result.failures[0].reason


# ------------------------------------------------------------------ big listings, in pieces


def _whole(text: str) -> ParseResult:
    """What one parse of ``text`` gives."""
    return pages._paired(pages._units(text).units, "x.txt")


def _cut_into(monkeypatch: pytest.MonkeyPatch, count: int) -> list[int]:
    """Cut every listing into up to ``count`` pieces, parsed in this process; the list
    returned gets the length of every text parsed whole (a piece, or the fallback)."""
    parsed: list[int] = []
    real_units = pages._units

    def units(text: str) -> pages._Units:
        parsed.append(len(text))
        return real_units(text)

    monkeypatch.setattr(importers, "PIECE_CHARS", 1)
    monkeypatch.setattr(forked, "workers_for", lambda tasks: min(tasks, count))
    monkeypatch.setattr(forked, "on_every_core", lambda work, items: (work(i) for i in items))
    monkeypatch.setattr(pages, "_units", units)
    return parsed


def test_a_listing_cut_into_pieces_gives_what_one_parse_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "\n\n".join(path.read_text(encoding="utf-8") for path in SAMPLES) * 3
    expected = _whole(text)
    assert len(expected.entries) == 3 * 429
    for count in (2, 3, 4):
        with monkeypatch.context() as patched:
            parsed = _cut_into(patched, count)
            result = parse_page_dump(text, "x.txt")
        assert result == expected
        assert len(parsed) == 2 * count and max(parsed) < len(text)  # in pieces, no second parse


def test_pieces_carry_dates_and_line_numbers_on(monkeypatch: pytest.MonkeyPatch) -> None:
    paper = f"A Title\n\n{LONG_ABSTRACT}\n\n"
    text = ("Mar 14\n\n" + paper * 3 + "Untitled? " + LONG_ABSTRACT + "\n\n" + paper * 3
            + "Mar 15\n\n" + paper * 2)
    parsed = _cut_into(monkeypatch, 4)
    result = parse_page_dump(text, "x.txt")
    assert len(parsed) > 2 and max(parsed) < len(text)  # in pieces, no second parse
    assert result == _whole(text)
    assert [e.source.listed for e in result.entries if e.source] == ["Mar 14"] * 6 + ["Mar 15"] * 2
    assert [f.line for f in result.failures] == [15]


def test_a_piece_that_starts_inside_a_paper_sends_the_listing_to_one_parse(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Every place to cut looks like a title and its abstract, but the "title" is a date.
    text = f"Mar 15\n\n{ABSTRACT}\n\n" * 6
    parsed = _cut_into(monkeypatch, 6)
    assert parse_page_dump(text, "x.txt") == _whole(text)
    assert parsed[-1] == len(text)  # parsed again in one go


_PAGE_BLOCKS = st.sampled_from([
    "A Title", "Another Title: With a Colon", ABSTRACT, LONG_ABSTRACT, "Mar 14",
    "One sentence of an abstract.", "A Long Title " * 30, "Title.", "Jun 2, 2024", "Subscribe",
    "Daily Papers", "SubscribeGlued Title", "Short", f"Title Line\n{ABSTRACT}",
    "\n".join(["x" * 60] * 3), "Title\r\n\r\n" + ABSTRACT, "  \t ", "\x0c", "caf\u00e9 \u2028 t",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_PAGE_BLOCKS, max_size=14),
       st.lists(st.sampled_from(["\n\n", "\n", "\r\n\r\n", "\n\n\n", "\n \n"]), min_size=14, max_size=14),
       st.integers(2, 5))
def test_pieces_and_one_parse_agree_on_any_listing(blocks: list[str], gaps: list[str], count: int) -> None:
    text = "".join(block + gap for block, gap in zip(blocks, gaps, strict=False))
    with pytest.MonkeyPatch.context() as monkeypatch:
        _cut_into(monkeypatch, count)
        result = parse_page_dump(text, "x.txt")
    assert result == _whole(text)


def test_a_big_listing_is_parsed_by_forked_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    pools = forked_pools_on_two_cores(monkeypatch)
    text = "\n\n".join(path.read_text(encoding="utf-8") for path in SAMPLES) * 4
    expected = _whole(text)
    monkeypatch.setattr(importers, "PIECE_CHARS", len(text) // 2)
    assert parse_page_dump(text, "x.txt") == expected
    assert pools == [2]
