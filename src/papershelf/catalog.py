"""An immutable, searchable snapshot of the library.

A :class:`Catalog` is what listing, searching and the TUI read: every paper's small
record in a fixed order, per-shard word indexes (loaded on first search), and NumPy
columns for the filters. The library builds a new catalog after each change, reusing
the :class:`ShardView` of every shard that did not change (and the word index of every
shard whose text did not change), so after a tag toggle at 100,000 papers only one
shard's columns are recomputed.
"""

from __future__ import annotations

import bisect
import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA

from papershelf.model import Paper
from papershelf.records import record_to_paper
from papershelf.shard import Record
from papershelf.storage import gc_paused
from papershelf.tags import tag_fold
from papershelf.text import STOPWORDS, fold, index_words
from papershelf.textindex import ABSTRACT, KEY, TITLE, TextIndex, digest_of

TextLoader = Callable[[], dict[str, Record]]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

#: Weight of a word found in each field; a title hit outweighs everything else.
FIELD_WEIGHT = {TITLE: 3.0, KEY: 2.5, ABSTRACT: 1.0}
TAG_WEIGHT = 2.5
NOTE_WEIGHT = 1.5
_WEIGHT_BY_BITS = np.array(
    [max((w for bit, w in FIELD_WEIGHT.items() if bits & bit), default=0.0) for bits in range(8)],
    dtype=np.float32,
)
#: How many query words' scores a catalog remembers (0.5 MB each at 100,000 papers).
WORD_MEMO = 32
#: The longest query word tried as two words joined (:meth:`Catalog.word_splits`): the
#: longest words of a library hold 30 to 40 letters, and each letter more is a cut to try.
SPLIT_MAX = 48
#: The quality of a word that a query word is a prefix of (:meth:`Vocabulary.match`).
_PREFIX_QUALITY = 0.85
_EMPTY_INT = np.empty(0, dtype=np.int64)
_EMPTY_FLOAT = np.empty(0, dtype=np.float32)


def typo_limit(length: int) -> int:
    """How many typos a query word of ``length`` letters may hold: none under five
    letters, one, two from nine (as Meilisearch does)."""
    return 0 if length < 5 else 2 if length >= 9 else 1


