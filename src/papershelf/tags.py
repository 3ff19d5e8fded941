"""Tag rules: which tags are valid, and adding and removing them case-insensitively."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from papershelf.errors import UsageError, quoted
from papershelf.text import fold, is_utf8

#: A ``;`` too: a ``.bib``'s ``keywords`` may be split at it, so such a tag would not
#: come back from an export.
_TAG_FORBIDDEN = re.compile(r"[\s,;\"'{}\[\]\\\x00-\x1f\x7f-\x9f]")


def tag_problem(tag: str) -> str | None:
    """Why ``tag`` is not a valid tag, or ``None`` when it is."""
    if not tag:
        return "a tag cannot be empty"
    if not is_utf8(tag):
        return f"tag {quoted(tag.encode('utf-8', 'replace').decode())} is not UTF-8 text"
    if tag.startswith("-"):
        return f"tag {quoted(tag)} cannot start with '-'"
    if tag.startswith("#"):
        # Tags show with a "#" before them, so one is typed as often as not; stored,
        # "##foo" would show, and tag:foo would not find it.
        meant = tag.lstrip("#")
        return f"tag {quoted(tag)} cannot start with '#'" + \
            (f": it only marks a tag on screen, type {quoted(meant)}" if meant else "")
    if _TAG_FORBIDDEN.search(tag):
        return (f"tag {quoted(tag)} cannot contain spaces, commas, semicolons, quotes, brackets, "
                "backslashes or control characters")
    if not tag.isprintable() and (any(_invisible(ch) for ch in tag)
                                  or any(map(_joins_nothing, _JOINERS.finditer(tag)))):
        # A zero-width space, soft hyphen or direction mark: the tag would look like
        # another one (or like none) and come back from an export without it.
        return (f"tag {quoted(tag)} cannot contain invisible characters (zero-width "
                "spaces, soft hyphens, direction marks, a zero-width joiner at an end or "
                "beside ASCII or punctuation)")
    if len(tag) > 64:
        return f"tag {quoted(tag)} is longer than 64 characters"
    return None


def tag_named(tag: str, held: Callable[[str], bool]) -> str:
    """``tag`` as typed to name a tag that papers have (to remove, rename or filter by
    it): itself when ``held(tag)`` says a paper has it, else without the ``#`` that marks
    a tag on screen, which a tag copied from there keeps. (No new tag may start with
    ``#``, :func:`tag_problem`; versions before 2026-11-24 stored such tags, and one is
    named as it is.)"""
    named = tag
    while named.startswith("#") and len(named) > 1 and not held(named):
        named = named[1:]  # one at a time: "##foo", as "#foo" of old shows, names "#foo"
    return named


def spelled_as(tag: str, tags: Iterable[object]) -> str:
    """``tag`` as ``tags`` spell it (the same tag as :func:`tag_fold` compares them:
    whatever its case, an accent typed apart or not), else as given."""
    folded = tag_fold(tag)
    return next((t for t in tags if isinstance(t, str) and tag_fold(t) == folded), tag)


def check_tag(tag: str) -> None:
    """Raise :class:`~papershelf.errors.UsageError` when ``tag`` breaks the tag rules
    (:func:`tag_problem`): a bad value given to a command, as a bad choice is."""
    problem = tag_problem(tag)
    if problem:
        raise UsageError(problem, "tags are single words like to-read or vlp")


#: Format characters that are part of what shows: the zero-width joiner and non-joiner
#: (words of Persian or Hindi, emoji such as 👩‍💻 are spelled with them; page-dump lines
#: keep them too), the tag characters of subdivision flags (🏴 and a region's code), and
#: the Arabic signs drawn over the digits after them.
_SHOWN_FORMAT = re.compile("[\u200c\u200d\U000e0020-\U000e007f\u0600-\u0605\u06dd\u070f"
                           "\u0890\u0891\u08e2\U000110bd\U000110cd]")


_JOINERS = re.compile("[\u200c\u200d]+")


def _joins_nothing(match: re.Match[str]) -> bool:
    """Whether a run of zero-width joiners or non-joiners (a :data:`_JOINERS` match)
    joins nothing, and so is only invisible: at an end, or beside an ASCII character or
    a punctuation mark or space beyond it (``coder`` and a joiner looks like ``coder``;
    so does ``学习`` and a joiner before a full-width comma). Beside letters, marks and
    symbols they join (Persian words, 👩‍💻)."""
    text, start, end = match.string, match.start(), match.end()
    return start == 0 or end == len(text) or _no_join_beside(text[start - 1]) \
        or _no_join_beside(text[end])


def _no_join_beside(ch: str) -> bool:
    """Whether a joiner beside ``ch`` joins nothing there."""
    return ch.isascii() or unicodedata.category(ch)[0] in "PZ"


def _invisible(ch: str) -> bool:
    """Whether ``ch`` is an invisible (format) character, but for :data:`_SHOWN_FORMAT`."""
    return unicodedata.category(ch) == "Cf" and not _SHOWN_FORMAT.match(ch)


def drop_invisible(text: str) -> str:
    """``text`` without the invisible characters :func:`tag_problem` refuses."""
    if text.isprintable():
        return text
    shown = "".join(ch for ch in text if not _invisible(ch))
    return _JOINERS.sub(lambda match: "" if _joins_nothing(match) else match.group(0), shown)


def tag_fold(tag: str) -> str:
    """``tag`` as tags are compared: case-folded and canonically composed, so that
    ``café`` typed with a combining accent (as a macOS file name holds it) is ``café``."""
    if tag.isascii():
        return tag.lower()
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", tag).casefold())


def merge_tags(tags: Iterable[str], extra: Iterable[str]) -> tuple[str, ...]:
    """``tags`` plus those of ``extra`` not already present (:func:`tag_fold`)."""
    out = list(tags)
    seen = {tag_fold(t) for t in out}
    for tag in extra:
        if (folded := tag_fold(tag)) not in seen:
            seen.add(folded)
            out.append(tag)
    return tuple(out)


def without_tag(tags: Iterable[str], tag: str) -> tuple[str, ...]:
    """``tags`` minus ``tag`` (:func:`tag_fold`)."""
    wanted = tag_fold(tag)
    return tuple(t for t in tags if tag_fold(t) != wanted)


def count_tags(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Every tag of ``records`` (papers' small records) with the number of them
    carrying it, tags that differ only in case counted as one (as first seen), sorted
    by name regardless of case and accents."""
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    for record in records:
        for tag in (record.get("tags") or ()):
            folded = tag_fold(tag)
            names.setdefault(folded, tag)
            counts[folded] = counts.get(folded, 0) + 1
    return {names[f]: counts[f] for f in sorted(counts, key=lambda f: (fold(f), f))}
