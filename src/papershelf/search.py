"""The query language, shared by ``papershelf list`` and the TUI's filter box.

``transfomer pretrain "exact phrase" tag:vlp -tag:done is:unread has:note key:clip``

* words match typo-tolerantly and by prefix against title, abstract, tags, note and
  key; every word must match; ``-word`` excludes papers matching it;
* ``"phrases"`` match literally (case- and accent-insensitive); papers holding a short
  word ending in ``+`` or ``#`` (``C++``, ``C#``) as written rank first;
* filters: ``tag:NAME``, ``is:read``, ``is:unread``, ``has:note``, ``has:link``,
  ``key:PREFIX``; a leading ``-`` negates any of them.

Results rank title hits first, then by score (field weight x match quality), then
newest first. An empty query lists everything, newest first.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from papershelf.catalog import Catalog, typo_limit
from papershelf.tags import tag_named
from papershelf.text import fold, letter_pairs, long_runs, symbol_names, words

Sort = Literal["relevance", "added", "title"]
FILTERS = ("tag", "is", "has", "key")
#: Fields other reference managers filter by (``author:smith`` in pubs and papis), each
#: to the filter it likely means here, if one does: such a term is searched as its
#: words, which a notice says. (Other ``name:`` terms, ``arXiv:2101.00001``, are words
#: as they are, without a notice.)
_OTHER_TOOLS_FIELDS: dict[str, str | None] = {
    **dict.fromkeys(("author", "authors", "title", "year", "journal", "venue", "abstract",
                     "keyword", "keywords", "booktitle", "publisher", "doi")),
    "tags": "tag:", "keys": "key:", "read": "is:read", "unread": "is:unread",
    "note": "has:note", "notes": "has:note"}
_IS_VALUES = ("read", "unread")
_HAS_VALUES = ("note", "link")
_TERM = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))'
)
_SPACE = re.compile(r"\s+")
#: How a word typed joined scores in a paper holding only its two parts (anywhere, maybe
#: apart): below the word itself in the same field (1), above a prefix of it (0.85).
_SPLIT_QUALITY = 0.9


@dataclass(frozen=True, slots=True)
class Filter:
    """``field:value``, possibly negated."""

    field: str
    value: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query. ``problems`` lists parts that were ignored, and why; ``ignored``
    the terms with no letter or digit (``🎉``, ``&``), which hold no word to match."""

    text: str = ""
    words: tuple[str, ...] = ()
    #: What each of :attr:`words` counts for in ranking: 1, but a share of 1 for each
    #: pair of letters of a run of Chinese or Japanese letters typed (医学图像分割 is one
    #: word, not five); empty: 1 each.
    weights: tuple[float, ...] = ()
    excluded: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded_phrases: tuple[str, ...] = ()
    #: Negated terms of several words (``-zero-shot``, ``-bert模型``), each its words
    #: and its long runs (:func:`~papershelf.text.long_runs`): a paper is left out when
    #: it holds every word of one and its runs as written, as ``zero-shot`` finds it.
    excluded_terms: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    filters: tuple[Filter, ...] = ()
    problems: tuple[str, ...] = field(default=())
    ignored: tuple[str, ...] = ()
    #: Terms naming a field other tools filter by (:data:`_OTHER_TOOLS_FIELDS`), searched
    #: as words here.
    as_words: tuple[str, ...] = ()
    #: Short names ending in ``+`` or ``#`` (``c++``, folded:
    #: :func:`~papershelf.text.symbol_names`): their words match (:attr:`exact`), and the
    #: papers holding them as written rank first (the others stay listed: ``CD4+`` is
    #: also written ``CD4(+)`` and ``CD4^+``, and a ``.bib``'s ``C$\sharp$`` is ``C♯``).
    boosts: tuple[str, ...] = ()
    #: The words of those names (``na`` of ``Na+``, also negated): matched exactly, not
    #: as a prefix (``Natural``) or with typos.
    exact: tuple[str, ...] = ()

    @property
    def notices(self) -> tuple[str, ...]:
        """One line for each of :attr:`ignored` and :attr:`as_words`."""
        return tuple(f"{term} has no letter or digit: ignored" for term in self.ignored) + \
            tuple(_as_words_notice(term) for term in self.as_words)

    @property
    def empty(self) -> bool:
        """Whether nothing is left to match (a blank query, or only ignored terms):
        every paper matches."""
        return not (self.words or self.excluded or self.phrases or self.excluded_phrases
                    or self.excluded_terms or self.filters)

    @property
    def looks_up_words(self) -> bool:
        """Whether the query needs the word indexes (every term but filters)."""
        return bool(self.words or self.excluded or self.phrases or self.excluded_phrases
                    or self.excluded_terms)

    @property
    def ranks(self) -> bool:
        """Whether the query has words or phrases (so results rank by relevance)."""
        return bool(self.words or self.phrases)

    @classmethod
    def parse(cls, text: str) -> Query:
        """Parse ``text``; never raises (see :attr:`problems`)."""
        found: dict[str, list[str]] = {"words": [], "excluded": [], "phrases": [],
                                       "excluded_phrases": []}
        excluded_terms: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        weights: dict[str, float] = {}
        filters: list[Filter] = []
        problems: list[str] = []
        ignored: list[str] = []
        as_words: list[str] = []
        boosts: list[str] = []
        exact: list[str] = []
        for match in _TERM.finditer(text):
            negated = bool(match["neg"])
            name = (match["field"] or "").lower()
            phrase, value = match["phrase"], match["word"]
            raw = phrase if phrase is not None else value or ""
            if name in FILTERS:
                problem = _filter_problem(name, raw)
                if problem:
                    problems.append(problem)
                else:
                    filters.append(Filter(name, raw, negated))
                continue
            if not name and value and value.endswith(":") and value[:-1].lower() in FILTERS:
                problems.append(f"{value} needs a value")
                continue
            if name:  # an unknown field: search for it as words
                raw = f"{match['field']}:{raw}"
                if name in _OTHER_TOOLS_FIELDS:
                    as_words.append(match.group(0))
            if phrase is not None and not name:
                if _normal(phrase).strip():
                    found["excluded_phrases" if negated else "phrases"].append(phrase.strip())
                elif phrase.strip():  # (only characters no one sees: a soft hyphen)
                    ignored.append(match.group(0))
                continue
            found_words = words(raw)
            if not found_words and raw.strip("-"):  # a lone "-": a negation being typed
                ignored.append(match.group(0))
            # 東京都: its pairs 東京 and 京都 side by side, not apart
            runs = long_runs(raw)
            names = symbol_names(fold(raw))  # C++, Na+ (Ｃ＋＋ from an IME too)
            exact.extend(word for name in names for word in words(name))
            if negated and len(found_words) > 1:
                # -zero-shot, -bert模型: not the papers holding any one of its words
                excluded_terms.append((tuple(dict.fromkeys(found_words)), tuple(runs)))
                continue
            found["excluded" if negated else "words"].extend(found_words)
            if not negated:
                shares: dict[str, float] = {}
                for run in runs:  # its pairs, each once (いろいろ: いろ and ろい, a half each)
                    pairs = set(letter_pairs(run))
                    for pair in pairs:
                        shares[pair] = max(shares.get(pair, 0.0), 1 / len(pairs))
                for word in found_words:
                    weights[word] = max(weights.get(word, 0.0), shares.get(word, 1.0))
                boosts.extend(names)
            found["excluded_phrases" if negated else "phrases"].extend(runs)
        return cls(
            text=text,
            words=tuple(dict.fromkeys(found["words"])),
            weights=tuple(weights[word] for word in dict.fromkeys(found["words"])),
            excluded=tuple(dict.fromkeys(found["excluded"])),
            phrases=tuple(found["phrases"]),
            excluded_phrases=tuple(found["excluded_phrases"]),
            excluded_terms=tuple(dict.fromkeys(excluded_terms)),
            filters=tuple(filters),
            problems=tuple(problems),
            ignored=tuple(dict.fromkeys(ignored)),
            as_words=tuple(dict.fromkeys(as_words)),
            boosts=tuple(dict.fromkeys(boosts)),
            exact=tuple(dict.fromkeys(exact)),
        )


