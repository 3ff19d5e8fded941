"""Text rules shared by search, paper identity and storage: case and accent folding,
words, whitespace and control characters, and ASCII spellings for keys."""

from __future__ import annotations

import codecs
import functools
import os
import re
import unicodedata

#: The byte-order marks that start UTF-16 text (Notepad's "Unicode", and what Windows
#: PowerShell's ``>`` writes): such a file is read as UTF-16.
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: ASCII text folded and split in one pass: capitals to lower case, all but letters and
#: digits to spaces (what ``fold`` then a split at non-alphanumerics would do).
_ASCII_FOLD_SPLIT = str.maketrans({chr(c): chr(c).lower() if chr(c).isalnum() else " "
                                   for c in range(128)})
#: Letters of scripts written without spaces between words (Chinese and Japanese: Han,
#: kana, the iteration marks). A run of them is taken as its pairs of letters side by
#: side (深度学习: 深度 度学 学习), as search engines index these scripts, so that a word in
#: the middle of a run (学习 in 深度学习方法) is found, and found only where it is written;
#: the search index also holds each letter, for a query of one (:func:`index_words`).
_SPACELESS = ("\u3005-\u3007\u303b\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff"
              "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9d"
              "\U0001aff0-\U0001afff\U0001b000-\U0001b16f\U00020000-\U0003134f")
