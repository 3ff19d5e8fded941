"""Keys, text rules (folding, words, title identity) and tag rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papershelf.model import (
    KEY_MAX_LENGTH,
    Entry,
    Source,
    base_key,
    is_valid_key,
    unique_key,
)
from papershelf.tags import count_tags, merge_tags, spelled_as, tag_problem, without_tag
from papershelf.text import ascii_spelling, drop_controls, fold, normalize_title, one_line, shown, words


def test_fold_strips_accents_and_case() -> None:
    assert fold("Schrödinger ÉCOLE Ångström") == "schrodinger ecole angstrom"


@given(st.text())
def test_fold_drops_exactly_the_combining_marks_and_the_invisible_characters(text: str) -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    assert fold(text) == "".join(ch for ch in decomposed if not unicodedata.combining(ch)
                                 and ch not in "\u00ad\u2060\ufeff")


@pytest.mark.parametrize(("text", "folded"), [("𝐀ж", "aж"), ("ℂ→Ω", "c→ω"), ("ᴬᴮ", "ab")])
def test_fold_leaves_no_capital_that_decomposing_makes(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert words(text) == words(folded)


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("LanguageBind: Extending Video-Language Pretraining to N-modality", "languagebind"),
        ("CTP: Towards Vision-Language Continual Pretraining", "ctp"),
        ("Demystifying CLIP Data", "demystifying-clip-data"),
        ("Qwen2.5 Technical Report", "qwen2.5-technical-report"),
        ("Arctic-SnowCoder: Demystifying High-Quality Data", "arctic-snowcoder"),
        ("Schrödinger's Cat: A Study", "schrodingers-cat"),
        ("The Case for Learned Index Structures", "case-learned-index-structures"),
        ("!!!", "paper"),
        # other scripts spelled in ASCII letters; Greek letters by name, as read
        ("β-VAE: Learning Basic Visual Concepts", "beta-vae"),
        ("π0: A Vision-Language-Action Flow Model", "pi0"),
        ("Ωmega: A Study", "omega"),  # within a word, a letter
        ("λ-Calculus: Typed", "lambda-calculus"),  # not Unicode's "lamda"
        ("αβ-CROWN: A Verifier", "alphabeta-crown"),
        ("∆-Tuning: Small Changes", "delta-tuning"),  # the increment sign, read as delta
        ("Ελληνικά Κείμενα", "ellinika-keimena"),
        ("Привет мир: тест", "privet-mir"),
        ("日本語のタイトル", "ribenyunotaitoru"),
        ("中文标题", "zhongwenbiaoti"),
        # vowel signs spelled too, as anyascii spells the words (they were dropped: hnd-bhs)
        ("हिन्दी भाषा मॉडल: A Study", "hindi-bhasa-modl"),
        ("தமிழ் மொழி", "tmil-moli"),  # a two-part vowel sign is one
        ("বাংলা ভাষা", "bamla-bhasa"),
        ("한국어 모델", "hangugeo-model"),
        ("🎉 ⊕ !!", "paper"),
    ],
)
def test_keys_are_readable_and_made_from_the_title(title: str, key: str) -> None:
    assert base_key(title) == key


@given(st.text(max_size=300))
def test_every_key_has_the_spec_shape(title: str) -> None:
    key = base_key(title)
    assert is_valid_key(key)
    assert len(key) <= KEY_MAX_LENGTH
    assert base_key(title) == key  # the same title gives the same key


def test_collisions_get_a_suffix_within_forty_characters() -> None:
    long = "a" * 40
    taken = {long, "ctp"}
    assert unique_key("ctp", taken) == "ctp-2"
    assert unique_key("ctp", taken | {"ctp-2"}) == "ctp-3"
    assert unique_key(long, taken) == "a" * 38 + "-2"
    assert all(len(unique_key(long, taken | {f"{'a' * 38}-{i}" for i in range(2, 12)})) <= 40
               for _ in range(1))


def test_titles_are_the_same_paper_after_case_folding_and_punctuation() -> None:
    assert normalize_title("Vision--Language  Pretraining!") == normalize_title("vision language pretraining")
    assert normalize_title("Schrödinger") == normalize_title("SCHRODINGER")
    assert normalize_title("Pre-training") != normalize_title("Pretraining")


@given(st.text() | st.text(st.sampled_from(" a\t\n\u00a0\u2028\x1c\x85é"), max_size=12))
def test_collapsed_whitespace_is_the_words_joined_by_single_spaces(text: str) -> None:
    from papershelf.text import collapse_whitespace

    assert collapse_whitespace(text) == " ".join(text.split())


@given(st.text())
def test_ascii_spelling_leaves_no_letter_outside_ascii(text: str) -> None:
    import unicodedata

    spelled = ascii_spelling(text)
    assert all(ch.isascii() or not unicodedata.category(ch).startswith("L") for ch in spelled)
    assert ascii_spelling(spelled) == spelled
    if text.isascii():
        assert spelled == text.lower()


@given(st.text())
def test_key_words_split_at_whitespace_slashes_and_hyphens_and_keep_letters_digits_and_dots(
        text: str) -> None:
    import re

    from papershelf.model import _key_words

    expected = []
    for raw in re.split(r"[\s/-]+", ascii_spelling(text).encode("ascii", "ignore").decode()):
        word = re.sub(r"\.{2,}", ".", re.sub(r"[^a-z0-9.]+", "", raw.lower()).strip("."))
        if word:
            expected.append(word)
    assert _key_words(text) == expected
    assert _key_words("ℌilbert-Net/v2.0: a_b...c") == ["hilbert", "net", "v2.0", "ab.c"]


@given(st.text())
def test_a_normalised_title_is_the_folded_title_with_every_run_of_non_word_characters_one_space(
        title: str) -> None:
    import re

    assert normalize_title(title) == re.sub(r"[\W_]+", " ", fold(title)).strip()
    if not re.search(r"[\u3000-\u9fff\uf900-\ufaff\U0001aff0-\U0003ffff]", fold(title)):
        assert normalize_title(title) == " ".join(words(title))


def test_titles_whose_chinese_or_japanese_letters_pair_alike_are_not_one_paper() -> None:
    """Search splits a run into its pairs of letters: 東京都 and 東京・京都 make the same
    ones, and an import merged the second paper into the first."""
    assert normalize_title("東京都の人口動態") != normalize_title("東京・京都の人口動態")
    assert normalize_title("学习惯") != normalize_title("学习 习惯")


@pytest.mark.parametrize("tag", ["", "two words", "a,b", "-neg", "#hash", "##", "x" * 65, "quo'te",
                                 "br[a]ck"])
def test_bad_tags_are_refused(tag: str) -> None:
    assert tag_problem(tag)


@pytest.mark.parametrize("tag", ["vlp", "to-read", "ÜberTag", "2024", "a:b", "C#", "x" * 64])
def test_good_tags_are_accepted(tag: str) -> None:
    assert tag_problem(tag) is None


@pytest.mark.parametrize("tag", ["\u200b", "to\u200bread", "a\u00adb", "\u202eabc", "x\ufeff",
                                 # a joiner that joins nothing: "coder" and one looked like "coder"
                                 "coder\u200d", "\u200ccoder", "co\u200dder", "a\u200d👩", "👩\u200d",
                                 # or beside punctuation beyond ASCII: the same tag without it
                                 "学习\u200d，x", "x，\u200c学习", "学习\u200d\u200c…"])
def test_tags_with_invisible_characters_are_refused(tag: str) -> None:
    # They would look like another tag (or none), and an export drops them.
    assert "invisible" in (tag_problem(tag) or "")


@pytest.mark.parametrize("tag", ["می\u200cخواهم", "👩\u200d💻",
                                 "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
                                 "\u0600١٢"])
def test_tags_may_hold_the_zero_width_joiners_words_and_emoji_are_spelled_with(tag: str) -> None:
    assert tag_problem(tag) is None


def test_a_bib_keyword_loses_a_joiner_that_joins_nothing() -> None:
    from papershelf.tags import drop_invisible

    kept = "👩\u200d💻, क्\u200dष"
    assert drop_invisible(f"coder\u200d, ml,\u200c x, {kept}") == f"coder, ml, x, {kept}"
    assert drop_invisible("机器学习\u200d，深度学习；\u200c数据") == "机器学习，深度学习；数据"


def test_tags_match_case_insensitively_and_keep_their_spelling() -> None:
    assert merge_tags(["VLP"], ["vlp", "Todo"]) == ("VLP", "Todo")
    assert without_tag(["VLP", "todo"], "vlp") == ("todo",)
    assert spelled_as("LIVE-X", ["ml", "live-x"]) == "live-x"
    assert spelled_as("cafe\u0301", [3, "Café"]) == "Café"  # (an accent typed apart; no tag)
    assert spelled_as("new", ["ml"]) == "new"


def test_tags_are_counted_in_order_regardless_of_case_and_accents() -> None:
    records = [{"tags": ["zebra", "Été"]}, {"tags": ["été", "Alpha"]}, {"tags": ["Ewe"]}]
    assert list(count_tags(records).items()) == [("Alpha", 1), ("Été", 2), ("Ewe", 1),
                                                 ("zebra", 1)]


@given(st.lists(st.sampled_from(["ctp", "ctp-2", "ctp-3", "a" * 45, "x"]), max_size=30),
       st.sets(st.sampled_from(["ctp", "ctp-3", "ctp-5", "x-2", "a" * 38 + "-2"])))
def test_remembered_suffixes_give_the_keys_a_fresh_search_gives(wanted: list[str],
                                                                 existing: set[str]) -> None:
    plain, hinted = set(existing), set(existing)
    suffixes: dict[str, int] = {}
    for key in wanted:
        expected = unique_key(key, plain)
        plain.add(expected)
        got = unique_key(key, hinted, suffixes)
        hinted.add(got)
        assert got == expected


def test_many_papers_wanting_one_key_probe_each_suffix_once() -> None:
    class Counting(set[str]):
        probes = 0

        def __contains__(self, key: object) -> bool:
            Counting.probes += 1
            return super().__contains__(key)

    taken = Counting()
    suffixes: dict[str, int] = {}
    for _ in range(1000):
        taken.add(unique_key("paper", taken, suffixes))
    assert "paper-1000" in taken and Counting.probes < 3000


def test_entries_pickle_with_every_field() -> None:
    """Forked parsers send entries back pickled, as a call with their field values."""
    import copyreg
    import dataclasses
    import pickle

    entry = Entry(title="T", abstract="A", links=("https://x.org",), source=Source("f.bib", "2024-05-01"),
                  authors=("Doe, J.",), year="2024", bib_key="doe24", entry_type="article",
                  fields={"title": "{T}"}, tags=("ml",), note="n")
    # Every field differs from its default, so a field the reduction missed would show.
    assert all(getattr(entry, f.name) != (f.default if f.default is not dataclasses.MISSING else {})
               for f in dataclasses.fields(Entry))
    copy = pickle.loads(pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
    assert copy == entry and type(copy.source) is Source
    assert copyreg.dispatch_table[Entry](entry) == (Entry, tuple(getattr(entry, f.name)
                                                               for f in dataclasses.fields(Entry)))


def test_field_pickling_leaves_subclasses_alone_and_takes_one_field() -> None:
    """A subclass keeps the default pickling (it may have fields of its own), and a class
    of one field pickles too (attrgetter of one name gives a value, not a tuple)."""
    import dataclasses
    import pickle

    from papershelf.model import _pickled_as_fields

    @dataclasses.dataclass(frozen=True, slots=True)
    class More(Source):
        extra: str = ""

    @_pickled_as_fields
    @dataclasses.dataclass(frozen=True, slots=True)
    class One:
        value: str

    globals().update(More=More, One=One)  # pickle finds classes by module and name
    More.__qualname__, One.__qualname__ = "More", "One"
    try:
        for obj in (More("f.bib", "2024", "x"), One("v")):
            assert pickle.loads(pickle.dumps(obj)) == obj
    finally:
        del globals()["More"], globals()["One"]


def test_quoted_shows_text_as_typed_escaping_controls_and_cutting_long_text() -> None:
    from papershelf.errors import quoted

    assert quoted("a\\b") == "'a\\b'"  # a backslash, as typed
    assert quoted("it's") == "'it's'"
    assert quoted("a\tb\x1b") == "'a\\tb\\x1b'"
    assert quoted("x" * 61) == f"'{'x' * 59}…'" and quoted("x" * 60) == f"'{'x' * 60}'"


def test_control_characters_go_but_tabs_and_line_feeds() -> None:
    assert drop_controls("a\x1b[2Jb\x07\tc\r\nd\x9be") == "ab\tc\nde"
    # escape sequences go whole (a colour left "[31m" as text); a lone CR ends a line
    assert drop_controls("\x1b[1;31mRed\x1b[0m \x1b]0;title\x07x\x1b(B") == "Red x"
    assert drop_controls("10%\r50%\r\n100%") == "10%\n50%\n100%"
    # a stray escape takes no text with it: a quote, a dollar, a letter stay
    assert drop_controls('See\x1b]page 4" \x1b$x$ \x1bDeep \x1b"q"') == 'See]page 4" $x$ Deep "q"'
    link = "see \x1b]8;;https://arxiv.org/abs/2401.1\x1b\\Paper one\x1b]8;;\x1b\\ ok"  # OSC 8
    assert drop_controls(link) == "see Paper one ok"
    assert shown("a\r\nb\rc") == "a\nb\nc" and one_line("Deep\rLearning\x0cNow") == "Deep Learning Now"
    assert shown("Evil\x1b[2J\x1b]0;pwned\x07 Title\nline\u202e") == "Evil Title\nline"
    assert one_line("Evil\x1b[2J Title\nsecond\tline") == "Evil Title second line"
    assert drop_controls("plain") == "plain"
    assert tag_problem("red\x1b[31m")