def _as_words_notice(term: str) -> str:
    """What a notice says of ``term`` (``author:smith``), searched as words."""
    name = term.lstrip("-").split(":", 1)[0].lower()
    meant = _OTHER_TOOLS_FIELDS[name]
    hint = f"did you mean {meant}?" if meant else "filters are tag: is: has: key:"
    if name.startswith("author"):  # (a .bib paper's authors are shown, so looked for)
        hint = f"authors are not searched; {hint}"
    return f"{term}: there is no {name}: filter, so it is searched as words ({hint})"


def _filter_problem(name: str, value: str) -> str | None:
    if not value:
        return f"{name}: needs a value"
    if name == "is" and value.lower() not in _IS_VALUES:
        return f"is:{value} is not a filter (use is:read or is:unread)"
    if name == "has" and value.lower().rstrip("s") not in _HAS_VALUES:
        return f"has:{value} is not a filter (use has:note or has:link)"
    return None


@dataclass(frozen=True, slots=True)
class Results:
    """Matching papers as ordinals into the catalog, best first."""

    catalog: Catalog
    ordinals: npt.NDArray[np.int64]
    query: Query

    def __len__(self) -> int:
        return len(self.ordinals)

    def keys(self) -> list[str]:
        """The keys of the results, in order."""
        return [self.catalog.keys[i] for i in self.ordinals]

    def row_of(self, key: str) -> int | None:
        """Where ``key`` is among the results, ``None`` if it is not."""
        where = self.catalog.ordinals.get(key)
        if where is None:
            return None
        found = (self.ordinals == where).nonzero()[0]
        return int(found[0]) if len(found) else None

    def row_after(self, before: Results, row: int) -> int | None:
        """Where these results list the first paper after ``row`` of ``before`` (earlier
        results) that they still hold, or else the last one before it; ``None``: none.
        A change that took the paper at ``row`` out of the list (deleted, or a read mark
        under ``is:unread``) leaves the cursor on the paper that came after it."""
        where = np.full(len(self.catalog), -1, dtype=np.int64)
        where[self.ordinals] = np.arange(len(self.ordinals))
        if before.catalog.keys == self.catalog.keys:  # the same papers (a read mark, a tag)
            after = where[before.ordinals[row + 1:]]
            earlier = where[before.ordinals[:row][::-1]]
            found = np.concatenate((after[after >= 0], earlier[earlier >= 0]))
            return int(found[0]) if len(found) else None
        ordinal_of = self.catalog.ordinals.get  # papers deleted: few, as a rule
        for rows in (range(row + 1, len(before)), range(min(row, len(before)) - 1, -1, -1)):
            for i in rows:
                ordinal = ordinal_of(before.catalog.keys[before.ordinals[i]])
                if ordinal is not None and where[ordinal] >= 0:
                    return int(where[ordinal])
        return None


