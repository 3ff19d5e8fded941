"""The shortcuts in LaTeX decoding and brace scanning give what the general code gives."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from papershelf.importers.bibtex import _closing_quote, _matching_brace, evaluate
from papershelf.latex import _decoder, _has_syntax, _only_braces, _parsed, balanced, decode

_DASHY = st.lists(st.sampled_from([*string.ascii_letters, *" \n\t.,;:!?'\"()[]<>/@*+=_|^#-",
                                   "--", "---", "\n\n", "é", "\u2013", "\u00a0"]),
                  max_size=40).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_DASHY, st.booleans())
def test_dashes_decode_as_pylatexenc_decodes_them(text: str, collapse: bool) -> None:
    import unicodedata

    expected = unicodedata.normalize("NFC", str(_decoder().latex_to_text(text)))
    if collapse:
        expected = " ".join(expected.split())
    assert decode(text, collapse=collapse) == expected


_BRACED = st.lists(st.sampled_from([*"ab -{}{}{}.,:;'`!?()[]/<>@*+=|\"1\n\t\u00a0\u00e9",
                                    "e\u0301", "--", "---", "{}", "-{}-", "\u2013",
                                    "\ue0000\ue001"]),
                   max_size=30).map("".join)


@settings(max_examples=3000, deadline=None)
@given(_BRACED, st.booleans())
def test_braces_decode_as_pylatexenc_decodes_them(text: str, collapse: bool) -> None:
    import unicodedata

    if not _only_braces(text):
        return
    expected = unicodedata.normalize("NFC", _parsed(text))
    if collapse:
        expected = " ".join(expected.split())
    assert decode(text, collapse=collapse, urls_as_written=False) == expected


def test_only_braces_leaves_other_syntax_to_pylatexenc() -> None:
    assert _only_braces("{BERT}: Pre-training of -{}- {Deep} {{Bidirectional}}")
    for text in ("{B}ERT \\& co", "{a}$x$", "{a}%", "{a}~b", "{a}^b", "{a}_b", "{a}#", "{a}``b''",
                 "{a", "a}", "}a{"):
        assert not _only_braces(text), text
    assert decode("{LAION}-{5B}: -{}- a--b---c {{x}}") == "LAION-5B: -- a\u2013b\u2014c x"


@given(st.text(alphabet="ab `'!?-\\{}$%&~é", max_size=12))
def test_syntax_is_found_as_one_regex_finds_it(text: str) -> None:
    import re

    assert _has_syntax(text) == bool(re.search(r"[\\{}$%&~]|``|''|[!?]`", text))


def _balanced(latex: str) -> bool:
    depth = 0
    for ch in latex:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _matching(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if text[i] == "}" and depth == 0:
            return i
    return len(text)


def _quote(text: str, start: int) -> int:
    depth = 0
    for i in range(start + 1, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth = max(depth - 1, 0)
        elif text[i] == '"' and depth == 0 and text[i - 1] != "\\":  # (as bibtexparser reads it)
            return i
    # a brace left open: the value ends at the text's last quote (bibtexparser ends it there)
    return len(text) - 1 if len(text) - 1 > start and text[-1] == '"' else len(text)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from([*'ab {}"#\\ 0', "{a}", '"q"', " # "]), max_size=30).map("".join),
       st.integers(0, 30))
def test_brace_scanning(text: str, start: int) -> None:
    start = min(start, len(text))
    assert balanced(text) == _balanced(text)
    assert _matching_brace(text, start) == _matching(text, start)
    assert _closing_quote(text, start) == _quote(text, start)


def test_evaluate_still_resolves_parts() -> None:
    assert evaluate('{A {B}} # " and " # x', {"x": "X"}) == ("A {B} and X", "{A {B} and X}")
    # a month BibTeX predefines stays a macro, for the style to spell
    assert evaluate('{A {B}} # " and " # jan', {"jan": "January"}) == \
        ("A {B} and January", '{A {B}} # " and " # jan')