class Vocabulary:
    """A sorted word list (a word's id is its position) with typo-tolerant and
    prefix lookup. Lookups are cached by length, so typing stays cheap."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = sorted(set(tokens))
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        self._near: dict[tuple[int, int], tuple[list[str], IntArray]] = {}
        self._head_cache: dict[int, list[str]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.tokens)

    def _prefix_range(self, prefix: str) -> tuple[int, int]:
        lo = bisect.bisect_left(self.tokens, prefix)
        return lo, bisect.bisect_left(self.tokens, prefix + "\U0010ffff", lo)

    def _of_lengths(self, low: int, high: int) -> tuple[list[str], IntArray]:
        """Words whose length is within [low, high], with their ids (cached)."""
        with self._lock:
            found = self._near.get((low, high))
            if found is None:
                ids = [i for i, t in enumerate(self.tokens) if low <= len(t) <= high]
                found = ([self.tokens[i] for i in ids], np.array(ids, dtype=np.int64))
                self._near[(low, high)] = found
            return found

    def _heads(self, length: int) -> list[str]:
        """The distinct first ``length`` letters of longer words (cached)."""
        with self._lock:
            found = self._head_cache.get(length)
            if found is None:
                found = list(dict.fromkeys(t[:length] for t in self.tokens if len(t) > length))
                self._head_cache[length] = found
            return found

    def prepare(self, lengths: Iterable[int]) -> None:
        """Build the typo-lookup tables for words of these lengths ahead of time."""
        for length in lengths:
            limit = max(typo_limit(length), 1)
            self._of_lengths(length - limit, length + limit)
            self._heads(length)

    def match(self, word: str, keep: tuple[int, int] = (0, 0)) -> tuple[IntArray, FloatArray]:
        """Ids of the words ``word`` stands for, each with a quality in (0, 1].

        Exact 1.0; words it is a prefix of (2+ letters) 0.85; one typo (5+ letters;
        two for 9+: :func:`typo_limit`) 0.7 / 0.6; words starting with a one-typo
        variant of it (5+ letters: a typo while typing, or an inflection such as
        surgery / surgeries) 0.5. ``keep``: how many letters at its start and at its
        end typos may not touch (the short word of two typed apart, looked up joined:
        ``re identifcation``); the typos allowed are those of the letters between. A
        typo never changes a digit (:func:`_close`).
        """
        quality: dict[int, float] = {}
        lo, hi = self._prefix_range(word) if len(word) >= 2 else (0, 0)
        for i in range(lo, hi):
            quality[i] = _PREFIX_QUALITY
        exact = self.ids.get(word)
        if exact is not None:
            quality[exact] = 1.0
        start, end = keep
        limit = typo_limit(len(word) - start - end)
        if limit:
            # (the table prepare() builds for a word of this length: cdist's cutoff
            # leaves out the words too long or short for a smaller limit)
            table = max(typo_limit(len(word)), 1)
            choices, ids = self._of_lengths(len(word) - table, len(word) + table)
            heads = self._heads(len(word))
            if start or end:  # (an edit of the letters between leaves those kept in place)
                prefix, suffix = word[:start], word[len(word) - end:]
                picked = [n for n, choice in enumerate(choices)
                          if choice.startswith(prefix) and choice.endswith(suffix)]
                choices, ids = [choices[n] for n in picked], ids[picked]
                heads = [head for head in heads if head.startswith(prefix) and head.endswith(suffix)]
            for i, distance in _close(word, choices, limit):
                quality.setdefault(int(ids[i]), 0.7 if distance == 1 else 0.6)
            for i, _distance in _close(word, heads, 1):
                head_lo, head_hi = self._prefix_range(heads[i])
                for j in range(head_lo, head_hi):
                    quality.setdefault(j, 0.5)
        ids_out = np.fromiter(quality.keys(), dtype=np.int64, count=len(quality))
        return ids_out, np.fromiter(quality.values(), dtype=np.float32, count=len(quality))


def _close(word: str, choices: list[str], limit: int) -> list[tuple[int, int]]:
    """Positions of choices within ``limit`` edits of ``word`` (a transposition counts
    once) that hold the same digits, with their distance: a number is a name, so a typo
    never adds, drops or changes a digit (resnet50 is not ResNet56, llama3 not Llama2). ``cdist`` releases
    the GIL, so a filter running in a worker thread does not stall the UI thread."""
    if not choices:
        return []
    distances = process.cdist([word], choices, scorer=OSA.distance, score_cutoff=limit,
                              dtype=np.uint8, workers=1)[0]
    digits = _digits(word)
    return [(int(i), int(distances[i])) for i in np.flatnonzero(distances <= limit)
            if _digits(choices[i]) == digits]


def _digits(word: str) -> str:
    return "".join(filter(str.isdigit, word))


class ShardView:
    """The papers of one shard as of one moment, in key order, with its columns."""

    def __init__(self, number: int, records: dict[str, Record], texts: TextLoader,
                 texts_stamp: object, cache_dir: Path | None,
                 reuse: TextIndex | None = None) -> None:
        self.number = number
        self.keys = sorted(records)
        self.records = [records[k] for k in self.keys]
        self.texts_stamp = texts_stamp
        self._texts = texts
        self._cache_path = cache_dir / f"{number:04d}.idx" if cache_dir else None
        self._reuse = reuse
        self._index: TextIndex | None = None
        self._rows: tuple[Vocabulary, IntArray] | None = None
        self._columns: dict[str, npt.NDArray[Any]] = {}
        self._lock = threading.Lock()

    def texts(self) -> dict[str, Record]:
        """The text records of this shard (abstracts), read on demand."""
        return self._texts()

    @property
    def loaded_index(self) -> TextIndex | None:
        """The word index if it was loaded already, else the one this view was given to
        reuse: for a newer view of the same text (a chain of tag changes, none of them
        searched, still hands the index on; it is checked against the text when used)."""
        return self._index if self._index is not None else self._reuse

    def text_index(self) -> TextIndex:
        """The word index: reused, loaded from the cache or built (and cached)."""
        with self._lock:
            if self._index is None:
                self._index = self._load_or_build()
                self._reuse = None
            return self._index

    def has_index(self) -> bool:
        """Whether the word index is at hand without building it (loaded, reused, or in
        the cache: then it is loaded now)."""
        with self._lock:
            if self._index is None:
                self._index = self._reused_or_cached()
                if self._index is not None:
                    self._reuse = None
            return self._index is not None

    def shrink_from(self, before: TextIndex) -> None:
        """Take as word index ``before``, the index of this shard's text before papers
        were deleted from it (and nothing else changed), less those papers, and cache
        it: building it again took 8 s after 1,000 deletions across 100,000 papers."""
        left = set(self.keys)
        # The papers left, in the order they had: an index's ordinals are positions.
        if [key for key in before.keys if key in left] != list(self.keys):
            return
        _titles, digest = self._titles_and_digest
        index = before.without(set(before.keys) - left, digest)
        with self._lock:
            self._index, self._reuse = index, None
        if self._cache_path is not None:
            with contextlib.suppress(OSError):
                index.save(self._cache_path)

    def _load_or_build(self) -> TextIndex:
        return self._reused_or_cached() or self._build()

    @cached_property
    def _titles_and_digest(self) -> tuple[list[str], str]:
        titles = [r["title"] for r in self.records]
        return titles, digest_of(self.keys, titles, self.texts_stamp)

    def _reused_or_cached(self) -> TextIndex | None:
        _titles, digest = self._titles_and_digest
        if self._reuse is not None and self._reuse.digest == digest:
            return self._reuse
        if self._cache_path is not None:
            return TextIndex.load(self._cache_path, digest)
        return None

    def _build(self) -> TextIndex:
        titles, digest = self._titles_and_digest
        texts = self.texts()
        abstracts = [texts.get(k, {}).get("abstract", "") for k in self.keys]
        index = TextIndex.build(self.keys, titles, abstracts, digest)
        if self._cache_path is not None:
            with contextlib.suppress(OSError):  # a read-only library searches uncached
                index.save(self._cache_path)
                self._cache_path.with_suffix(".npz").unlink(missing_ok=True)  # the old format
        return index

    def rows_for(self, vocabulary: Vocabulary) -> IntArray:
        """For each word id of ``vocabulary``: its row in this shard's index, or -1."""
        with self._lock:
            if self._rows is not None and self._rows[0] is vocabulary:
                return self._rows[1]
        index = self.text_index()
        global_ids = np.fromiter(map(vocabulary.ids.__getitem__, index.vocab), dtype=np.int64,
                                 count=len(index.vocab))
        rows = np.full(len(vocabulary), -1, dtype=np.int64)
        rows[global_ids] = np.arange(len(global_ids))
        with self._lock:
            self._rows = (vocabulary, rows)
        return rows

    # ------------------------------------------------------------ columns

    def column(self, name: str) -> npt.NDArray[Any]:
        """A per-paper column (computed once): read, has_note, has_link, seq or batch."""
        found = self._columns.get(name)
        if found is None:
            n, records = len(self.records), self.records
            if name == "read":
                found = np.fromiter((bool(r.get("read")) for r in records), dtype=bool, count=n)
            elif name == "has_note":
                found = np.fromiter((bool(r.get("note", "").strip()) for r in records),
                                    dtype=bool, count=n)
            elif name == "has_link":
                found = np.fromiter((bool(r.get("links")) for r in records), dtype=bool, count=n)
            else:
                found = np.fromiter((r.get(name, 0) for r in records), dtype=np.int64, count=n)
            self._columns[name] = found
        return found

    @cached_property
    def tag_ordinals(self) -> dict[str, list[int]]:
        """Case-folded tag -> positions of the papers carrying it."""
        found: dict[str, list[int]] = {}
        for i, record in enumerate(self.records):
            for tag in record.get("tags") or ():
                found.setdefault(tag_fold(tag), []).append(i)
        return found

    @cached_property
    def state_words(self) -> dict[str, dict[int, float]]:
        """Words of tags and notes -> {position: weight} (tags and notes are sparse)."""
        found: dict[str, dict[int, float]] = {}
        for i, record in enumerate(self.records):
            tags, note = record.get("tags"), record.get("note")
            if not tags and not note:
                continue
            for tag in tags or ():
                for token in {tag.casefold(), *index_words(tag)}:
                    found.setdefault(token, {})[i] = TAG_WEIGHT
            for token in set(index_words(note or "")):
                docs = found.setdefault(token, {})
                docs[i] = max(docs.get(i, 0.0), NOTE_WEIGHT)
        return found


