"""The saved word index: read back exactly, and refused when stale or torn."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papershelf.text import words
from papershelf.textindex import TextIndex

from .conftest import words_by_names


def _index() -> TextIndex:
    return TextIndex.build(["clip", "blip-2", "ü"], ["CLIP: images", "BLIP-2 über alles", "Ü"],
                           ["Contrastive pretraining.", "", "Résumé of 3 things."], "d1")


def test_round_trip(tmp_path: Path) -> None:
    index = _index()
    index.save(tmp_path / "0001.idx")
    loaded = TextIndex.load(tmp_path / "0001.idx", "d1")
    assert loaded is not None
    assert (loaded.keys, loaded.vocab, loaded.digest) == (index.keys, index.vocab, "d1")
    for name in ("indptr", "docs", "fields"):
        a, b = getattr(loaded, name), getattr(index, name)
        assert a.dtype == b.dtype and np.array_equal(a, b)
    rows = np.array([loaded.vocab.index(t) for t in ("clip", "uber")], dtype=np.int64)
    assert list(loaded.gather(rows)[0]) == list(index.gather(rows)[0])


def test_stale_torn_or_missing_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "0001.idx"
    assert TextIndex.load(path, "d1") is None
    _index().save(path)
    assert TextIndex.load(path, "other digest") is None
    data = path.read_bytes()
    for broken in (data[:-8], data[:10], b"", b"\n" + data, data + b"x" * 8):
        path.write_bytes(broken)
        assert TextIndex.load(path, "d1") is None


def test_an_empty_index(tmp_path: Path) -> None:
    TextIndex.build([], [], [], "e").save(tmp_path / "e.idx")
    loaded = TextIndex.load(tmp_path / "e.idx", "e")
    assert loaded is not None and loaded.keys == [] and loaded.vocab == []


@given(st.text(alphabet=st.characters(codec=None), max_size=40)
       | st.text(alphabet="aZ09 -_.,'Éé\u00df\u0130\u2160", max_size=20)
       | st.text(alphabet="中文学习ネットワーク々〆ー・がｶﾞ㋐㏠ 1a,", max_size=20))
def test_words_are_the_folded_runs_of_letters_and_digits(text: str) -> None:
    import re

    from papershelf.text import fold

    assert words(text) == words_by_names(fold(text))
    if not re.search(r"[\u3000-\u9fff\uf900-\ufaff\U0001aff0-\U0003ffff]", fold(text)):
        assert words(text) == re.findall(r"[^\W_]+", fold(text))


def test_index_of_known_texts() -> None:
    index = TextIndex.build(["a-b", "c"], ["Deep CLIP", "Über Models"], ["clip, clip. x", ""], "d")
    postings = {word: [(int(index.docs[i]), int(index.fields[i]))
                       for i in range(index.indptr[row], index.indptr[row + 1])]
                for row, word in enumerate(index.vocab)}
    assert postings == {"deep": [(0, 1)], "clip": [(0, 3)], "uber": [(1, 1)], "models": [(1, 1)],
                        "x": [(0, 2)], "a": [(0, 4)], "b": [(0, 4)], "c": [(1, 4)]}


def test_a_save_removes_what_dead_saves_left(tmp_path: Path) -> None:
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    path = tmp_path / "0001.idx"
    dead = tmp_path / f".0001.idx.{int(gone.stdout)}.tmp"
    living = tmp_path / f".0001.idx.{os.getppid()}.tmp"  # a save still under way elsewhere
    other = tmp_path / f".0002.idx.{int(gone.stdout)}.tmp"  # another shard's: its own save
    for leftover in (dead, living, other):
        leftover.write_bytes(b"torn")
    TextIndex.build(["k"], ["A title"], ["An abstract"], "d").save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["0001.idx", living.name, other.name])


def test_a_save_cut_short_by_a_full_disk_leaves_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from papershelf import textindex

    real_open = open

    class FullDisk:  # writes the first block, then the disk is full
        def __init__(self, path: Path, mode: str) -> None:
            self.handle = real_open(path, mode)

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            if self.handle.tell():
                raise OSError(28, "No space left on device")
            return self.handle.write(data)

    monkeypatch.setattr(textindex, "open", FullDisk, raising=False)
    with pytest.raises(OSError):
        _index().save(tmp_path / "0001.idx")
    assert list(tmp_path.iterdir()) == []  # the room it took is free for the next change


def test_repeated_words_count_once_and_words_number_in_order_of_first_use() -> None:
    index = TextIndex.build(["zeta-one"], ["Beta alpha beta"], ["gamma alpha Alpha alpha"], "d")
    # First use, title then abstract then key: the same file whatever the hash seed.
    assert index.vocab == ["beta", "alpha", "gamma", "zeta", "one"]
    row = index.vocab.index("alpha")
    start, end = index.indptr[row], index.indptr[row + 1]
    assert index.docs[start:end].tolist() == [0]  # one posting, its fields OR-ed
    assert index.fields[start:end].tolist() == [1 | 2]


_TEXT = st.text(st.sampled_from("ab cÉé-1_."), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT, _TEXT), max_size=8))
def test_postings_are_each_word_s_papers_with_their_fields(papers: list[tuple[str, str, str]]) -> None:
    """Against a plain dict: every word lists the papers holding it, in order, with the
    fields it is in OR-ed together."""
    keys, titles, abstracts = ([p[i] for p in papers] for i in range(3))
    _check_postings(keys, titles, abstracts)


def test_postings_of_more_words_than_16_bits_number() -> None:
    """Words are sorted by their number 16 bits at a time: the second pass must keep
    the papers of a word numbered beyond 65,535 in order too."""
    many = " ".join(f"w{n}" for n in range(70_000))
    index = _check_postings(["k-one", "k-two", "k-three"], ["Alpha w69999", "w1 beta", "w69999"],
                            ["gamma", many, "w69998 alpha"])
    assert len(index.vocab) > 1 << 16


def _check_postings(keys: list[str], titles: list[str], abstracts: list[str]) -> TextIndex:
    expected: dict[str, dict[int, int]] = {}
    for bit, texts in ((1, titles), (2, abstracts), (4, keys)):
        for doc, text in enumerate(texts):
            for word in words(text):
                expected.setdefault(word, {}).setdefault(doc, 0)
                expected[word][doc] |= bit
    index = TextIndex.build(keys, titles, abstracts, "d")
    got = {word: {int(index.docs[i]): int(index.fields[i])
                  for i in range(index.indptr[row], index.indptr[row + 1])}
           for row, word in enumerate(index.vocab)}
    assert got == expected
    assert all(list(docs) == sorted(docs) for docs in got.values())
    assert index.docs.dtype == np.int32 and index.fields.dtype == np.uint8
    return index


def test_an_index_less_some_papers_is_the_index_built_without_them() -> None:
    keys = ["clip", "blip-2", "ü", "vit"]
    titles = ["CLIP: images", "BLIP-2 über alles", "Ü", "ViT: images are words"]
    abstracts = ["Contrastive pretraining.", "", "Résumé of 3 things.", "16x16 words."]
    shrunk = TextIndex.build(keys, titles, abstracts, "d1").without({"blip-2", "ü"}, "d2")
    built = TextIndex.build(keys[::3], titles[::3], abstracts[::3], "d2")

    def postings(index: TextIndex) -> dict[str, list[tuple[int, int]]]:
        return {word: list(zip(index.docs[index.indptr[i]:index.indptr[i + 1]].tolist(),
                               index.fields[index.indptr[i]:index.indptr[i + 1]].tolist(),
                               strict=True))
                for i, word in enumerate(index.vocab)}

    assert (shrunk.keys, shrunk.digest) == (built.keys, "d2")
    assert postings(shrunk) == postings(built) and "uber" not in shrunk.vocab
