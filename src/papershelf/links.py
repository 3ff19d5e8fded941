"""Links in prose: where an http(s) address starts and ends in a paper's text."""

from __future__ import annotations

import re
import unicodedata

#: What stops the ASCII of a link (``http://`` or ``https://`` and what follows): a space,
#: what a URL must escape (``<>"{}\|^```), or a character beyond ASCII, where
#: :func:`_link_end` decides. Written as what it is not, the rest of ASCII: the class
#: ``[\s<>"{}\\|^`\x80-\U0010ffff]`` says the same, but compiles into a table of every
#: plane, 5 ms at the start of every command.
_URL_STOP = re.compile(r"[^\x00-\x08\x0e-\x1b!#-;=?-\[\]_a-z~\x7f]")
#: Punctuation beyond ASCII that a URL holds between two letters or digits: the en dash
#: of ``Kullback–Leibler_divergence``, Catalan's middle dot (``Intel·ligència``), hyphens.
_URL_INNER = frozenset("\u2013\u00b7\u2010\u2011")
#: The middle dot between the parts of a name written in katakana (``トム・ハンクス``),
#: which a URL holds only there: after a link in prose it lists (``https://x/data・コード``).
_KATAKANA_DOTS = frozenset("\u30fb\uff65")
_URL_TRAILING = ".,;:!?'\""


def extract_links(text: str) -> tuple[str, ...]:
    """http(s) links in ``text``, in order, without duplicates, trailing punctuation
    or LaTeX braces (``\\url{https://x}.`` gives ``https://x``)."""
    links: list[str] = []
    # From each "://" back to its scheme: a case-blind regex scan of the whole text for
    # the scheme took 8 us an abstract, three times as long.
    colon = text.find("://")
    while colon != -1:
        scheme = next((colon - n for n in (5, 4) if colon >= n
                       and text[colon - n:colon].casefold() == "https"[:n]), None)
        if scheme is None:
            colon = text.find("://", colon + 3)
            continue
        end = _link_end(text, colon + 3)
        url = _trim_url(text[scheme:end])
        if len(url) > len("https://") and url not in links:
            links.append(url)
        colon = text.find("://", max(end, colon + 3))
    return tuple(links)


def _link_end(text: str, at: int) -> int:
    """Where the link whose address starts at ``at`` (after ``://``) ends: at a space, at
    what a URL must escape, or at the first character beyond ASCII that ends a link in
    prose: a punctuation mark, symbol, space or control character (Unicode's categories
    P, S, Z, C), but the zero-width joiner and non-joiner that Persian and emoji are
    spelled with. So ``https://x/y—see``, ``“https://x”``, ``https://x…`` and Chinese
    full-width punctuation (``https://x，数据见``) end where the prose starts; letters,
    digits and marks beyond ASCII stay (``https://zh.wikipedia.org/wiki/人々``, ``µm``,
    ``x²``), and so does an en dash or middle dot between two of them
    (:data:`_URL_INNER`), or a katakana middle dot between two katakana letters
    (:data:`_KATAKANA_DOTS`), unless another link follows it. Each step takes the text it
    passes: a run of links in prose without spaces (Chinese) is read once."""
    size = len(text)
    while True:
        stop = _URL_STOP.search(text, at)
        at = stop.start() if stop is not None else size
        if at >= size or text[at].isascii():
            return at
        ch = text[at]
        if ch not in "\u200c\u200d" and unicodedata.category(ch)[0] in "PSZC":
            inner = at + 1 < size and _inner(ch, text[at - 1], text[at + 1]) \
                and not text[at + 1:at + 9].casefold().startswith(("http://", "https://"))
            if not inner:
                return at
        at += 1


def _inner(ch: str, before: str, after: str) -> bool:
    """Whether ``ch``, punctuation beyond ASCII between ``before`` and ``after``, is
    part of a link (:data:`_URL_INNER`, :data:`_KATAKANA_DOTS`)."""
    if ch in _KATAKANA_DOTS:
        return _katakana(before) and _katakana(after)
    return ch in _URL_INNER and _wordy(before) and _wordy(after)


def _katakana(ch: str) -> bool:
    """Whether ``ch`` is a katakana letter or the long-vowel mark (full or half width)."""
    return "\u30a1" <= ch <= "\u30fa" or ch == "\u30fc" or "\uff66" <= ch <= "\uff9f"


def _wordy(ch: str) -> bool:
    """Whether ``ch`` is a letter, digit or mark (a decomposed accent's)."""
    return ch.isalnum() or unicodedata.category(ch)[0] == "M"


def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        unbalanced = (last == ")" and url.count("(") < url.count(")")) or (
            last == "]" and url.count("[") < url.count("]")
        )
        if last in _URL_TRAILING or unbalanced:
            url = url[:-1]
        else:
            break
    return url
