"""Search: the query language over the sample library, with realistic queries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from papershelf.catalog import FIELD_WEIGHT, Catalog
from papershelf.importers.pages import parse_page_dump
from papershelf.library import Library
from papershelf.model import Entry
from papershelf.search import Query, Results, by_relevance, search
from papershelf.textindex import TITLE

from .conftest import sample_entries

#: (query, a paper that must be in the top 3, why this query matters)
REALISTIC = [
    ("languagebind", "languagebind", "exact name"),
    ("language bind", "languagebind", "a CamelCase name typed as two words"),
    ("lanugagebind", "languagebind", "transposition typo"),
    ("demystif", "demystifying-clip-data", "prefix while typing"),
    ("clip data", "demystifying-clip-data", "partial title"),
    ("qwen2.5 technical", "qwen2.5-technical-report", "version number in a name"),
    ("galore memory", "galore", "name plus a title word"),
    ("low-rank projection", "galore", "hyphenated title words"),
    ("sign langauge translaton", "gloss-free-sign-language", "two typos in two words"),
    ("stabel vidoe difusion", "stable-video-diffusion", "a typo in every word"),
    ("VIDAL-10M", "languagebind", "dataset named only in the abstract"),
    ("infrared", "languagebind", "abstract-only term"),
    ("romanian corpus", "fulg", "abstract-only terms"),
    ("tutorship amplification", "advancing-math-reasoning-language", "rare abstract phrase"),
    ("subtokenization", "codebpe", "abstract-only technical word"),
    ("ophthalmic surgery", "ophclip", "domain words"),
    ("molecule caption", "large-language-models-context", "abstract words, no title word"),
    ("backdor samples", "detecting-backdoor-samples-contrastive", "typo in a title word"),
    ("ECG", "token-rhythm-multi-scale", "acronym in the title"),
    ("skic prompting", "skills-context-prompting-unlocking", "acronym from the abstract"),
    ("P9D", "ctp", "dataset id in the abstract"),
    ("arctic snow coder", "arctic-snowcoder", "a compound name split apart"),
    ('"stability gap"', "efficient-continual-pre-training", "exact phrase"),
    ("chest x-ray benchmark", "benchx", "title words with a hyphen"),
]


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Library:
    library = Library(tmp_path_factory.mktemp("search") / "lib")
    library.add(sample_entries())
    library.tag(["languagebind", "ctp", "valor"], "vlp")
    library.tag(["ctp"], "ToDo")
    library.set_read(["ctp", "galore"])
    library.set_note("galore", "Compare with the zebrafish optimizer later.")
    return library


@pytest.mark.parametrize(("query", "expected", "why"), REALISTIC, ids=[q for q, _, _ in REALISTIC])
def test_realistic_queries_find_the_paper(lib: Library, query: str, expected: str, why: str) -> None:
    top = search(lib.catalog(), query).keys()[:3]
    assert expected in top, f"{why}: {query!r} gave {top}"


def test_every_word_must_match(lib: Library) -> None:
    keys = search(lib.catalog(), "languagebind galore").keys()
    assert keys == []


def test_words_are_precise_not_subsequences(lib: Library) -> None:
    # fzf-style subsequence matching would hit nearly every abstract here
    assert len(search(lib.catalog(), "vision model").keys()) < len(lib)
    assert search(lib.catalog(), "zzzzqqq").keys() == []


@pytest.mark.parametrize(("query", "expected"), [
    ("zeroshot", "zero-shot-audio-captioning"),
    ("selfsupervised", "structural-self-supervised-objectives"),
    ("pretraining", "alip"),  # "Language-Image Pre-training"
])
def test_hyphenated_words_typed_joined_match(lib: Library, query: str, expected: str) -> None:
    assert expected in search(lib.catalog(), query).keys()


@pytest.mark.parametrize(("joined", "apart"), [("gpt4", "gpt 4"), ("zeroshot", "zero shot")])
def test_a_word_typed_joined_finds_what_its_parts_typed_apart_find(lib: Library, joined: str,
                                                                   apart: str) -> None:
    cat = lib.catalog()
    found = set(search(cat, joined).keys())
    assert found and found == set(search(cat, apart).keys())


def test_only_a_word_made_of_two_words_is_split(lib: Library) -> None:
    cat = lib.catalog()
    assert ("zero", "shot") in cat.word_splits("zeroshot")
    assert cat.word_splits("gpt4") == [("gpt", "4")]  # a number may be one character
    assert all(len(head) >= 2 and len(tail) >= 2 for head, tail in cat.word_splits("alanguage"))
    assert search(cat, "zzzzqqqshot").keys() == []


def _unsplit(cat: Catalog, query: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys ``query`` finds when no word is split in two."""
    with monkeypatch.context() as patch:
        patch.setattr(cat, "word_splits", lambda word: [])
        return search(cat, query).keys()


@pytest.mark.parametrize("word", ["into", "within", "another", "upon", "online", "cannot",
                                  "moreover", "furthermore", "throughout", "without"])