#: Korean letters: syllables and jamo.
_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"
_WORD = re.compile(r"[^\W_]+")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
#: Control characters but tab and line feed (C0, DEL and C1): they would move or recolour
#: the cursor of a terminal showing the text.
_CONTROL_RANGES = r"\x00-\x08\x0b-\x1f\x7f-\x9f"
_CONTROLS = re.compile(f"[{_CONTROL_RANGES}]")
#: Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): a
#: terminal may show the text after one reversed, or in other cells than Textual counts.
BIDI_CONTROLS = (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
_GREEK_LETTER = re.compile(r"GREEK (?:SMALL|CAPITAL) LETTER ([A-Z]+)")
#: One or two Greek letters with no letter on either side: symbols (β-VAE, αβ-CROWN), not
#: a word (a Greek word, three letters or more, is spelled as words are).
_GREEK_SYMBOLS = re.compile(r"(?<![^\W\d_])[\u0370-\u03ff]{1,2}(?![^\W\d_])")


#: English function words (NLTK's list, folded): a word of the library is not taken as two
#: joined when one of them is one (``cannot``, ``however``, ``moreover``, ``without``).
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for
from further had has have having he her here hers herself him himself his how i if in
into is it its itself just me more most my myself no nor not now of off on once only or
other our ours ourselves out over own same she should so some such than that the their
theirs them themselves then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your
yours yourself yourselves
""".split())


#: Characters a reader does not see, which text copied from a web page carries inside
#: words (a soft hyphen in "Pre\u00adtraining", word joiners, a BOM): a translate table
#: that drops them. (Not the zero-width space: Thai and Khmer text, among others, puts
#: one between words.)
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u2060\ufeff"))
#: Separators but the line feed (a form feed, U+2028 LINE SEPARATOR...): a translate
#: table that makes them spaces, for text on one line. Dropped as control characters,
#: they would glue the words on either side.
SEPARATORS = dict.fromkeys(map(ord, "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), " ")


class _Patterns:
    """Patterns compiled on first use. A class of characters beyond U+00FF compiles into
    a table of the whole plane: these took 9 ms to compile, which every command paid at
    start-up (``tag add`` too), though most text never needs them."""

    @functools.cached_property
    def has_spaceless(self) -> re.Pattern[str]:
        return re.compile(f"[{_SPACELESS}]")

    @functools.cached_property
    def spaceless_run(self) -> re.Pattern[str]:
        """A run of :data:`_SPACELESS` letters. (The look-ahead leaves out code points
        of those blocks not yet assigned.)"""
        return re.compile(rf"(?:(?=[^\W_])[{_SPACELESS}])+")

    @functools.cached_property
    def run_or_word(self) -> re.Pattern[str]:
        """Runs of those letters, and words of other letters and digits."""
        return re.compile(rf"{self.spaceless_run.pattern}|(?:(?![{_SPACELESS}])[^\W_])+")

    @functools.cached_property
    def escape_sequence(self) -> re.Pattern[str]:
        """A terminal's escape sequence, whole (colour ``ESC [31m``, a window title
        ``ESC ]0;x BEL``, ``ESC (B``): without its escape, the rest (``[31m``) would be
        text. Only the forms a terminal's output holds, so that a stray escape before
        text takes as little of it as may be: a CSI without intermediates, a title or a
        hyperlink (OSC 8) only with its end (BEL or ``ESC \\``), and the few
        two-character ones. None takes a quote, a brace, a dollar, nor a backslash but
        the end of a title: these may be a ``.bib`` value's (``{\x1b}``: its ``}``)."""
        return re.compile(r"\x1b\[[0-?]*[@-Z^-z~]"
                          r"|\x1b\][^\x07\x1b\n{}\"\\$]*(?:\x07|\x1b\\)"
                          r"|\x1b[()][0-9A-Za-z]|\x1b[78=>]")

    @functools.cached_property
    def unshown(self) -> re.Pattern[str]:
        return re.compile(f"[{_CONTROL_RANGES}{''.join(map(chr, BIDI_CONTROLS))}]")

    @functools.cached_property
    def symbol_name(self) -> re.Pattern[str]:
        """:func:`symbol_names` in text beyond ASCII: a Chinese or Japanese letter
        beside a name is no letter of its word (基于C++的), nor a Korean one (a
        particle: C++로)."""
        return _symbol_name(rf"(?:(?![{_SPACELESS}{_HANGUL}])[^\W_])")

    @functools.cached_property
    def ascii_symbol_name(self) -> re.Pattern[str]:
        """:func:`symbol_names` in ASCII text (lower case)."""
        return _symbol_name("[a-z0-9]")

    @functools.cached_property
    def has_invisible(self) -> re.Pattern[str]:
        return re.compile(f"[{''.join(map(chr, INVISIBLE))}]")


def _symbol_name(letter: str) -> re.Pattern[str]:
    """A short name written with ``+`` or ``#``, its letters being ``letter``'s: up to three
    where a word starts, then ``+``, ``#`` or more of them, no letter after. ``++`` may be
    followed by a version (``c++11``, ``c++0x``; ``c++1`` while it is being typed), as may
    ``#`` after one letter (``c#11``; not ``bug#42``)."""
    version = rf"(?![+#])(?:\d{letter}?)?"
    return re.compile(rf"(?<!{letter})(?:(?:{letter}){{1,3}}\+\+{version}|{letter}#{version}"
                      rf"|(?:{letter}){{1,3}}[+#]++)(?!{letter})")


_PATTERNS = _Patterns()


def fold(text: str) -> str:
    """Case-fold and strip accents, so ``Schrödinger`` compares equal to ``schrodinger``;
    drop :data:`INVISIBLE` characters, so that ``Pre\u00adtraining`` does to ``pretraining``."""
    if text.isascii():
        return text.lower()
    # (Rare; they are not printable: testing that first is quicker still than a search,
    # which is 5x quicker than translating.)
    if not text.isprintable() and _PATTERNS.has_invisible.search(text):
        text = text.translate(INVISIBLE)
    # Decomposed before case-folding too: compatibility forms fold to capitals otherwise
    # (bold "𝐀" to "A", "ℂ" to "C"). Again after it, for what case-folding composes.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    # Test each distinct character once, then drop the marks in one C-speed pass: a
    # per-character generator took 65 ms over the non-ASCII abstracts of 5,000 papers.
    marks = {ord(ch): None for ch in set(decomposed) if unicodedata.combining(ch)}
    return decomposed.translate(marks) if marks else decomposed


def ascii_spelling(text: str) -> str:
    """``text`` folded (lower case, no accents) with its letters in ASCII: one or two
    Greek letters standing apart by their names, as symbols are read in a title
    (``β-VAE`` gives ``beta-vae``, ``π0`` ``pi0``, ``αβ-CROWN`` ``alphabeta-crown``, ``∆``
    ``delta``),
    other letters as anyascii spells them (``Ελληνικά`` gives ``ellinika``, ``Ωmega``
    ``omega``, ``中文`` ``zhongwen``), and so are the marks that folding keeps, as the
    vowel signs of ``हिन्दी`` (``hindi``). Other characters (``🎉``, ``⊕``) stay as they are."""
    folded = fold(text)
    if folded.isascii():
        return folded
    # Composed again, as anyascii spells them: the vowel sign of மொ is one, not two.
    folded = unicodedata.normalize("NFC", folded)
    # The increment sign (a math symbol, no letter) is how many keyboards type a delta.
    folded = _GREEK_SYMBOLS.sub(_greek_names, folded.replace("\u2206", "\u03b4"))
    spellings: dict[int, str] = {}
    for ch in set(folded):
        # (and the marks folding keeps: vowel signs of Indic, Thai, Khmer... हिन्दी's ि, ी)
        if not ch.isascii() and unicodedata.category(ch)[0] in "LM":
            from anyascii import anyascii  # a few ms to import: only for other scripts

            spellings[ord(ch)] = anyascii(ch).lower()
    return folded.translate(spellings)


def _greek_names(match: re.Match[str]) -> str:
    return "".join(_greek_name(ch) for ch in match[0])


def _greek_name(ch: str) -> str:
    named = _GREEK_LETTER.fullmatch(unicodedata.name(ch, ""))
    if not named:
        return ch
    return "lambda" if named[1] == "LAMDA" else named[1].lower()  # Unicode spells it so


def plural(n: int, word: str = "paper") -> str:
    """``1 paper``, ``2 papers``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def collapse_whitespace(text: str, *, printable: bool = False) -> str:
    """``text`` with every run of whitespace one space and none at either end (what
    ``" ".join(text.split())`` gives), handed back as it is when it is so already.
    ``printable``: the caller found ``text.isprintable()`` true already."""
    # Printable text holds no whitespace but " ": str.isprintable is false for every
    # other separator and for control characters. A third of the time of a split and a
    # join for an abstract.
    if (printable or text.isprintable()) and "  " not in text and text[:1] != " " \
            and text[-1:] != " ":
        return text
    return " ".join(text.split())


def lf_line_ends(text: str) -> str:
    """``text`` with each line's end a line feed: one written CRLF (Windows), or CR
    alone (classic Mac OS), is one."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def drop_controls(text: str) -> str:
    """``text`` without control characters, tabs and line feeds kept (a line's end
    written CRLF, or CR alone as classic Mac OS did, becomes LF), nor terminal escape
    sequences (colours of ``grep --color``)."""
    if text.isprintable():
        return text
    return _CONTROLS.sub("", _without_sequences(lf_line_ends(text)))


def shown(text: str) -> str:
    """``text`` as a terminal may show it: without control characters (tabs and line
    feeds kept), escape sequences nor bidirectional controls. For display only: what is
    stored keeps the bidirectional controls (:func:`drop_controls`). A line's end
    written CRLF or CR alone is a line feed."""
    if text.isprintable() or text.replace("\n", "").replace("\t", "").isprintable():
        return text  # (without compiling the pattern: a whole plane's table, 9 ms)
    return _PATTERNS.unshown.sub("", _without_sequences(lf_line_ends(text)))


def one_line(text: str) -> str:
    """:func:`shown`, on one line: a hand-edited title holding a line feed or a colour
    keeps ``list`` one line a paper, and the terminal's colours as they were. A
    separator (:data:`SEPARATORS`) is a space, so that ``Deep\rLearning`` is two words."""
    if text.isprintable():
        return text
    return collapse_whitespace(shown(_without_sequences(text).translate(SEPARATORS)))


def _without_sequences(text: str) -> str:
    # (Not the one-character CSI, U+009B: rare, and what follows it may be text.)
    if "\x1b" not in text:
        return text
    return _PATTERNS.escape_sequence.sub("", text)


def words(text: str) -> list[str]:
    """The words of ``text``, folded: runs of letters and digits; a run of Chinese or
    Japanese letters (:data:`_SPACELESS`) gives its pairs of letters, or its letter if
    it has one."""
    return _words(text, letters=False)


def index_words(text: str) -> list[str]:
    """The words a search index holds for ``text``: :func:`words`, each Chinese or
    Japanese letter of a longer run on its own, so that a query of one letter finds it,
    and the names written with ``+`` or ``#`` (:func:`symbol_names`: ``c++``, ``c#``)."""
    return _words(text, letters=True)


def symbol_names(folded: str) -> list[str]:
    """The short names ``folded`` text (:func:`fold`) writes with ``+`` or ``#``: up to
    three letters or digits where a word starts, ending so, no letter or digit after
    them but a version (``c++``, ``c#``, ``f#``, ``na+``, ``cd4+``, ``c++11``, ``c++0x``,
    ``c#11``; not ``objc++``, ``bert+crf``, ``a+b``, ``bug#42`` or ``issue#123``). As
    words such a name is only ``c``: the index holds it whole too, for a search to rank
    the papers holding it first."""
    if "+" not in folded and "#" not in folded:
        return []
    pattern = _PATTERNS.ascii_symbol_name if folded.isascii() else _PATTERNS.symbol_name
    return pattern.findall(folded)


def _words(text: str, letters: bool) -> list[str]:
    if text.isascii():
        found = text.translate(_ASCII_FOLD_SPLIT).split()
        if letters and ("+" in text or "#" in text):
            found += symbol_names(text.lower())
        return found
    folded = fold(text)
    found = _folded_words(folded, letters)
    if letters:
        found += symbol_names(folded)
    return found


def _folded_words(folded: str, letters: bool) -> list[str]:
    if folded.isascii():
        return folded.translate(_ASCII_FOLD_SPLIT).split()
    if _PATTERNS.has_spaceless.search(folded) is None:  # Greek, Cyrillic, symbols: the quicker way
        return _WORD.findall(folded)
    found: list[str] = []
    for word in _PATTERNS.run_or_word.findall(folded):
        if len(word) > 1 and _PATTERNS.spaceless_run.match(word):
            found += letter_pairs(word)
            if letters:
                found += word
        else:
            found.append(word)
    return found


def letter_pairs(run: str) -> list[str]:
    """The pairs of letters side by side of a run of Chinese or Japanese letters, as
    :func:`words` gives them (深度学习: 深度 度学 学习)."""
    return [run[i:i + 2] for i in range(len(run) - 1)]


def has_word(text: str) -> bool:
    """Whether ``text`` holds a word (:func:`words`): a title without one names no paper."""
    # A letter or digit (one C-speed search) makes a word; only text without one is
    # folded (``℅`` has none, but folds to ``c/o``).
    return _LETTER_OR_DIGIT.search(text) is not None or bool(words(text))


def normalize_title(title: str) -> str:
    """The identity of a paper: its title case-folded, whitespace and punctuation collapsed.

    Two entries are the same paper exactly when their normalised titles are equal. (Runs
    of letters and digits as they stand, not the pairs :func:`words` makes of Chinese
    and Japanese: 東京都 and 東京・京都 make the same pairs.)
    """
    folded = fold(title)
    if folded.isascii():
        return " ".join(folded.translate(_ASCII_FOLD_SPLIT).split())
    return " ".join(_WORD.findall(folded))


def long_runs(text: str) -> list[str]:
    """The runs of three or more Chinese or Japanese letters of ``text``, folded: their
    pairs of letters (:func:`words`) may each be anywhere in a paper, so a search checks
    that the run itself is there."""
    folded = fold(text)
    if _PATTERNS.has_spaceless.search(folded) is None:
        return []
    return [run for run in _PATTERNS.spaceless_run.findall(folded) if len(run) >= 3]


def _identity() -> tuple[int, int, int, int] | None:
    """The identity of this module's file (inode, size, times), ``None`` if not found."""
    try:
        stat = os.stat(__file__)
    except (OSError, NameError):
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


#: This module's file as it was imported.
_IMPORTED = _identity()


@functools.cache
def title_rules() -> str | None:
    """What :func:`normalize_title` gives depends on, beyond the title: the Unicode data
    of this Python and the code of this module (a checksum of its text, so that another
    install of the same papershelf shares a library's cached title identities and an
    edit does not). ``None`` if the text cannot be read, or is not what was imported
    (then nothing is cached under it)."""
    import zlib

    try:
        with open(__file__, "rb") as module:
            code = module.read()
    except (OSError, NameError):
        return None
    if _IMPORTED is None or _identity() != _IMPORTED:
        return None
    return f"{unicodedata.unidata_version}:{zlib.crc32(code):08x}"


def is_utf8(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8: Python reads bytes that are not UTF-8
    (from a terminal, a pipe or a command line) into lone surrogates, which it cannot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
