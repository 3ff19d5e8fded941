"""An immutable, searchable snapshot of the library.

A :class:`Catalog` is what listing, searching and the TUI read: every paper's small
record in a fixed order, per-shard word indexes (loaded on first search), and NumPy
columns for the filters. The library builds a new catalog after each change, reusing
the :class:`ShardView` of every shard that did not change, so a tag toggle at 100,000
papers costs one shard's worth of work.
"""

from __future__ import annotations

import bisect
import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA

from papershelf.model import Paper
from papershelf.textindex import ABSTRACT, KEY, TITLE, TextIndex, digest_of, words

Record = dict[str, Any]
TextLoader = Callable[[], dict[str, Record]]

#: Weight of a word found in each field; a title hit outweighs everything else.
FIELD_WEIGHT = {TITLE: 3.0, KEY: 2.5, ABSTRACT: 1.0}
TAG_WEIGHT = 2.5
NOTE_WEIGHT = 1.5
_WEIGHT_BY_BITS = np.array(
    [max((w for bit, w in FIELD_WEIGHT.items() if bits & bit), default=0.0) for bits in range(8)],
    dtype=np.float32,
)
_POSTINGS_CACHE = 4096


class ShardView:
    """The papers of one shard as of one moment, in insertion order."""

    def __init__(self, number: int, records: dict[str, Record], texts: TextLoader,
                 texts_stamp: object, cache_dir: Path | None) -> None:
        self.number = number
        self.keys = sorted(records, key=lambda k: records[k].get("seq", 0))
        self.records = [records[k] for k in self.keys]
        self._texts = texts
        self._texts_stamp = texts_stamp
        self._cache_path = cache_dir / f"{number:04d}.npz" if cache_dir else None
        self._index: TextIndex | None = None
        self._lock = threading.Lock()

    def texts(self) -> dict[str, Record]:
        """The text records of this shard (abstracts), read on demand."""
        return self._texts()

    def text_index(self) -> TextIndex:
        """The word index: from the cache when it matches, else built and cached."""
        with self._lock:
            if self._index is None:
                self._index = self._load_or_build()
            return self._index

    def _load_or_build(self) -> TextIndex:
        titles = [r["title"] for r in self.records]
        digest = digest_of(self.keys, titles, self._texts_stamp)
        if self._cache_path is not None:
            cached = TextIndex.load(self._cache_path, digest)
            if cached is not None:
                return cached
        texts = self.texts()
        abstracts = [texts.get(k, {}).get("abstract", "") for k in self.keys]
        index = TextIndex.build(self.keys, titles, abstracts, digest)
        if self._cache_path is not None:
            with contextlib.suppress(OSError):  # a read-only library searches uncached
                index.save(self._cache_path)
        return index


