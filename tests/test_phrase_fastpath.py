"""Phrase matching searches ASCII text all at once; it finds what folding, collapsing
whitespace and looking for the phrase paper by paper finds."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papershelf.catalog import Catalog
from papershelf.library import Library
from papershelf.model import Entry, Source
from papershelf.search import _fields, _phrase_mask
from papershelf.text import fold, words

WORDS = ["image", "Image", "IMAGE", "encoder", "Encoder", "the", "of", "über", "Uber", "ſ", "ℌ", "x"]
SPACES = [" ", "  ", "\n", "\t", " \x1c ", "-", "\u00a0"]


def _text(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SPACES)), max_size=12))
    return "".join(w + s for w, s in parts)


@st.composite
def library_texts(draw: st.DrawFn) -> list[tuple[str, str, str]]:
    return [(f"Paper {i} " + _text(draw), _text(draw), _text(draw))
            for i in range(draw(st.integers(1, 6)))]


def _reference(catalog: Catalog, phrase: str) -> set[str]:
    """The paper-by-paper phrase matching (what it was before the shortcut)."""
    def normal(text: str) -> str:
        return re.sub(r"\s+", " ", fold(text))

    wanted = normal(phrase).strip()
    candidates = np.ones(len(catalog), dtype=bool)
    for token in words(phrase):
        candidates &= catalog.word_scores(token, exact=True)[0] > 0
    return {catalog.keys[i] for i in np.flatnonzero(candidates)
            if wanted in normal(" ".join(_fields(catalog.records[i], catalog.abstract(int(i)))))}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("phrases")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(library_texts(), st.sampled_from(["image encoder", "Image  Encoder", "of the", "über x",
                                         "uber", "ſ image", "h", "x\nimage", "encoder of"]))
def test_phrases_match_the_paper_by_paper_reference(root: Path, texts: list[tuple[str, str, str]],
                                                    phrase: str) -> None:
    import shutil

    shutil.rmtree(root / "lib", ignore_errors=True)
    library = Library(root / "lib")
    library.add([Entry(title=t, abstract=a, note=n, source=Source("f.txt")) for t, a, n in texts])
    catalog = library.catalog()
    mask = _phrase_mask(catalog, phrase, np.ones(len(catalog), dtype=bool))
    assert {catalog.keys[i] for i in np.flatnonzero(mask)} == _reference(catalog, phrase)