def search(catalog: Catalog, query: Query | str, sort: Sort | None = None,
           limit: int | None = None, *, ranked: bool = True) -> Results:
    """Evaluate ``query`` over ``catalog``.

    ``sort`` defaults to relevance when the query has words or phrases, else to
    newest first. Not ``ranked``: the results in the catalog's order, for a change to
    all of them (ranking 100,000 papers by age reads every record: 70 ms).
    """
    if isinstance(query, str):
        query = Query.parse(query)
    n = len(catalog)
    mask = np.ones(n, dtype=bool)
    for flt in query.filters:
        hits = _filter_mask(catalog, flt)
        mask &= ~hits if flt.negated else hits
    score = np.zeros(n, dtype=np.float32)
    title_hits = np.zeros(n, dtype=np.float64)
    scored = [catalog.word_scores(word, exact=word in query.exact) for word in query.words] \
        if mask.any() else []
    # Two words typed apart may be one word in the paper ("language bind" for
    # LanguageBind): a paper holding the joined word counts as holding both. Typos
    # must not erase a short one of them (中 bert would find BERT): they are kept out
    # of it (re identifcation still finds Reidentification). Not the words of a name
    # (C++11 is not C11, nor Na+ K+ Naked).
    for i in range(len(scored) - 1):
        head, tail = query.words[i], query.words[i + 1]
        if head in query.exact or tail in query.exact:
            continue
        typos = typo_limit(len(head) + len(tail))
        keep = (len(head), 0) if len(head) <= typos else (0, len(tail)) if len(tail) <= typos \
            else (0, 0)
        joined, joined_title = catalog.joined_scores(head, tail, keep)
        if joined.any():  # (the scores are read-only: combine into new arrays)
            for j in (i, i + 1):
                scored[j] = (np.maximum(scored[j][0], joined), scored[j][1] | joined_title)
    # One word typed may be two in the paper ("zeroshot" for zero-shot, "gpt4" for GPT-4):
    # a paper holding both parts holds it, as if they were typed apart.
    for i, word in enumerate(query.words[:len(scored)]):
        for head, tail in [] if word in query.exact else catalog.word_splits(word):
            (head_score, head_title), (tail_score, tail_title) = (
                catalog.word_scores(head, exact=True), catalog.word_scores(tail, exact=True))
            both = np.minimum(head_score, tail_score) * _SPLIT_QUALITY
            if both.any():
                scored[i] = (np.maximum(scored[i][0], both),
                             scored[i][1] | (head_title & tail_title))
    weights = query.weights or (1.0,) * len(query.words)
    for (word_score, in_title), weight in zip(scored, weights[:len(scored)], strict=True):
        mask &= word_score > 0
        score += word_score * weight
        title_hits += in_title * weight
    for word in query.excluded:
        word_score, _ = catalog.word_scores(word, exact=word in query.exact)
        mask &= word_score == 0
    for term_words, runs in query.excluded_terms:
        holds = mask.copy()
        for word in term_words:
            holds &= catalog.word_scores(word, exact=word in query.exact)[0] > 0
        for run in runs:
            holds &= _phrase_mask(catalog, run, holds)
        mask &= ~holds
    for phrase in query.phrases:
        mask &= _phrase_mask(catalog, phrase, mask)
    for phrase in query.excluded_phrases:
        mask &= ~_phrase_mask(catalog, phrase, mask)
    sort = sort or ("relevance" if query.ranks else "added")
    if not ranked:
        ordered = np.flatnonzero(mask)
    elif sort == "title":
        ordered = _kept(catalog.title_order, mask)
    else:
        ordered = _kept(catalog.newest_first, mask)
        if sort == "relevance" and query.ranks:
            for name in query.boosts:  # C++ as written above every paper with only a C
                # (the index holds such names whole; a version may follow: C++11 for C++)
                title_hits = title_hits + (catalog.word_scores(name)[0] > 0) * (sum(weights) + 1)
            ordered = by_relevance(ordered, score, title_hits)
    if limit is not None:
        ordered = ordered[:limit]
    return Results(catalog, ordered.astype(np.int64), query)