class Vocabulary:
    """Every word of the library, sorted, with typo-tolerant and prefix lookup."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = sorted(set(tokens))
        self._set = frozenset(self.tokens)
        self._prefixes: dict[int, list[str]] = {}

    def _with_prefix(self, prefix: str) -> list[str]:
        lo = bisect.bisect_left(self.tokens, prefix)
        hi = bisect.bisect_left(self.tokens, prefix + "\U0010ffff")
        return self.tokens[lo:hi]

    def _prefixes_of_length(self, length: int) -> list[str]:
        found = self._prefixes.get(length)
        if found is None:
            found = sorted({t[:length] for t in self.tokens if len(t) >= length})
            self._prefixes[length] = found
        return found

    def match(self, word: str) -> list[tuple[str, float]]:
        """Tokens that ``word`` stands for, each with a quality in (0, 1].

        Exact 1.0; completion of a prefix (2+ letters) 0.85; one typo (5+ letters;
        two for 9+, as Meilisearch does) 0.7 / 0.6; a prefix with one typo (5+ letters) 0.5.
        """
        found: dict[str, float] = {}
        if len(word) >= 2:
            for token in self._with_prefix(word):
                found[token] = 0.85
        if word in self._set:
            found[word] = 1.0
        if len(word) >= 5:
            limit = 2 if len(word) >= 9 else 1
            for token, distance in _close(word, self.tokens, limit):
                found.setdefault(token, 0.7 if distance == 1 else 0.6)
        if len(word) >= 5:
            for prefix, _distance in _close(word, self._prefixes_of_length(len(word)), 1):
                for token in self._with_prefix(prefix):
                    found.setdefault(token, 0.5)
        return list(found.items())


def _close(word: str, choices: list[str], limit: int) -> list[tuple[str, int]]:
    """Choices within ``limit`` edits (transpositions count once) of ``word``.

    ``cdist`` releases the GIL, so a filter running in a worker thread does not
    stall the UI thread.
    """
    if not choices:
        return []
    distances = process.cdist([word], choices, scorer=OSA.distance, score_cutoff=limit,
                              dtype=np.uint8, workers=1)[0]
    return [(choices[i], int(distances[i])) for i in np.flatnonzero(distances <= limit)]


class Catalog:
    """Every paper's small record in a fixed order, plus lazily built search columns."""

    def __init__(self, views: Sequence[ShardView], version: int = 0) -> None:
        self.views = tuple(views)
        self.version = version
        self.offsets: list[int] = []
        self.keys: list[str] = []
        self.records: list[Record] = []
        for view in self.views:
            self.offsets.append(len(self.keys))
            self.keys.extend(view.keys)
            self.records.extend(view.records)
        self._postings: OrderedDict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float32],
                                               npt.NDArray[np.int64]]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.keys)

    @cached_property
    def ordinals(self) -> dict[str, int]:
        """Key -> position."""
        return {key: i for i, key in enumerate(self.keys)}

    def view_of(self, ordinal: int) -> tuple[ShardView, int]:
        """The shard view holding ``ordinal`` and the position inside it."""
        i = bisect.bisect_right(self.offsets, ordinal) - 1
        return self.views[i], ordinal - self.offsets[i]

    def abstract(self, ordinal: int) -> str:
        """The abstract of the paper at ``ordinal``."""
        view, _ = self.view_of(ordinal)
        text: str = view.texts().get(self.keys[ordinal], {}).get("abstract", "")
        return text

    def paper(self, ordinal: int) -> Paper:
        """The full paper at ``ordinal``."""
        from papershelf.library import record_to_paper

        view, _ = self.view_of(ordinal)
        key = self.keys[ordinal]
        return record_to_paper(key, self.records[ordinal], view.texts().get(key))

    # ------------------------------------------------------------ columns

    @cached_property
    def read(self) -> npt.NDArray[np.bool_]:
        """Read state per paper."""
        return np.fromiter((bool(r.get("read")) for r in self.records), dtype=bool,
                           count=len(self.records))

    @cached_property
    def has_note(self) -> npt.NDArray[np.bool_]:
        """Whether each paper has a non-blank note."""
        return np.fromiter((bool(r.get("note", "").strip()) for r in self.records), dtype=bool,
                           count=len(self.records))

    @cached_property
    def has_link(self) -> npt.NDArray[np.bool_]:
        """Whether each paper has at least one link."""
        return np.fromiter((bool(r.get("links")) for r in self.records), dtype=bool,
                           count=len(self.records))

    @cached_property
    def newest_rank(self) -> npt.NDArray[np.int64]:
        """Rank of each paper in the default order: newest import first, then in the
        order papers were listed in their file."""
        seq = np.fromiter((r.get("seq", 0) for r in self.records), dtype=np.int64,
                          count=len(self.records))
        batch = np.fromiter((r.get("batch", 0) for r in self.records), dtype=np.int64,
                            count=len(self.records))
        order = np.lexsort((seq, -batch))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank

    @cached_property
    def title_rank(self) -> npt.NDArray[np.int64]:
        """Rank of each paper by title, alphabetically."""
        order = sorted(range(len(self.records)), key=lambda i: self.records[i]["title"].casefold())
        rank = np.empty(len(order), dtype=np.int64)
        rank[np.array(order, dtype=np.int64)] = np.arange(len(order))
        return rank

    def tag_mask(self, tag: str) -> npt.NDArray[np.bool_]:
        """Papers carrying ``tag`` (case-insensitively)."""
        wanted = tag.casefold()
        return np.fromiter(
            (any(t.casefold() == wanted for t in r.get("tags", ())) for r in self.records),
            dtype=bool, count=len(self.records),
        )

    def key_mask(self, prefix: str) -> npt.NDArray[np.bool_]:
        """Papers whose key starts with ``prefix`` (case-insensitively)."""
        wanted = prefix.casefold()
        return np.fromiter((k.casefold().startswith(wanted) for k in self.keys), dtype=bool,
                           count=len(self.keys))

    # ------------------------------------------------------------ words

    @cached_property
    def _state_words(self) -> dict[str, tuple[list[int], list[float]]]:
        """Words of tags and notes -> (ordinals, weights); built from the sparse few."""
        found: dict[str, dict[int, float]] = {}
        for i, record in enumerate(self.records):
            tags, note = record.get("tags"), record.get("note")
            if not tags and not note:
                continue
            for tag in tags or ():
                for token in {tag.casefold(), *words(tag)}:
                    found.setdefault(token, {})[i] = TAG_WEIGHT
            for token in set(words(note or "")):
                docs = found.setdefault(token, {})
                docs[i] = max(docs.get(i, 0.0), NOTE_WEIGHT)
        return {t: (list(d), list(d.values())) for t, d in found.items()}

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """Every word of every paper (loads the word indexes)."""
        tokens: set[str] = set(self._state_words)
        for view in self.views:
            tokens.update(view.text_index().vocab)
        return Vocabulary(list(tokens))

    def load_indexes(self) -> None:
        """Load (or build) every shard's word index and the vocabulary now."""
        _ = self.vocabulary

    def postings(self, token: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32],
                                            npt.NDArray[np.int64]]:
        """Papers holding ``token``: ordinals, the field weight of each, and the
        ordinals where it is in the title. Cached: typing re-asks the same words."""
        with self._lock:
            hit = self._postings.get(token)
            if hit is not None:
                self._postings.move_to_end(token)
                return hit
        ords: list[npt.NDArray[np.int64]] = []
        weights: list[npt.NDArray[np.float32]] = []
        titles: list[npt.NDArray[np.int64]] = []
        for view, offset in zip(self.views, self.offsets, strict=True):
            index = view.text_index()
            tid = index.token_id(token)
            if tid < 0:
                continue
            docs, bits = index.postings(tid)
            ordinals = docs.astype(np.int64) + offset
            ords.append(ordinals)
            weights.append(_WEIGHT_BY_BITS[bits])
            titles.append(ordinals[(bits & TITLE) != 0])
        state = self._state_words.get(token)
        if state is not None:
            ords.append(np.array(state[0], dtype=np.int64))
            weights.append(np.array(state[1], dtype=np.float32))
        empty_i = np.empty(0, dtype=np.int64)
        result = (
            np.concatenate(ords) if ords else empty_i,
            np.concatenate(weights) if weights else np.empty(0, dtype=np.float32),
            np.concatenate(titles) if titles else empty_i,
        )
        with self._lock:
            self._postings[token] = result
            if len(self._postings) > _POSTINGS_CACHE:
                self._postings.popitem(last=False)
        return result