class Catalog:
    """Every paper's small record in a fixed order, plus lazily built search columns."""

    def __init__(self, views: Sequence[ShardView], version: int = 0,
                 previous: Catalog | None = None) -> None:
        self.views = tuple(views)
        self.version = version
        self.offsets: list[int] = []
        self.keys: list[str] = []
        self.records: list[Record] = []
        for view in self.views:
            self.offsets.append(len(self.keys))
            self.keys.extend(view.keys)
            self.records.extend(view.records)
        # What a vocabulary can be reused from: the last catalog that built one, and the
        # indexes it built it from (not the catalogs in between: a chain of them, one per
        # change made while no word was searched, would stay in memory).
        self._vocabulary_source: tuple[Vocabulary, list[TextIndex | None]] | None = None
        if previous is not None:
            found = previous.__dict__.get("text_vocabulary")
            self._vocabulary_source = previous._vocabulary_source if found is None else \
                (found, [view.loaded_index for view in previous.views])
        if previous is not None and "ordinals" in previous.__dict__ and previous.keys == self.keys:
            # The same papers in the same order (a tag, a note): share the mapping, which
            # takes about 30 ms to build at 100,000 papers.
            self.__dict__["ordinals"] = previous.__dict__["ordinals"]
        self._lock = threading.Lock()
        self._word_memo: OrderedDict[tuple[object, ...], tuple[FloatArray, BoolArray]] = OrderedDict()

    def views_without_index(self) -> list[ShardView]:
        """The views of the shards whose word index is neither loaded nor cached (those
        cached are loaded now)."""
        return [view for view in self.views if not view.has_index()]

    def __len__(self) -> int:
        return len(self.keys)

    @cached_property
    def ordinals(self) -> dict[str, int]:
        """Key -> position (shared with the previous catalog while the keys are the same)."""
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
        view, _ = self.view_of(ordinal)
        key = self.keys[ordinal]
        return record_to_paper(key, self.records[ordinal], view.texts().get(key))

    # ------------------------------------------------------------ columns

    def _column(self, name: str) -> npt.NDArray[Any]:
        parts = [view.column(name) for view in self.views]
        return np.concatenate(parts) if parts else np.empty(0)

    @cached_property
    def read(self) -> BoolArray:
        """Read state per paper."""
        return self._column("read").astype(bool)

    @cached_property
    def has_note(self) -> BoolArray:
        """Whether each paper has a non-blank note."""
        return self._column("has_note").astype(bool)

    @cached_property
    def has_link(self) -> BoolArray:
        """Whether each paper has at least one link."""
        return self._column("has_link").astype(bool)

    @cached_property
    def newest_first(self) -> IntArray:
        """Every ordinal in the default order: newest import first, each import in the
        order its papers were listed."""
        return np.lexsort((self._column("seq"), -self._column("batch"))).astype(np.int64)

    @cached_property
    def title_order(self) -> IntArray:
        """Every ordinal by title, alphabetically regardless of case and accents
        (``Évaluation`` among the E's, not after Z)."""
        return np.array(sorted(range(len(self.records)), key=lambda i: fold(self.records[i]["title"])),
                        dtype=np.int64)

    def tag_mask(self, tag: str) -> BoolArray:
        """Papers carrying ``tag`` (case-insensitively)."""
        mask = np.zeros(len(self.keys), dtype=bool)
        wanted = tag_fold(tag)
        for view, offset in zip(self.views, self.offsets, strict=True):
            found = view.tag_ordinals.get(wanted)
            if found:
                mask[np.array(found, dtype=np.int64) + offset] = True
        return mask

    def key_mask(self, prefix: str) -> BoolArray:
        """Papers whose key starts with ``prefix`` (case-insensitively)."""
        wanted = prefix.casefold()
        return np.fromiter((k.casefold().startswith(wanted) for k in self.keys), dtype=bool,
                           count=len(self.keys))

    # ------------------------------------------------------------ words

    @cached_property
    def text_vocabulary(self) -> Vocabulary:
        """Every word of every title, abstract and key (loads the word indexes).

        Reused from the previous catalog when no shard's text changed.
        """
        indexes = [view.text_index() for view in self.views]
        source, self._vocabulary_source = self._vocabulary_source, None
        if source is not None:
            vocabulary, old = source
            if len(old) == len(indexes) and all(a is b for a, b in zip(old, indexes, strict=True)):
                return vocabulary
        tokens: set[str] = set()
        for index in indexes:
            tokens.update(index.vocab)
        return Vocabulary(list(tokens))

    @cached_property
    def _state(self) -> tuple[Vocabulary, list[tuple[IntArray, FloatArray]]]:
        """Words of tags and notes: a vocabulary and, per word id, (ordinals, weights)."""
        merged: dict[str, tuple[list[IntArray], list[FloatArray]]] = {}
        for view, offset in zip(self.views, self.offsets, strict=True):
            for token, docs in view.state_words.items():
                ords, weights = merged.setdefault(token, ([], []))
                ords.append(np.fromiter(docs.keys(), dtype=np.int64, count=len(docs)) + offset)
                weights.append(np.fromiter(docs.values(), dtype=np.float32, count=len(docs)))
        vocabulary = Vocabulary(list(merged))
        postings = [(np.concatenate(merged[t][0]), np.concatenate(merged[t][1]))
                    for t in vocabulary.tokens]
        return vocabulary, postings

    def load_indexes(self) -> None:
        """Load (or build) every shard's word index and the vocabularies now, and
        prepare typo lookups for common word lengths (what the TUI does at start, so
        that no keystroke pays for it)."""
        with gc_paused():  # long-lived, acyclic objects: collector passes are wasted
            vocabulary = self.text_vocabulary
            for view in self.views:
                view.rows_for(vocabulary)
            _ = self._state, self.newest_first, self.read, self.ordinals
            vocabulary.prepare(range(5, 16))

    def word_splits(self, word: str) -> list[tuple[str, str]]:
        """The ways ``word`` is two words of the library written as one (``zeroshot``:
        zero and shot, ``gpt4``: gpt and 4), each part three letters or more, or a number;
        two letters when ``word`` is no word of the library (``incontext``: in and
        context).

        A word of the library is not split at a word of two letters nor at a function
        word (:data:`~papershelf.text.STOPWORDS`): nearly every paper holds ``in`` and
        ``to``, or ``can`` and ``not``, so ``into`` and ``cannot`` would match them all.
        Nor is a word longer than :data:`SPLIT_MAX` (a pasted run of letters)."""
        if len(word) > SPLIT_MAX:
            return []
        vocabularies = [vocabulary.ids for vocabulary in self._vocabularies]
        known = any(word in v for v in vocabularies)
        shortest = 3 if known else 2
        return [(head, tail) for head, tail in ((word[:i], word[i:]) for i in range(shortest, len(word)))
                if (len(tail) >= shortest or tail.isdigit())
                and not (known and (head in STOPWORDS or tail in STOPWORDS))
                and any(head in v for v in vocabularies)
                and any(tail in v for v in vocabularies)]

    def word_scores(self, word: str, exact: bool = False,
                    keep: tuple[int, int] = (0, 0)) -> tuple[FloatArray, BoolArray]:
        """For a query word: each paper's best score (field weight x match quality; 0
        where it does not occur) and whether it occurs in the title. ``exact`` turns
        off prefix and typo matching; ``keep`` keeps letters at its start and end from
        typos (:meth:`Vocabulary.match`).

        The arrays are read-only: the last :data:`WORD_MEMO` words' are remembered, so
        that each keystroke of a query scores only the word being typed (the catalog
        is replaced when the library changes).
        """
        return self._remembered((word, exact, keep), lambda: self._word_scores(word, exact, keep))

    def joined_scores(self, head: str, tail: str, keep: tuple[int, int] = (0, 0)
                      ) -> tuple[FloatArray, BoolArray]:
        """For two query words typed apart, the scores (as :meth:`word_scores`) each has
        where the library holds them joined as one word (``language bind``:
        LanguageBind), ``keep`` as for the joined word. A typo counts once, shared by
        the two (:func:`_joined_match`): ``langauge bind`` found LanguageBind as if both
        words held it, and ranked it below a title holding Language and Binding apart.
        Remembered as words are."""
        return self._remembered(("joined", head, tail, keep), lambda: self._gathered(
            *(_joined_match(vocabulary, head, tail, keep) for vocabulary in self._vocabularies)))

    def _remembered(self, memo_key: tuple[object, ...],
                    compute: Callable[[], tuple[FloatArray, BoolArray]]) -> tuple[FloatArray, BoolArray]:
        """What ``compute`` returns, made read-only, remembered under ``memo_key`` for
        the last :data:`WORD_MEMO` lookups."""
        with self._lock:
            found = self._word_memo.get(memo_key)
            if found is not None:
                self._word_memo.move_to_end(memo_key)
                return found
        found = compute()
        for array in found:
            array.flags.writeable = False
        with self._lock:
            self._word_memo[memo_key] = found
            while len(self._word_memo) > WORD_MEMO:
                self._word_memo.popitem(last=False)
        return found

    def _word_scores(self, word: str, exact: bool,
                     keep: tuple[int, int]) -> tuple[FloatArray, BoolArray]:
        """:meth:`word_scores`, computed."""
        return self._gathered(*(_exact(vocabulary, word) if exact else vocabulary.match(word, keep)
                                for vocabulary in self._vocabularies))

    @property
    def _vocabularies(self) -> tuple[Vocabulary, Vocabulary]:
        """The words of the text (titles, abstracts, keys), and of the tags and notes."""
        return self.text_vocabulary, self._state[0]

    def _gathered(self, text: tuple[IntArray, FloatArray],
                  state: tuple[IntArray, FloatArray]) -> tuple[FloatArray, BoolArray]:
        """Each paper's best score and whether it is in the title, for the words of
        the text vocabulary and of the tags and notes' (ids, each with a quality): one
        vectorised gather per shard, however many words."""
        n = len(self.keys)
        scores = np.zeros(n, dtype=np.float32)
        in_title = np.zeros(n, dtype=bool)
        vocabulary = self.text_vocabulary
        ids, quality = text
        if len(ids):
            for view, offset in zip(self.views, self.offsets, strict=True):
                rows = view.rows_for(vocabulary)[ids]
                present = rows >= 0
                if not present.any():
                    continue
                docs, bits, origin = view.text_index().gather(rows[present])
                ordinals = docs.astype(np.int64) + offset
                np.maximum.at(scores, ordinals, _WEIGHT_BY_BITS[bits] * quality[present][origin])
                in_title[ordinals[(bits & TITLE) != 0]] = True
        postings = self._state[1]
        for token_id, q in zip(*state, strict=True):
            ords, weights = postings[token_id]
            np.maximum.at(scores, ords, weights * q)
        return scores, in_title


