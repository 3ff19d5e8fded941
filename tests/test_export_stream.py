"""Exports are written piece by piece: the pieces join to the one-shot output."""

from __future__ import annotations

import orjson
import pytest

from papershelf.exporters import stream
from papershelf.exporters.bibtex import to_bibtex
from papershelf.exporters.markdown import to_markdown
from papershelf.library import Library


@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_streamed_exports_equal_one_shot_exports(sample_library: Library, batch: int) -> None:
    papers = sample_library.papers()
    batches = list(sample_library.iter_papers(batch=batch))
    assert [p.key for b in batches for p in b] == [p.key for p in papers]
    assert "".join(stream(batches, "bibtex")) == to_bibtex(papers)
    assert "".join(stream(batches, "markdown")) == to_markdown(papers)
    expected_json = orjson.dumps([p.to_json() for p in papers], option=orjson.OPT_INDENT_2) + b"\n"
    assert "".join(stream(batches, "json")).encode() == expected_json


@pytest.mark.parametrize("fmt", ["bibtex", "markdown", "json"])
def test_empty_exports(fmt: str) -> None:
    text = "".join(stream([], fmt))
    assert text == {"bibtex": "", "markdown": "# Reading list\n\n", "json": "[]\n"}[fmt]


def test_walking_the_library_frees_each_shards_text(sample_library: Library) -> None:
    for _batch in sample_library.iter_papers():
        pass
    assert all(shard.texts_storage._data is None for shard in sample_library.shards)