def _kept(order: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """The ordinals of ``order`` that ``mask`` keeps, in that order (a filter of a
    precomputed order: no sort)."""
    return order[mask[order]]


def by_relevance(ordinals: npt.NDArray[np.int64], score: npt.NDArray[np.float32],
                 title_hits: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """``ordinals`` (newest first) best first: the most title hits (to 6 decimals: the
    shares of a run add up to 1 within a rounding error), then the highest score; ties
    stay newest first. Scores and title hits are 0 or more, as :func:`search` makes them.

    What a ``np.lexsort`` of the three keys gives, as one stable sort of one integer
    key: the title hits in millionths above the score's bits (a float of 0 or more sorts
    as its bits do). 3 ms instead of 10 for 58,000 results, which typing a common word
    finds at every keystroke."""
    titles = np.rint(title_hits[ordinals] * 1e6).astype(np.int64)  # how np.round(x, 6) rounds
    scores = (score[ordinals] + np.float32(0)).view(np.uint32).astype(np.int64)  # (-0.0 is 0.0)
    if len(titles) and int(titles.max()) >> 31:  # too many words to fit (a pasted abstract)
        return ordinals[np.lexsort((-scores, -titles))]
    return ordinals[np.argsort(-((titles << 32) | scores), kind="stable")]


def _filter_mask(catalog: Catalog, flt: Filter) -> npt.NDArray[np.bool_]:
    value = flt.value.lower()
    if flt.field == "tag":
        return catalog.tag_mask(tag_named(flt.value, lambda tag: bool(catalog.tag_mask(tag).any())))
    if flt.field == "key":
        return catalog.key_mask(flt.value)
    if flt.field == "is":
        return catalog.read if value == "read" else ~catalog.read
    return catalog.has_note if value.rstrip("s") == "note" else catalog.has_link


def _normal(text: str) -> str:
    return _SPACE.sub(" ", fold(text))


def _phrase_mask(catalog: Catalog, phrase: str, within: npt.NDArray[np.bool_]
                 ) -> npt.NDArray[np.bool_]:
    """Papers (among ``within``) whose title, abstract, note or tags hold ``phrase``."""
    wanted = _normal(phrase).strip()
    if not wanted:  # (every text holds it; the search below would never end)
        return within.copy()
    candidates = within.copy()
    for token in words(phrase):
        scores, _in_title = catalog.word_scores(token, exact=True)
        candidates &= scores > 0
    out = np.zeros(len(catalog), dtype=bool)
    # ASCII text (the usual case) is lowered (its fold) and searched all at once for
    # the phrase with any whitespace between its words: what collapsing the whitespace
    # of each paper's folded text and looking for the phrase in it finds, without
    # building those strings paper by paper.
    pattern = re.compile(r"\s+".join(map(re.escape, wanted.split(" ")))) \
        if wanted.isascii() and "\0" not in wanted else None
    plain: list[int] = []
    texts: list[str] = []
    found = np.flatnonzero(candidates)
    for view, offset in zip(catalog.views, catalog.offsets, strict=True):
        lo, hi = np.searchsorted(found, [offset, offset + len(view.keys)])
        if lo == hi:
            continue
        abstracts = view.texts()  # once per shard, not per paper
        for i in found[lo:hi].tolist():
            abstract = abstracts.get(catalog.keys[i], {}).get("abstract", "")
            haystack = " ".join(_fields(catalog.records[i], abstract))
            if pattern is not None and haystack.isascii():
                plain.append(i)
                texts.append(haystack)
            elif wanted in _normal(haystack):
                out[i] = True
    if pattern is not None and texts:
        joined = "\0".join(texts).lower()  # a match cannot cross a NUL: the phrase holds none
        starts = list(itertools.accumulate((len(t) + 1 for t in texts[:-1]), initial=0))
        pos = 0
        while (match := pattern.search(joined, pos)) is not None:
            n = bisect.bisect_right(starts, match.start()) - 1
            out[plain[n]] = True
            pos = starts[n + 1] if n + 1 < len(starts) else len(joined)
    return out


def _fields(record: dict[str, object], abstract: str) -> Iterable[str]:
    yield str(record.get("title", ""))
    yield abstract
    yield str(record.get("note", ""))
    tags = record.get("tags") or []
    assert isinstance(tags, list)
    yield " ".join(str(t) for t in tags)