def _joined_match(vocabulary: Vocabulary, head: str, tail: str,
                  keep: tuple[int, int]) -> tuple[IntArray, FloatArray]:
    """The words of ``vocabulary`` matching ``head + tail`` (:meth:`Vocabulary.match`),
    each with its quality for the two words typed, the mean of theirs: whole (1) for the
    one the word found holds as typed (it starts with ``head``, or ends with ``tail``),
    the match's for the other, where the typo is (or the rest of the word, being typed:
    ``language bin``). A gap between the two (``languag bind``) counts as a word being
    typed does."""
    ids, quality = vocabulary.match(head + tail, keep)
    prefix = np.float32(_PREFIX_QUALITY)  # (as the qualities are held)
    pair = quality.copy()
    pair[quality == prefix] = (1 + prefix) / 2  # (words starting with head + tail)
    for n in np.flatnonzero(quality < prefix).tolist():  # (typos: a few words)
        token = vocabulary.tokens[int(ids[n])]
        starts, ends = token.startswith(head), token.endswith(tail)
        if starts or ends:
            pair[n] = (1 + (prefix if starts and ends else quality[n])) / 2
    return ids, pair


def _exact(vocabulary: Vocabulary, word: str) -> tuple[IntArray, FloatArray]:
    found = vocabulary.ids.get(word)
    if found is None:
        return _EMPTY_INT, _EMPTY_FLOAT
    return np.array([found], dtype=np.int64), np.ones(1, dtype=np.float32)