def test_a_word_of_the_library_is_not_split_at_a_short_or_function_word(
        lib: Library, word: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # in + to, with + in, an + other, up + on, on + line, can + not, more + over,
    # further + more, through + out, with + out: nearly every paper holds both
    cat = lib.catalog()
    assert search(cat, word).keys() == _unsplit(cat, word, monkeypatch)


def test_a_long_pasted_word_is_not_tried_in_two(lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    from papershelf import catalog as catalog_module

    cat = lib.catalog()
    assert cat.word_splits("zeroshot") == [("zero", "shot")]
    monkeypatch.setattr(catalog_module, "SPLIT_MAX", len("zeroshot") - 1)
    assert cat.word_splits("zeroshot") == []


def test_a_word_split_in_two_ranks_below_the_word_itself(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    for title, abstract in [("Alpha Models", "We release a dataset of labels. It works."),
                            ("Beta Models", "We release a data set of labels. It works.")]:
        library.add(parse_page_dump(f"{title}\n\n{abstract}\n", "x.txt").entries)
    # the newer paper, holding only "data" and "set", came first when it scored the same
    assert search(library.catalog(), "dataset").keys() == ["alpha-models", "beta-models"]


def test_hyphenated_words_of_tags_and_notes_typed_joined_match(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    library.add(sample_entries()[:2])
    first, second = library.catalog().keys
    library.tag([first], "quux-zebra")
    library.set_note(second, "Compare with XYZ-9 later.")
    cat = library.catalog()
    assert search(cat, "quuxzebra").keys() == [first]
    assert search(cat, "xyz9").keys() == [second]


def test_title_hits_rank_first(lib: Library) -> None:
    cat = lib.catalog()
    keys = search(cat, "diffusion").keys()
    in_title = [k for k in keys if "diffusion" in cat.records[cat.ordinals[k]]["title"].lower()]
    assert keys[: len(in_title)] == in_title
    assert len(in_title) < len(keys)


def test_tags_notes_and_keys_are_searched(lib: Library) -> None:
    cat = lib.catalog()
    assert search(cat, "zebrafish").keys() == ["galore"]
    assert search(cat, "todo").keys()[0] == "ctp"
    assert "languagebind" in search(cat, "vlp").keys()


def test_filters(lib: Library) -> None:
    cat = lib.catalog()
    assert sorted(search(cat, "tag:vlp").keys()) == ["ctp", "languagebind", "valor"]
    assert sorted(search(cat, "tag:VLP -tag:todo").keys()) == ["languagebind", "valor"]
    # a tag as it shows, "#vlp": no tag starts with "#"
    assert sorted(search(cat, "tag:#vlp -tag:#todo").keys()) == ["languagebind", "valor"]
    assert sorted(search(cat, "is:read").keys()) == ["ctp", "galore"]
    assert len(search(cat, "is:unread").keys()) == len(lib) - 2
    assert search(cat, "has:note").keys() == ["galore"]
    with_links = search(cat, "has:link").keys()
    assert "languagebind" in with_links and 0 < len(with_links) < len(lib)
    assert search(cat, "key:languagebind").keys() == ["languagebind"]
    assert sorted(search(cat, "tag:vlp is:unread video").keys()) == ["languagebind", "valor"]


def test_negated_words_and_phrases(lib: Library) -> None:
    cat = lib.catalog()
    with_clip = set(search(cat, "clip").keys())
    without_data = set(search(cat, "clip -data").keys())
    assert without_data < with_clip and "demystifying-clip-data" not in without_data
    assert "efficient-continual-pre-training" not in search(cat, 'continual -"stability gap"').keys()


def test_phrases_match_literally(lib: Library) -> None:
    cat = lib.catalog()
    assert search(cat, '"audio-language omni-perception"').keys() == ["valor"]
    assert search(cat, '"omni-perception audio-language"').keys() == []


def test_empty_query_lists_everything_newest_first(lib: Library) -> None:
    lib.add([type(sample_entries()[0])(title="A Paper Added Later",
                                        abstract="Later. " * 40)])
    keys = search(lib.catalog(), "").keys()
    assert len(keys) == len(lib)
    assert keys[0] == "paper-added-later"
    first_file = sample_entries()[0].title
    assert lib.catalog().records[lib.catalog().ordinals[keys[1]]]["title"] == first_file


def test_sorts_and_limit(lib: Library) -> None:
    cat = lib.catalog()
    titles = [cat.records[cat.ordinals[k]]["title"].casefold() for k in
              search(cat, "clip", sort="title").keys()]
    assert titles == sorted(titles)
    assert len(search(cat, "", limit=5).keys()) == 5


@pytest.mark.parametrize("query", ["clip", "", "is:unread", "vision -video", '"language model"'])
def test_unranked_results_are_the_same_papers_in_the_catalog_s_order(lib: Library, query: str
                                                                      ) -> None:
    """What a change by query (``tag add --query``) acts on: every result, unranked."""
    cat = lib.catalog()
    ranked, unranked = search(cat, query), search(cat, query, ranked=False)
    assert len(ranked) > 1
    assert sorted(unranked.ordinals.tolist()) == unranked.ordinals.tolist() \
        == sorted(ranked.ordinals.tolist())


#: Title hits as a query's word weights add them up: whole words, shares of a run of
#: Chinese letters (a third each, summing to 1 within a rounding error), and the sums of
#: a pasted abstract's many words (beyond what the one integer key holds).
_TITLE_HITS = st.one_of(st.sampled_from([0.0, 1.0, 2.0, 1 / 3, 2 / 3, 1 / 3 + 1 / 3 + 1 / 3, 0.5]),
                        st.floats(0, 5000, allow_nan=False))
_SCORES = st.one_of(st.sampled_from([0.0, -0.0, 0.85, 0.9, 1.0, 2.5]),
                    st.floats(0, 100, allow_nan=False, width=32))


@given(st.lists(st.tuples(_TITLE_HITS, _SCORES), min_size=0, max_size=60),
       st.randoms(use_true_random=False))
def test_ranking_by_relevance_is_the_lexsort_of_title_hits_score_and_age(
        papers: list[tuple[float, float]], rnd: object) -> None:
    """The one-key sort gives what sorting by rounded title hits, then score, then age
    (newest first, the order given) does, ties included."""
    title_hits = np.array([t for t, _ in papers], dtype=np.float64)
    score = np.array([s for _, s in papers], dtype=np.float32)
    newest_first = np.arange(len(papers), dtype=np.int64)
    rnd.shuffle(newest_first)  # type: ignore[attr-defined]
    rank = np.empty(len(papers), dtype=np.int64)
    rank[newest_first] = np.arange(len(papers))
    expected = np.lexsort((rank, -score, -np.round(title_hits, 6)))
    assert by_relevance(newest_first, score, title_hits).tolist() == expected.tolist()


def test_titles_sort_regardless_of_accents(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    library.add(parse_page_dump("Zebra Models\n\nWe study zebras. It works.\n\n"
                           "Évaluation of Models\n\nWe evaluate models. It works.\n\n"
                           "Ewe Models\n\nWe study ewes. It works.\n", "x.txt").entries)
    titles = [library.catalog().records[i]["title"] for i in
              search(library.catalog(), "", sort="title").ordinals]
    assert titles == ["Évaluation of Models", "Ewe Models", "Zebra Models"]


def _library_of(tmp_path: Path, *papers: tuple[str, str]) -> tuple[Library, dict[str, str]]:
    """A library of ``papers`` (title, abstract) and their keys by title."""
    library = Library(tmp_path / "lib")
    dump = "\n\n".join(f"{title}\n\n{abstract}" for title, abstract in papers)
    library.add(parse_page_dump(dump + "\n", "x.txt").entries)
    cat = library.catalog()
    return library, {cat.records[i]["title"]: key for i, key in enumerate(cat.keys)}


def test_a_chinese_or_japanese_word_is_found_in_the_middle_of_a_run(tmp_path: Path) -> None:
    """These scripts put no space between words: a whole run was one word, and 医学
    (medicine) did not find 深度学习方法在医学图像中的应用. A run is indexed as its pairs of
    letters, so a word is found where it is written, not where its letters are apart."""
    library, key = _library_of(
        tmp_path,
        ("深度学习方法在医学图像中的应用", "本文提出一种新的深度学习方法。我们评估它。"),
        ("大規模言語モデルの評価", "ニューラルネットワークを用いた評価手法を提案する。結果を示す。"),
        ("学习率调度", "我们研究学习率。结果很好。"),
        ("GPT4中文模型 Evaluation", "We evaluate GPT4 on Chinese. It works."))
    medical, llm, rate, gpt = (key["深度学习方法在医学图像中的应用"], key["大規模言語モデルの評価"],
                               key["学习率调度"], key["GPT4中文模型 Evaluation"])
    cat = library.catalog()
    assert search(cat, "医学").keys() == [medical]
    assert set(search(cat, "学习").keys()) == {medical, rate}
    assert search(cat, "言語 モデル").keys() == [llm]
    assert search(cat, "ネットワーク").keys() == [llm]
    assert search(cat, "gpt4").keys() == [gpt]
    assert search(cat, "中文").keys() == [gpt]  # 中 and 文 are apart in the first paper
    assert search(cat, "方法学习").keys() == []
    assert set(search(cat, "学").keys()) == {medical, rate}  # one letter, wherever it is
    assert search(cat, '"学习方法"').keys() == [medical]
    assert set(search(cat, "-学习").keys()) == {llm, gpt}
    assert search(cat, "学习 -医学").keys() == [rate]


def test_a_chinese_word_in_a_title_ranks_above_its_letters_apart(tmp_path: Path) -> None:
    """Each letter counted as a title hit: 学生习惯调查 (holding 学 and 习, not 学习)
    ranked above 机器学习综述."""
    for order in (1, -1):  # either newer
        papers = [("机器学习综述", "我们综述方法。结果很好。"),
                  ("学生习惯调查", "我们研究学习习惯。结果很好。")]
        library, key = _library_of(tmp_path / str(order), *papers[::order])
        assert search(library.catalog(), "学习").keys() == [key["机器学习综述"], key["学生习惯调查"]]


def test_a_run_of_chinese_or_japanese_letters_counts_as_one_word_in_ranking(tmp_path: Path) -> None:
    """Each of its pairs of letters counted as a word in the title: a title holding
    医学图像 (three pairs) ranked above one holding transformer and segmentation."""
    for order in (1, -1):  # either newer
        papers = [("Transformer Segmentation Networks", "我们研究医学图像。结果很好。"),
                  ("医学图像的研究", "We use a transformer for segmentation. It works.")]
        library, key = _library_of(tmp_path / str(order), *papers[::order])
        cat = library.catalog()
        assert search(cat, "transformer segmentation 医学图像").keys() == \
            [key["Transformer Segmentation Networks"], key["医学图像的研究"]]
        assert search(cat, "transformer 医学图像 研究").keys() == \
            [key["医学图像的研究"], key["Transformer Segmentation Networks"]]
    assert Query.parse("transformer 医学图像 -图像").weights == (1.0, 1 / 3, 1 / 3, 1 / 3)


def test_a_run_repeating_a_pair_of_letters_counts_as_one_word_in_ranking(tmp_path: Path) -> None:
    """A pair written twice in a run is one word of the query: the run counted less than
    a word (いろいろな手法 5/6), and a title holding it ranked below one holding transformer."""
    assert sum(Query.parse("いろいろな手法").weights) == pytest.approx(1)
    assert sum(Query.parse("医学图像分割与医学图像配准").weights) == pytest.approx(1)
    for order in (1, -1):  # either newer
        papers = [("いろいろな手法の比較", "We use a transformer here. It works."),
                  ("Transformer Comparison", "いろいろな手法の比較をする。結果は良い。")][::order]
        library, _key = _library_of(tmp_path / str(order), *papers)
        cat = library.catalog()
        # ranked as a run of two letters, one word (one pair) in either title, is
        assert search(cat, "transformer いろいろな手法").keys() == \
            search(cat, "transformer 比較").keys()


_BERT_PAPERS = (("BERT for Sentiment Analysis", "We study it. It works."),
                ("BERT模型压缩", "我们压缩模型。结果很好。"))


def test_a_negated_term_of_several_words_leaves_out_what_the_term_finds(tmp_path: Path) -> None:
    """-bert模型 left out every paper with bert, and -zero-shot every paper with zero or
    with shot, not only those with the term."""
    library, key = _library_of(
        tmp_path, *_BERT_PAPERS,
        ("Zero-Shot Retrieval", "We study it. It works."),
        ("Zero Trust and a Long Shot", "We study it. It works."))
    cat = library.catalog()
    everything = set(key.values())
    assert set(search(cat, "-bert模型").keys()) == everything - {key["BERT模型压缩"]}
    assert set(search(cat, "-bert").keys()) == {key["Zero-Shot Retrieval"], key["Zero Trust and a Long Shot"]}
    for term in ("zero-shot", "bert模型", "zero–shot", "zero--shot,"):  # -X leaves out what X finds
        assert set(search(cat, f"-{term}").keys()) == everything - set(search(cat, term).keys()), term


def test_words_typed_apart_match_joined_only_with_both_of_them(tmp_path: Path) -> None:
    """Two words typed apart are also looked up joined (language bind: LanguageBind),
    and the joined word with typos: one typo erased a word of one letter, so ``中 bert``
    (and ``bert模``, on the way to ``bert模型``) found BERT papers without 中 or 模."""
    library, key = _library_of(
        tmp_path, *_BERT_PAPERS,
        ("中文BERT预训练", "我们研究。结果很好。"),
        ("LanguageBind: Binding Modalities", "We bind them. It works."),
        ("Transformerbinding Revisited", "We study it. It works."))
    cat = library.catalog()
    assert search(cat, "中 bert").keys() == [key["中文BERT预训练"]]
    assert search(cat, "bert模").keys() == [key["BERT模型压缩"]]
    assert search(cat, "x bert").keys() == []
    assert search(cat, "languag bind").keys() == [key["LanguageBind: Binding Modalities"]]
    assert search(cat, "langauge bnid").keys() == [key["LanguageBind: Binding Modalities"]]
    # A short word last keeps its letters, a typo before it is allowed while typing on
    assert search(cat, "trasnformer bi").keys() == [key["Transformerbinding Revisited"]]


def test_a_typo_in_words_looked_up_joined_counts_once(tmp_path: Path) -> None:
    """``langauge bind`` ranked LanguageBind below a title holding Language and Binding:
    the joined word's typo counted against both words typed, ``bind`` too. So did a
    letter missing between them (``languag bind``, a review)."""
    library, key = _library_of(
        tmp_path,
        ("LanguageBind: Extending Video Pretraining", "We align modalities. It works."),
        ("Object-centric Binding in Contrastive Language-Image Pretraining", "We bind. It works."))
    cat = library.catalog()
    bind = key["LanguageBind: Extending Video Pretraining"]
    other = key["Object-centric Binding in Contrastive Language-Image Pretraining"]
    for query in ("langauge bind", "languag bind", "language bind", "language bin"):
        assert search(cat, query).keys() == [bind, other], query
    assert search(cat, "language bnid").keys()[0] == search(cat, "languagebind").keys()[0] == bind
    ordinal, title = cat.keys.index(bind), FIELD_WEIGHT[TITLE]
    whole, typo, typed_on = (title * q for q in (1.0, (1 + 0.7) / 2, (1 + 0.85) / 2))
    assert cat.joined_scores("language", "bind")[0][ordinal] == whole
    for head, tail, score in (("langauge", "bind", typo), ("language", "bnid", typo),
                              ("languag", "bind", typed_on), ("language", "bin", typed_on),
                              ("langauge", "bnid", title * 0.6)):
        assert cat.joined_scores(head, tail)[0][ordinal] == pytest.approx(score), (head, tail)


def test_typos_in_words_typed_apart_and_looked_up_joined_spare_the_short_one(tmp_path: Path) -> None:
    """The short word of the two keeps its letters, the long one may hold typos:
    ``re identifcation`` finds Reidentification, ``3d reconstruction`` only a 3D
    reconstruction; and no typo changes a number: ``resnet 50`` (or ``resnet50``) finds
    no ResNet56, ``yolo v3`` no YOLOv5."""
    library, key = _library_of(
        tmp_path,
        ("Person Reidentification in the Wild", "We match people. It works."),
        ("Surface Reconstruction from Points", "We rebuild surfaces. It works."),
        ("3DReconstruction of Rooms", "We rebuild rooms. It works."),
        ("ResNet56 on Small Images", "We train it. It works."),
        ("ResNet50 Revisited", "We train it. It works."),
        ("YOLOv5 for Drones", "We detect them. It works."),
        ("YOLOv3 Again", "We detect them. It works."))
    cat = library.catalog()
    assert search(cat, "re identifcation").keys() == [key["Person Reidentification in the Wild"]]
    assert search(cat, "3d reconstruction").keys() == [key["3DReconstruction of Rooms"]]
    assert search(cat, "3d reconstrution").keys() == [key["3DReconstruction of Rooms"]]
    assert search(cat, "resnet 50").keys() == [key["ResNet50 Revisited"]]
    assert search(cat, "resnte 50").keys() == [key["ResNet50 Revisited"]]
    assert search(cat, "resnet50").keys() == [key["ResNet50 Revisited"]]
    assert search(cat, "yolo v3").keys() == [key["YOLOv3 Again"]]
    assert search(cat, "ylov3").keys() == [key["YOLOv3 Again"]]


def test_a_run_of_three_chinese_or_japanese_letters_is_found_where_it_is_written(tmp_path: Path) -> None:
    """Its pairs of letters (東京, 京都) were enough, wherever they were: 東京都 found
    東京と京都 (Tokyo and Kyoto), ranked first."""
    library, key = _library_of(tmp_path, ("東京と京都の比較研究", "我们比较。结果很好。"),
                               ("東京都の人口動態", "我们研究。结果很好。"))
    cat = library.catalog()
    assert search(cat, "東京都").keys() == [key["東京都の人口動態"]]
    assert search(cat, "-東京都").keys() == [key["東京と京都の比較研究"]]
    assert set(search(cat, "京都").keys()) == set(key.values())


def test_words_apart_by_a_zero_width_space_stay_apart(tmp_path: Path) -> None:
    """Thai (and Khmer, and some titles of .bib files) separate words with it: taken
    for an invisible character and dropped, it glued them."""
    library = Library(tmp_path / "lib")
    library.add([Entry(title="การเรียนรู้\u200bเชิงลึก\u200bสำหรับ\u200bภาษา\u200bไทย", bib_key="thai1",
                       entry_type="article"),
                 Entry(title="Vision\u200bTransformers for Dense Prediction", bib_key="vt",
                       entry_type="article")])
    cat = library.catalog()
    assert search(cat, "ภาษา").keys() == ["thai1"] and search(cat, "transformers").keys() == ["vt"]


def test_a_short_word_ending_in_plus_or_hash_ranks_the_papers_holding_it_first(
        tmp_path: Path) -> None:
    """``C++`` is the word c to the word index: typed bare, it listed every paper with
    the word C in no order of its own. Papers holding it as written now come first;
    the rest are still found (a review: ``CD4+`` is also ``CD4(+)`` and ``CD4^+``, and
    a ``.bib``'s ``C$\\sharp$`` reads as ``C♯``), and ``-C++`` leaves out the word."""
    library = Library(tmp_path / "lib")
    titles = {"cpp": "Fuzzing C++ Templates", "cs": "Game Engines in C# and F#",
              "c": "A Compiler for C", "cats": "Counting Cats", "cpp11": "Lambdas of C++11",
              "bert": "A BERT-CRF Tagger", "sharp": "C♯ in Depth", "cd4": "Depletion of CD4(+) Cells",
              "cd4plus": "CD4+ Cells", "cd45": "CD45 Cells", "nat": "Natural Sodium", "na": "Na+ Pumps",
              "objc": "ObjC++ Bridges to C", "cpp17": "C++17 Modules and Cells 11"}
    library.add([Entry(title=t, bib_key=k, entry_type="article") for k, t in titles.items()])
    cat = library.catalog()
    found = search(cat, "C++").keys()
    assert set(found[:3]) == {"cpp", "cpp11", "cpp17"}
    assert set(found) == {"cpp", "cpp11", "cpp17", "cs", "c", "sharp", "objc"}
    assert found.index("objc") > 2  # (a lone C, and no C++ of its own)
    # a version after it (a review: C++11 listed every paper with a c-word and 11 unranked)
    assert search(cat, "C++11").keys() == ["cpp11", "cpp17"] and Query.parse("C++11").boosts == ("c++11",)
    assert search(cat, "c#").keys()[0] == search(cat, "Ｃ＃").keys()[0] == "cs"
    assert "sharp" in search(cat, "c#").keys() and search(cat, "F#").keys() == ["cs"]
    assert search(cat, "CD4+").keys() == ["cd4plus", "cd4"]
    assert search(cat, "templates c++").keys() == ["cpp"]
    assert set(search(cat, "-C++").keys()) == {"cats", "bert", "cd4", "cd4plus", "cd45", "nat", "na"}
    assert search(cat, "cells").keys()[-1] == "cpp17"
    # the name's word as written: not a prefix of another (a third review: Na+ found Natural)
    assert search(cat, "Na+").keys() == ["na"] and "nat" in search(cat, "-Na+").keys()
    assert search(cat, "BERT+CRF").keys() == ["bert"] and "bert" not in search(cat, "-bert+crf").keys()
    assert search(cat, "C++", sort="title").keys() == sorted(found, key=lambda k: titles[k].lower())
    query = Query.parse("C++")
    assert query.boosts == ("c++",) and not query.phrases and not query.notices
    assert Query.parse("Ｃ＋＋").boosts == ("c++",)  # as a Chinese or Japanese IME types it
    assert not Query.parse("-C++").boosts and Query.parse("-C++").excluded == ("c",)
    # only a short name ending so, no letter or digit after it
    for words in ("a+b", "BERT+CRF", "issue#123", "C++x", "learning#", "notepad++"):
        assert not Query.parse(words).boosts
    assert Query.parse("c++ q&a").ignored == ()


def test_names_written_with_plus_or_hash_are_indexed_whole(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The papers holding ``C++`` as written were found by reading the text of every
    paper holding the word C (901 ms the first time at 100,000 papers); the index holds
    such names whole, in abstracts, notes and tags too, so ranking reads no text."""
    from papershelf.catalog import ShardView
    from papershelf.text import index_words, symbol_names

    assert symbol_names("objc++, c++11 and c# (na+); bert+crf a+b issue#123 c++x bug#42 c++17+") == \
        ["c++11", "c#", "na+", "c++17"]
    assert index_words("Fuzzing C++ Templates") == ["fuzzing", "c", "templates", "c++"]
    assert "c++" in index_words("Über C++") and index_words("Ｃ＋＋")[-1] == "c++"
    library = Library(tmp_path / "lib")
    titles = {"abs": "Template Fuzzing", "note": "Compilers for C", "plain": "A Study of C",
              "title": "Fuzzing C++ Templates"}
    library.add([Entry(title=t, bib_key=k, entry_type="article",
                       abstract="We fuzz C++ compilers." if k == "abs" else "We fuzz C.")
                 for k, t in titles.items()])
    library.set_note("note", "Ported to C# later.")
    cat = library.catalog()
    cat.load_indexes()
    monkeypatch.setattr(ShardView, "texts", lambda self: pytest.fail("read the texts"))
    assert search(cat, "C++").keys()[-2:] == ["note", "plain"]
    assert search(cat, "C#").keys()[0] == "note"
    assert search(cat, "fuzzing c++").keys() == ["title", "abs"]


def test_names_with_plus_or_hash_beside_chinese_versions_and_their_words(tmp_path: Path) -> None:
    """From a review: a Chinese or Japanese letter beside ``C++`` is no letter of its word
    (基于C++的 ranks first); ``bug#42`` is words (it found nothing: ``bug`` was matched
    exactly); the words of a name are not looked up joined or as prefixes (``C++11``
    found C11 and C110, ``Na+ K+`` Naked, and ``-C++11`` left out C110)."""
    library = Library(tmp_path / "lib")
    titles = {"zh": "基于C++的高性能计算框架", "ja": "このC++ライブラリの設計", "cs": "使用C#开发游戏",
              "engines": "Game Engines in C# and F#", "c": "A Compiler for C",
              "c11": "Atomics in C11 and Beyond",
              "c110": "C and 110 samples", "naked": "Naked Mole-Rats Live Long", "pumps": "Na+ and K+ Pumps",
              "cpp0x": "Lambdas of C++0x", "bugs": "Triage of Bugs", "ko": "C++로 작성된 컴파일러",
              "cpp17": "Ranges need C++17+ compilers", "cs11": "Records in C#11"}
    library.add([Entry(title=t, bib_key=k, entry_type="article",
                       abstract="We fix the bugs of issue 42." if k == "bugs" else "")
                 for k, t in titles.items()])
    cat = library.catalog()
    assert set(search(cat, "C++").keys()[:5]) == {"zh", "ja", "cpp0x", "ko", "cpp17"}
    assert set(search(cat, "C#").keys()[:2]) == {"cs", "engines"}
    assert search(cat, "bug#42").keys() == ["bugs"] and not Query.parse("bug#42").boosts
    for query in ("C++11", "C++1", "C#11"):  # (C++1: C++17 being typed)
        assert not {"c11", "c110"} & set(search(cat, query).keys()), query
    assert search(cat, "C++0x").keys() == ["cpp0x"] and search(cat, "C#11").keys() == ["cs11"]
    assert search(cat, "Na+ K+").keys() == ["pumps"]
    assert "c110" in search(cat, "-C++11").keys()


def test_a_phrase_of_characters_no_one_sees_is_ignored(lib: Library) -> None:
    """A quoted soft hyphen folds to nothing: the search for it never ended (a review)."""
    catalog = lib.catalog()
    everything = search(catalog, "").keys()
    for text in ('"\u00ad"', '-"\u0301"', '"\ufeff" clip', '"\u00ad'):
        query = Query.parse(text)
        assert query.ignored and not query.phrases and not query.excluded_phrases, text
        assert set(search(catalog, text).keys()) == set(search(catalog, text.partition(" ")[2]).keys()
                                                     if " " in text else everything)
    from papershelf.search import _phrase_mask

    assert _phrase_mask(catalog, "\u00ad", np.ones(len(catalog), dtype=bool)).all()


def test_bad_filters_are_reported_not_fatal() -> None:
    query = Query.parse("is:maybe has:pdf tag: clip")
    assert len(query.problems) == 3
    assert query.words == ("clip",)


def test_parse_shapes() -> None:
    q = Query.parse('Vision-Language "exact Phrase" -tag:done -skip key:ctp unknown:thing')
    assert q.words == ("vision", "language", "unknown", "thing")
    assert q.phrases == ("exact Phrase",)
    assert q.excluded == ("skip",)
    assert [(f.field, f.value, f.negated) for f in q.filters] == [("tag", "done", True),
                                                                  ("key", "ctp", False)]


def test_typing_a_query_finds_what_a_fresh_catalog_finds(lib: Library) -> None:
    catalog = lib.catalog()
    queries = ["language bind", "vision language pretraining", "-surgery contrastive", "pre train"]
    for query in queries:
        for end in range(1, len(query) + 1):
            typed = query[:end]
            fresh = Library(lib.root).catalog()
            assert search(catalog, typed).keys() == search(fresh, typed).keys(), typed


def test_remembered_word_scores_are_read_only_and_bounded(lib: Library) -> None:
    import numpy as np

    from papershelf.catalog import WORD_MEMO

    catalog = lib.catalog()
    scores, in_title = catalog.word_scores("language")
    assert catalog.word_scores("language")[0] is scores  # remembered
    with pytest.raises(ValueError):
        scores[0] = 1.0
    with pytest.raises(ValueError):
        in_title[0] = True
    for i in range(WORD_MEMO + 5):
        catalog.word_scores(f"word{i}")
    assert len(catalog._word_memo) == WORD_MEMO
    assert np.array_equal(catalog.word_scores("language")[0], scores)


def test_searching_from_several_threads_at_once(lib: Library) -> None:
    from concurrent.futures import ThreadPoolExecutor

    queries = ["language", "vision language", "contrastive pretraining", "audio", "lang"] * 8
    expected = [search(Library(lib.root).catalog(), q).keys() for q in queries]
    catalog = lib.catalog()
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda q: search(catalog, q).keys(), queries)) == expected


def test_key_positions_are_ready_after_loading_and_shared_while_keys_stay(
        sample_library: Library) -> None:
    """The TUI looks a key's position up on its UI thread: building the mapping takes
    about 30 ms at 100,000 papers, so it is built with the indexes and kept across changes
    that keep every key where it was."""
    catalog = sample_library.catalog()
    catalog.load_indexes()
    assert "ordinals" in catalog.__dict__
    key = catalog.keys[10]
    sample_library.tag([key], "later")
    tagged = sample_library.catalog()
    assert tagged is not catalog and tagged.ordinals is catalog.ordinals
    sample_library.remove([key])
    removed = sample_library.catalog()
    assert removed.ordinals is not catalog.ordinals
    assert removed.ordinals == {k: i for i, k in enumerate(removed.keys)} and key not in removed.ordinals


def test_a_vocabulary_is_reused_and_no_chain_of_old_catalogs_is_kept(
        sample_library: Library) -> None:
    """Changes made while no word is searched (an empty filter) must not keep every old
    catalog alive; the last vocabulary built is still reused once the texts are the same."""
    import gc
    import weakref

    first = sample_library.catalog()
    vocabulary = first.text_vocabulary
    keys = first.keys
    old = [weakref.ref(first)]
    del first
    for i in range(5):
        sample_library.tag([keys[i]], "later")
        search(sample_library.catalog(), "")  # no word: the vocabulary is not needed
        old.append(weakref.ref(sample_library.catalog()))
    gc.collect()
    assert sum(ref() is not None for ref in old) == 1  # the library's current catalog
    assert sample_library.catalog().text_vocabulary is vocabulary  # texts unchanged
    sample_library.set_note(keys[0], "a note is no text of the word index")
    assert sample_library.catalog().text_vocabulary is vocabulary


@pytest.mark.parametrize(("text", "ignored"), [
    ("🎉", ("🎉",)), ("vision & language", ("&",)), ("-🎉 clip 🎉", ("-🎉", "🎉")),
    ("vision -", ()), ("c++ q&a", ()), ('"🎉"', ()),
])
def test_terms_without_a_letter_or_digit_are_named_as_ignored(text: str,
                                                               ignored: tuple[str, ...]) -> None:
    query = Query.parse(text)
    assert query.ignored == ignored and not query.problems
    assert query.notices == tuple(f"{t} has no letter or digit: ignored" for t in ignored)


@pytest.mark.parametrize("searched", [True, False], ids=["searched first", "nothing searched"])
def test_deleting_papers_shrinks_the_word_indexes_instead_of_building_them(
        sharded: Library, monkeypatch: pytest.MonkeyPatch, searched: bool) -> None:
    """A delete across the library (a CLI rm of a search's results, the TUI's delete of
    marks) left every shard's index to build again: 8 s before a running TUI showed the
    delete of 1,000 papers of 100,000. The indexes are cut down to the papers left,
    cached, and find what indexes built from scratch find."""
    import shutil

    from papershelf.textindex import TextIndex

    Library(sharded.root).catalog().load_indexes()  # cached, as an import leaves them
    library = Library(sharded.root)
    if searched:
        library.catalog().load_indexes()
    gone = library.keys()[::7]
    assert len({library.shard_of(key).number for key in gone}) == 4
    library.remove(gone)

    def build(*_args: object) -> TextIndex:
        raise AssertionError("an index was built again")

    queries = ["clip", "languge model", "video diffusion", "vision", '"language model"']
    with monkeypatch.context() as patched:
        patched.setattr(TextIndex, "build", build)
        shrunk = [search(Library(sharded.root).catalog(), q).keys() for q in queries]
        if searched:
            assert [search(library.catalog(), q).keys() for q in queries] == shrunk
    shutil.rmtree(sharded.root / ".cache" / "index")
    rebuilt = [search(Library(sharded.root).catalog(), q).keys() for q in queries]
    assert shrunk == rebuilt and all(rebuilt)
    assert not set(gone).intersection(*rebuilt)


def test_every_term_but_filters_looks_words_up() -> None:
    """The CLI builds missing word indexes on every core for such a query (one by one
    otherwise, in the search): a query of a negated term or a phrase alone did not."""
    for text in ("clip", "-clip", "-zero-shot", '"image encoder"', '-"image encoder"', "東京都"):
        assert Query.parse(text).looks_up_words, text
    for text in ("tag:vlp", "-is:read has:note", ""):
        assert not Query.parse(text).looks_up_words, text


@pytest.mark.parametrize(("text", "hint"), [
    ("author:smith", "authors are not searched; filters are tag: is: has: key:"),
    ("-Year:2020", "filters are tag: is: has: key:"),
    ('title:"a b"', "filters are tag: is: has: key:"), ("tags:vlp", "did you mean tag:?"),
    ("read:yes", "did you mean is:read?"), ("notes:x", "did you mean has:note?")])
def test_a_field_other_tools_filter_by_is_words_with_a_notice(text: str, hint: str) -> None:
    query = Query.parse(text)
    assert query.words or query.excluded or query.excluded_terms  # still searched
    assert query.notices == (f"{text}: there is no {text.lstrip('-').split(':')[0].lower()}: "
                             f"filter, so it is searched as words ({hint})",)
    assert not Query.parse("arXiv:2101.00001 ICLR:2024").notices



@pytest.mark.parametrize("leave", ["deleted", "read under is:unread"])
def test_row_after_finds_the_first_paper_after_one_gone_else_the_last_before(
        tmp_path: Path, leave: str) -> None:
    """Papers deleted (the catalog has other keys), or read under ``is:unread`` (the same
    keys, fewer listed)."""
    library = Library(tmp_path / "lib")
    library.add(sample_entries()[:8])
    query = "is:unread" if leave.startswith("read") else ""

    def gone(keys: list[str]) -> Results:
        library.set_read(keys) if query else library.remove(keys)
        return search(library.catalog(), query)

    before = search(library.catalog(), query)
    keys = before.keys()
    after = gone(keys[2:5])
    assert after.keys()[after.row_after(before, 3)] == keys[5]  # not keys[6], now on row 3
    last = gone(keys[5:])
    assert last.keys()[last.row_after(after, after.keys().index(keys[6]))] == keys[1]
    assert gone(keys[:2]).row_after(last, 0) is None
