"""Plain text to BibTeX-safe LaTeX and back: the one place both BibTeX directions share.

:func:`encode` writes display text so that BibTeX reads it as one balanced field value
and pdflatex typesets it in a bare ``article`` (OT1 fonts, no extra packages);
:func:`decode` turns LaTeX from a ``.bib`` file into display text. For every text
:func:`encode` writes without loss (see :func:`is_lossless`), ``decode(encode(s)) == s``.

Why not bibtexparser's ``LatexEncodingMiddleware``: measured on bibtexparser 2.1, it
escapes intentional braces (``{CLIP}`` becomes ``\\{CLIP\\}``, so capitals are no longer
protected), re-escapes existing LaTeX (``{\\'e}`` becomes ``\\{{\\textbackslash}'e\\}``),
leaves Greek as ``\\ensuremath{\\Delta}`` outside braces (BibTeX lowercases it to
``\\delta``), and writes a stray ``{`` as ``\\{``, which BibTeX still counts as a brace:
one unbalanced brace makes BibTeX skip the rest of the file.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import re
import unicodedata
from typing import TYPE_CHECKING
from urllib.parse import quote

from papershelf.text import collapse_whitespace, drop_controls

# pylatexenc (25 ms to import) is imported where it is used: on non-ASCII characters
# and LaTeX markup. Plain ASCII text, most of an export, needs none of it.
if TYPE_CHECKING:
    from pylatexenc import latexwalker
    from pylatexenc.latex2text import LatexNodes2Text
    from pylatexenc.latexencode import UnicodeToLatexEncoder
    from pylatexenc.macrospec import LatexContextDb


@functools.cache
def quiet_library_logs() -> None:
    """Keep pylatexenc's and bibtexparser's warnings (per odd character or entry) off
    stderr: papershelf reports problems itself, and the CLI configures no logging.
    Called before either is used."""
    import logging

    for name in ("pylatexenc", "bibtexparser"):
        logging.getLogger(name).addHandler(logging.NullHandler())
        logging.getLogger(name).propagate = False

#: ASCII characters with a meaning in LaTeX or BibTeX, and how to write them as text.
#: Braces are written as commands, not ``\\{``: BibTeX counts ``\\{`` as an open brace.
_ASCII_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}
#: ``str.translate`` table: the specials escaped, tabs as spaces, other controls dropped.
_ASCII_TABLE: dict[int, str | None] = {
    **{c: None for c in (*range(32), 127) if c not in (9, 10)},
    9: " ",
    **{ord(ch): latex for ch, latex in _ASCII_SPECIALS.items()},
}
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
#: Character pairs that TeX fonts turn into one glyph (``--`` is an en dash, ``''`` a
#: closing quote, ``,,`` a low quote in T1): an empty group between them keeps them apart.
_LIGATURE_PAIRS = ("--", "``", "''", "!`", "?`", ",,")
#: A character that may begin a ligature pair, before one that may end one: one
#: character class, 15x faster on an abstract than lookarounds for the exact pairs.
_LIGATURE_START = re.compile(r"[-`'!?,](?=[-`',])")
#: ``@`` at the start of a line inside a field makes bibtexparser abort the entry.
_LINE_START_AT = re.compile(r"^([ \t]*)@", re.MULTILINE)
_LIGATURE_PAIR = re.compile("|".join(re.escape(pair) for pair in _LIGATURE_PAIRS))
#: ``bytes.translate`` table that sorts ASCII text for :func:`_plain_ascii`: ``\x01`` for
#: the characters :func:`encode` changes (those :data:`_ASCII_TABLE` maps, and ``@``),
#: ``\x02`` for those that can make a ligature pair, ``a`` for the rest. A translate and
#: two searches of its bytes take less than half the time of two regex searches of the
#: text of an abstract.
_ASCII_CLASSES = bytes(
    1 if c < 128 and (c in _ASCII_TABLE or c == ord("@")) else 2 if chr(c) in "-`'!?," else 97
    for c in range(256)
)
#: Two of :data:`_ASCII_CLASSES`' ligature characters side by side. A regex, not ``in``:
#: an abstract has a dozen such characters (its commas), and ``bytes.__contains__``
#: stepped through it at 1.5 us, twice the regex's 0.7 us.
_TWO_LIGATURE_CHARACTERS = re.compile(b"\x02\x02")
#: An ASCII word :func:`needs_protection` (a capital after its first letter; a capital
#: followed by digits only; a lone capital other than the article ``A``, a word between
#: spaces), as a whole word. The possessive ``*+`` never backtracks into a word: one
#: pass over each.
_ASCII_PROTECTED = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Za-z0-9][a-z0-9]*+[A-Z][A-Za-z0-9]*+"
    r"|[A-Z][0-9]++(?![A-Za-z0-9])|(?:[B-Z]|A(?!\s)|(?<=\S)A)(?![A-Za-z0-9]))"
)

#: Non-ASCII characters whose pylatexenc spelling compiles with pdflatex in a bare
#: ``article`` (OT1): measured by compiling every character of Latin-1, Latin
#: Extended-A, Greek, general punctuation, letter-like and math symbols. Others fall
#: back to their ASCII decomposition (``ą`` to ``a``) or ``?``. The LaTeX compile test
#: compiles all of these again.
_PDFLATEX_SAFE = frozenset(
    "¡¢£¤¥¦§¨©ª¬®¯°±²³´µ¶·¹º¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖ×ØÙÚÛÜÝßàáâãäåæçèéêëìíîïñòóôõö÷øùúûüýÿĀāĂ"
    "ăĆćĈĉĊċČčĎďĒēĔĕĖėĚěĜĝĞğĠġĢģĤĥĦħĨĩĪīĬĭİıĲĳĴĵĶķĸĹĺĻļĽľĿŀŁłŃńŅņŇňŌōŎŏŐőŒœŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŧ"
    "ŨũŪūŬŭŮůŰűŴŵŶŷŸŹźŻżŽžΆΈΉΊΌΎΏΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩΪΫάέήίΰαβγδεζηθικλμνξοπρςστυφχψωϊϋόύ"
    "ώ‐‒–—―‖‘’“”†‡•․‥…‰‱′″‴※‽⁄⁎⁒⁗⁰ⁱ⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜ€℃℉ℊℎℏℓ№℗℘℞℠™Ω℧KÅ℮ℯℴℵ"
    "←↑→↓↔↕↖↗↘↙↦↩↪↼↽⇀⇁⇌⇐⇑⇒⇓⇔⇕∀∂∃∆∇∈∉∊∋∌∍∏∐∑−∓∕∗∘∙√∛∜∝∞∠∣∥∧∨∩∪∫∮∶∷∺∼≀≁≃≄≅≇≈≉≍≐≔≕≠≡≢≤≥≪≫≭≺≻≼≽⊂⊃⊄⊅"
    "⊆⊇⊎⊑⊒⊓⊔⊕⊖⊗⊘⊙⊢⊣⊤⊥⋀⋁⋂⋃⋄⋅⋆⋈⋢⋣⋮⋯⋱"
)
#: Where pylatexenc 2.11 spells a character wrongly (``ű`` as ``\\'{u}``, i.e. ``ú``), or
#: not at all: Greek symbol variants, which TeX's math has (``ϕ`` is ``\\phi``; ``φ`` is
#: ``\\varphi``).
_OVERRIDES = {"Ű": r"{\H{U}}", "ű": r"{\H{u}}", "ϵ": r"{\ensuremath{\epsilon}}",
              "ϑ": r"{\ensuremath{\vartheta}}", "ϖ": r"{\ensuremath{\varpi}}",
              "ϱ": r"{\ensuremath{\varrho}}", "ϕ": r"{\ensuremath{\phi}}"}
#: Combining accents pdflatex puts on a letter in a bare ``article`` (OT1): above it,
#: and below it (outermost: ``\\d{\\^{e}}`` for ``ệ``). OT1 stacks no two above a letter
#: (``\\~{\\^e}`` prints ``~ê``), nor has an ogonek.
_ACCENT_ABOVE = {"\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=",
                 "\u0306": "u", "\u0307": ".", "\u0308": '"', "\u030a": "r", "\u030b": "H",
                 "\u030c": "v"}
_ACCENT_BELOW = {"\u0323": "d", "\u0327": "c", "\u0331": "b"}
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
#: A capital after the first letter (``LanguageBind``, ``CLIP``, ``mPLUG``), or a capital
#: with digits (``T5``), or a lone capital other than the article ``A``.
_WORD = re.compile(r"[^\W_]+")
_BRACE = re.compile(r"[{}]")

@functools.cache
def _encoder() -> UnicodeToLatexEncoder:
    """pylatexenc's encoder of the characters :data:`_PDFLATEX_SAFE` holds."""
    from pylatexenc.latexencode import UnicodeToLatexEncoder

    quiet_library_logs()
    return UnicodeToLatexEncoder(non_ascii_only=True, replacement_latex_protection="braces-all",
                                 unknown_char_policy="keep")


@functools.lru_cache(maxsize=4096)
def _encode_char(ch: str) -> str:
    """One non-ASCII character as pdflatex-safe LaTeX (or its ASCII fallback)."""
    if ch in _OVERRIDES:
        return _OVERRIDES[ch]
    if ch in _PDFLATEX_SAFE:
        return str(_encoder().unicode_to_latex(ch))
    if ch == "\u00a0":
        return "~"
    if ch in _ZERO_WIDTH or unicodedata.category(ch) == "Cc":
        return ""
    if unicodedata.category(ch) == "Zs":
        return " "
    accented = _accented(ch)
    if accented is not None:
        return accented
    fallback = _printable_ascii(unicodedata.normalize("NFKD", ch))
    if not fallback:
        # Other scripts and emoji, which pdflatex cannot typeset without packages, are
        # spelled as anyascii spells them (中文 ZhongWen, Київ Kiiv, 🚀 :rocket:), as
        # their keys are: a reader still tells them apart, where "?" told nothing.
        from anyascii import anyascii

        fallback = _printable_ascii(anyascii(ch))
    return encode(fallback) if fallback else "?"


def _accented(ch: str) -> str | None:
    """A Latin letter with accents pylatexenc does not spell (Vietnamese ``ễ``, ``ạ``;
    pinyin ``ǎ``; ``ṣ``) as pdflatex accents (:data:`_ACCENT_ABOVE`): ``{\\d{a}}``,
    ``{\\^{e}}`` for ``ễ`` (one accent above: the first, the letter's own, the tone
    mark after it dropped); None if it is no such letter."""
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    above = [_ACCENT_ABOVE[m] for m in marks if m in _ACCENT_ABOVE]
    below = [_ACCENT_BELOW[m] for m in marks if m in _ACCENT_BELOW]
    if not (base.isascii() and base.isalpha()) or not marks or len(below) > 1 \
            or len(above) + len(below) != len(marks):
        return None
    latex = f"\\{base}" if above and base in "ij" else base  # (dotless under an accent)
    if above:
        latex = f"\\{above[0]}{{{latex}}}"
    if below:
        latex = f"\\{below[0]}{{{latex}}}"
    return "{" + latex + "}"


def _printable_ascii(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c.isprintable())


def is_lossless(text: str) -> bool:
    """Whether :func:`encode` writes ``text`` so that :func:`decode` gives it back exactly.

    True for printable ASCII, newlines, accented Latin and most Greek letters; false for
    characters pdflatex cannot typeset without extra packages (CJK, emoji, ...), for
    the few whose LaTeX spelling reads back as a look-alike (Greek capital alpha is
    ``A``), and for text not in NFC form, which reads back composed (U+1FE3 as U+03B0).
    """
    return unicodedata.is_normalized("NFC", text) and all(_char_lossless(ch) for ch in text)


@functools.lru_cache(maxsize=4096)
def _char_lossless(ch: str) -> bool:
    if ch.isascii():
        return ch.isprintable() or ch == "\n"
    return decode(encode(ch), collapse=False) == ch


def encode(text: str) -> str:
    """``text`` as LaTeX that BibTeX and pdflatex accept, shown as written.

    Every LaTeX and BibTeX special character is escaped (``\\`` ``{`` ``}`` ``&`` ``%``
    ``$`` ``#`` ``_`` ``~`` ``^`` and ``< > |``, which OT1 fonts would print as other
    glyphs); braces in the result are always balanced. Newlines are kept; tabs become
    spaces and other control characters are dropped.
    """
    return text if _plain_ascii(text) else _encode(text)


def _plain_ascii(text: str) -> bool:
    """Whether :func:`encode` writes ``text`` unchanged because it is ASCII with nothing
    to escape, no ligature pair and no ``@`` (most text)."""
    if not text.isascii():
        return False
    classes = text.encode("ascii").translate(_ASCII_CLASSES)
    # Two ligature characters side by side are rare: only then look for the exact pairs.
    return b"\x01" not in classes and (_TWO_LIGATURE_CHARACTERS.search(classes) is None
                                       or not _LIGATURE_PAIR.search(text))


def _encode(text: str) -> str:
    """:func:`encode` without the shortcut for plain ASCII."""
    encoded = unicodedata.normalize("NFC", text).translate(_ASCII_TABLE)
    if not encoded.isascii():
        encoded = _NON_ASCII.sub(lambda m: _encode_char(m.group(0)), encoded)
    if _LIGATURE_PAIR.search(encoded):
        encoded = _LIGATURE_START.sub(_break_ligature, encoded)
    return _LINE_START_AT.sub(r"\1{@}", encoded) if "@" in encoded else encoded


def _break_ligature(match: re.Match[str]) -> str:
    """The first character of a :data:`_LIGATURE_START` match, with ``{}`` after it when
    it and the next one make a ligature pair."""
    first, end = match.group(0), match.end()
    return first + "{}" if match.string[end - 1 : end + 1] in _LIGATURE_PAIRS else first


#: Fields holding a URL or DOI as written: non-ASCII there is percent-encoded, so that
#: the link still leads where it did (a LaTeX accent in a URL would not).
_URL_FIELDS = frozenset({"url", "doi"})
#: Fields of reference managers holding a file's path or a URL, which the standard
#: styles and natbib's do not read (biblatex reads ``file`` verbatim): written as
#: imported, UTF-8 and all, so that Zotero, JabRef or BibDesk still find the file.
_VERBATIM_FIELD = re.compile(r"file|pdf|biburl|bibsource|localfile|local-url|bdsk-(?:file|url)-\d+")
#: Fields holding names (standard and biblatex): a capital letter there is not braced,
#: as BibTeX reads a name's parts (von, Last) by the case of their first letter, which
#: a brace group would hide.
_NAME_FIELDS = frozenset({"author", "editor", "translator", "bookauthor", "editora", "editorb",
                          "editorc", "annotator", "commentator", "introduction", "foreword",
                          "afterword", "holder"})
#: A URL inside LaTeX: the argument of ``\url`` (and the first of ``\href``).
_URL_ARGUMENT = re.compile(r"(\\(?:url|href)\s*\{)([^{}]*)")


def percent_encoded(url: str) -> str:
    """``url`` with each non-ASCII character as its UTF-8 bytes percent-encoded (an IRI
    as a URI, which browsers read back)."""
    if url.isascii():
        return url
    return _NON_ASCII.sub(lambda m: quote(m.group(0), safe=""), unicodedata.normalize("NFC", url))


def encode_raw(latex: str, field: str = "", *, code: bool = False) -> str:
    """A field value of a ``.bib`` as written there (LaTeX, with its braces or quotes)
    made ASCII for BibTeX and pdflatex, its ASCII kept as written, LaTeX syntax and all:
    each non-ASCII character as :func:`encode` writes it (``{\\"u}``,
    ``{\\ensuremath{\\beta}}``, else an ASCII fallback or ``?``), in braces when a capital
    (BibTeX never lowercased the raw character, so styles that lowercase titles keep it
    as it was; not in name fields, ``field`` says which); percent-encoded in a URL (the
    ``url`` and ``doi`` fields, ``\\url{...}``). A ``%``, ``&`` or ``#`` not escaped is
    escaped but in a URL: :func:`decode` reads it as the character (``100% sure``), and
    LaTeX would read it as a comment, a column or a parameter (the file's own problem,
    but pdflatex stopped on the export); not in ``code`` (a ``@preamble``, whose ``#1``
    is a parameter). A ``_`` or ``^`` outside math in a field styles print as text is
    escaped (:func:`_scripts_out_of_math_escaped`). Control characters go, tabs and line
    feeds stay. A field no style
    prints that holds a path or URL (``file``, ``pdf``, ``biburl``...) is kept as it is,
    non-ASCII and all."""
    text = drop_controls(latex)
    if _VERBATIM_FIELD.fullmatch(field):
        return text
    if field in _URL_FIELDS:
        return percent_encoded(text)
    if not code and ("%" in text or "&" in text or "#" in text):
        text = _escaped_specials(text)
    if ("_" in text or "^" in text) and field in _PRINTED_AS_TEXT and text[:1] in ('{', '"'):
        text = _scripts_out_of_math_escaped(text)
    if text.isascii():
        return text
    text = unicodedata.normalize("NFC", text)
    if "\\" in text:
        text = _URL_ARGUMENT.sub(lambda m: m.group(1) + percent_encoded(m.group(2)), text)
    return _NON_ASCII.sub(_raw_name_char, text) if field in _NAME_FIELDS \
        else _NON_ASCII_RUN.sub(_raw_run, text)


def _escaped_specials(text: str) -> str:
    """``text`` with each ``%``, ``&`` and ``#`` that is not escaped escaped, but in the
    URL of a ``\\url{...}`` or ``\\href{...}``."""
    out, done = [], 0
    for match in _URL_ARGUMENT.finditer(text):
        out += [_UNESCAPED.sub(r"\1\\\2", text[done:match.start()]), match.group(0)]
        done = match.end()
    out.append(_UNESCAPED.sub(r"\1\\\2", text[done:]))
    return "".join(out)


#: Fields that styles print as text (their ``_`` and ``^`` outside math stop pdflatex).
#: Not those holding keys (``crossref``), identifiers or lists a package reads
#: (``keywords``): an escape would change what they name.
_PRINTED_AS_TEXT = _NAME_FIELDS | {
    "title", "subtitle", "titleaddon", "booktitle", "booksubtitle", "maintitle", "eventtitle",
    "journal", "journaltitle", "journalsubtitle", "series", "note", "annote", "addendum",
    "abstract", "publisher", "address", "location", "venue", "institution", "organization",
    "school", "howpublished", "edition", "chapter", "type", "shorttitle", "origtitle",
    "indextitle", "issuetitle", "issuesubtitle", "booktitleaddon", "maintitleaddon",
    "shortjournal", "shortseries", "origlocation", "origpublisher"}
#: Commands whose braced argument is text, where a ``_`` or ``^`` outside math stops
#: pdflatex as in the field's own text. The argument of any other command is left as
#: written: a key (``\cite{smith_2020}``), a label (``\ref{sec_a}``), a URL or path
#: (``\url``, ``\path``, ``\doi``), which an escape would change.
_TEXT_COMMANDS = frozenset({
    "textit", "textbf", "textsc", "textrm", "textsf", "texttt", "textup", "textsl", "textmd",
    "textnormal", "emph", "mbox", "underline", "uppercase", "lowercase", "MakeUppercase",
    "MakeLowercase", "footnote", "enquote", "NoCaseChange", "textsuperscript", "textsubscript"})
#: A command and its optional arguments, before a braced one; a command or an escaped
#: character; a math delimiter; a brace; or the character to escape.
_SCRIPT_SCAN = re.compile(r"\\([A-Za-z]+)\*?(?:\s*\[[^\]]*\])*\s*(?=\{)|\\(?:[A-Za-z]+|.)|\$\$?|[{}_^]",
                          re.DOTALL)
#: Text the scan cannot follow: math written otherwise than between delimiters, and
#: verbatim text without braces (``\verb|a_b|``).
_NOT_FOLLOWED = re.compile(r"\\(?:ensuremath|math[a-z]*|begin|verb|lstinline)(?![A-Za-z])")
_MATH_CLOSES = {"$": "$", "$$": "$$", "\\(": "\\)", "\\[": "\\]"}


def _scripts_out_of_math_escaped(text: str) -> str:
    r"""``text`` (a braced or quoted ``.bib`` value) with each ``_`` and ``^`` in its text
    escaped (``\_``, ``\^{}``): there pdflatex stops on them ("Missing $ inserted"), as
    it did on an export of ``title = {Snake_case and x^2}``. Text is the value and the
    braced arguments of :data:`_TEXT_COMMANDS`, outside math (``$...$``, ``\(...\)``,
    ``\[...\]``); the arguments of other commands (``\cite{smith_2020}``, ``\url``) keep
    theirs. A value whose math is not closed, or that the scan cannot follow
    (:data:`_NOT_FOLLOWED`), is left as written."""
    if _NOT_FOLLOWED.search(text):
        return text
    out: list[str] = []
    done = 0
    closes: str | None = None  # the delimiter that ends the math we are in
    text_here = [True]  # for each brace group open: whether it holds text
    argument: str | None = None  # the command whose braced argument comes next
    for match in _SCRIPT_SCAN.finditer(text):
        token, command = match.group(), match.group(1)
        if command is not None:
            argument = command
        elif token == "{":
            text_here.append(text_here[-1] and (argument is None or argument in _TEXT_COMMANDS))
            argument = None
        elif token == "}":
            if len(text_here) > 1:
                text_here.pop()
        elif not text_here[-1]:
            continue  # in a key, a label, a URL: as written
        elif closes is not None:
            if token == closes:
                closes = None
        elif token in _MATH_CLOSES:
            closes = _MATH_CLOSES[token]
        elif token in ("_", "^"):
            out += [text[done:match.start()], "\\_" if token == "_" else "\\^{}"]
            done = match.end()
    if closes is not None:
        return text
    out.append(text[done:])
    return "".join(out)


def _raw_name_char(match: re.Match[str]) -> str:
    return _after_command(match, _encode_char(match.group(0)))


def _raw_run(match: re.Match[str]) -> str:
    """Non-ASCII characters of a field as :func:`encode` writes them, those whose case
    styles that lowercase titles never changed in braces: capitals (``{{\\"U}}ber``),
    and characters without case spelled with capitals, as in a title of any text
    (``{ZhongWen}``, :func:`_spelled_in_capitals`)."""
    out = []
    for braced, chars in itertools.groupby(match.group(0), _keeps_case):
        latex = "".join(map(_encode_char, chars))
        out.append("{" + latex + "}" if braced and latex else latex)
    return _after_command(match, "".join(out))


#: A control word (``\LaTeX``) ending where a match starts.
_CONTROL_WORD_END = re.compile(r"\\[A-Za-z]+\Z")


def _after_command(match: re.Match[str], latex: str) -> str:
    """``latex``, written for the character ``match`` found, with ``{}`` before it when
    it starts with a letter right after a control word: ``\\LaTeX模板`` would otherwise
    become ``\\LaTeXMoBan``, a command pdflatex does not know."""
    start = match.start()
    if latex[:1].isalpha() and _CONTROL_WORD_END.search(match.string, max(start - 64, 0), start):
        return "{}" + latex
    return latex


def needs_protection(word: str, before: str = "", after: str = " ") -> bool:
    """Whether BibTeX styles must not lowercase ``word`` (acronyms, CamelCase names).
    ``before`` and ``after`` are the characters around it (``""`` at an end): ``A`` is
    the article between spaces (or first), a letter in ``Q&A``, ``A/B`` or ``Type A``."""
    if not any(ch.isupper() for ch in word):
        return False
    if len(word) == 1:
        return word != "A" or not (before.isspace() or not before) or not after.isspace()
    return not (word[0].isupper() and word[1:].islower())


def encode_title(title: str) -> str:
    """:func:`encode` for a title: words with capitals that are not simply capitalised
    (``CLIP``, ``LanguageBind``, ``T5``) are wrapped in braces so that styles that
    lowercase titles keep them; so is a name of several words joined by hyphens, whole,
    when it has one (``{ERNIE-Doc}``, ``{GPT-4}``), or when it is the one word before a
    title's colon and has a capital after its first letter (``{Uni-Perceiver}: ...``:
    :func:`_leading_name`)."""
    if _plain_ascii(title):
        # Nothing to escape: only braces around the leading name, around protected
        # words, then around the names with one (none without a brace next to a hyphen).
        # Regexes, in C but for the braces: 4-5 us a title, where the general way took 8.
        start, end = _leading_name(title) or (0, 0)
        written = _ASCII_PROTECTED.sub(_braced, title[end:])
        if "}-" in written or "-{" in written:
            written = _BRACED_NAME.sub(_braced_whole, written)
        return f"{title[:start]}{{{title[start:end]}}}{written}" if end else written
    return _encode_title(title)


#: Words joined by hyphens (``ERNIE-Doc``, ``Vision-Language``), as a whole.
_HYPHENATED = re.compile(r"(?<![\w-])[^\W_]+(?:-[^\W_]+)+(?![\w-])")
#: The one word before a title's colon (``Uni-Perceiver: ...``).
_LEADING_NAME = re.compile(r"\s*([^\s:]+):(?!\S)")
#: In plain ASCII written with its protected words braced: words joined by hyphens,
#: one of them braced (``{ERNIE}-Doc``).
_BRACED_NAME = re.compile(r"(?<![A-Za-z0-9_{}-])(?:\{[A-Za-z0-9]++\}|[A-Za-z0-9]++)"
                          r"(?:-(?:\{[A-Za-z0-9]++\}|[A-Za-z0-9]++))++(?![A-Za-z0-9_{}-])")


def _braced_whole(match: re.Match[str]) -> str:
    name = match.group(0)
    return "{" + name.replace("{", "").replace("}", "") + "}" if "{" in name else name


def _leading_name(title: str) -> tuple[int, int] | None:
    """Where the one word before ``title``'s colon is, when it is words joined by
    hyphens with a capital after its first letter (``Uni-Perceiver: ...``)."""
    if ":" not in title or (leading := _LEADING_NAME.match(title)) is None:
        return None
    name = leading.group(1)
    return leading.span(1) if "-" in name and any(ch.isupper() for ch in name[1:]) else None


def _encode_title(title: str) -> str:
    """:func:`encode_title` without the shortcut for plain ASCII: ``title`` encoded, the
    names it braces whole braced, and its other parts by :func:`_encoded_words`."""
    written = _encoded_words(title)
    spans = []
    if (leading := _leading_name(title)) is not None:
        spans.append(leading)
    # A name with a word to protect is written with a brace next to a hyphen: only then
    # are the hyphenated words looked at (most titles have some; 3 us a title more).
    if "}-" in written or "-{" in written:
        for match in _HYPHENATED.finditer(title, spans[0][1] if spans else 0):
            if any(needs_protection(part, "-", "-") or _spelled_in_capitals(part)
                   for part in match.group(0).split("-")):
                spans.append(match.span())
    if not spans:
        return written
    out: list[str] = []
    pos = 0
    for start, end in spans:
        out += [_encoded_words(title[pos:start]), "{", encode(title[start:end]), "}"]
        pos = end
    out.append(_encoded_words(title[pos:]))
    return "".join(out)


def _braced(match: re.Match[str]) -> str:
    # A function, not the template "{\g<0>}": re expands templates in Python, slower.
    return "{" + match.group(0) + "}"


def _encoded_words(title: str) -> str:
    """A title (or a part of one) encoded, its protected words braced."""
    out: list[str] = []
    pos = 0
    for match in _WORD.finditer(title):
        out.append(encode(title[pos : match.start()]))
        word = match.group(0)
        protect = needs_protection(word, title[match.start() - 1 : match.start()],
                                   title[match.end() : match.end() + 1]) or _spelled_in_capitals(word)
        out.append("{" + encode(word) + "}" if protect else encode(word))
        pos = match.end()
    out.append(encode(title[pos:]))
    return "".join(out)


def _spelled_in_capitals(word: str) -> bool:
    """Whether ``word`` holds a character without case that is spelled with capitals
    (``中文`` is ``ZhongWen``): styles that lowercase titles never touched the
    character, so they must not lowercase its spelling either."""
    return not word.isascii() and any(_caseless_in_capitals(ch) for ch in word)


@functools.lru_cache(maxsize=4096)
def _caseless_in_capitals(ch: str) -> bool:
    """Whether ``ch`` has no case and is spelled with capitals (``中`` is ``Zhong``)."""
    return not ch.isascii() and not ch.isupper() and not ch.islower() \
        and any(c.isupper() for c in _encode_char(ch))


def _keeps_case(ch: str) -> bool:
    """Whether styles that lowercase titles leave ``ch`` (a non-ASCII character of a
    ``.bib``) as it is, so they must leave how it is written too."""
    return ch.isupper() or _caseless_in_capitals(ch)


def balanced(latex: str) -> bool:
    """Whether the braces of ``latex`` balance the way BibTeX counts them.

    BibTeX counts every ``{`` and ``}``, escaped or not: ``\\{`` alone is unbalanced.
    """
    depth = 0
    for brace in _BRACE.findall(latex):  # only the braces: a field has few, and is long
        depth += 1 if brace == "{" else -1
        if depth < 0:
            return False
    return depth == 0


# ---------------------------------------------------------------------------- decoding

#: ``%``, ``&`` and ``#`` are literal text in BibTeX fields (LaTeX would start a comment
#: or an alignment cell, or read a parameter): the unescaped ones are escaped so the
#: decoder keeps them and what follows, and so that an export writes them as text.
_UNESCAPED = re.compile(r"(?<!\\)((?:\\\\)*)([%&#])")
#: ``\~{}`` and ``\^{}`` are a tilde and a caret (an accent over nothing).
_EMPTY_ACCENT = re.compile(r"\\([~^])\{\}")
#: An empty group, which ends a macro's name (``\\methodname{} is``).
_EMPTY_GROUP = re.compile(r"\{\s*\}")
#: An escaped character in a URL argument: the character (hyperref's ``\url`` reads so).
_URL_ESCAPE = re.compile(r"\\([%#&_~$])")
#: A URL written as text, not as a ``\url`` argument (up to a space, a brace or a
#: backslash that escapes nothing a URL holds).
_BARE_URL = re.compile(r"()((?<![\w\ue000])(?:https?|ftp)://(?:[^\s{}\\]|\\[%#&_~$])+)")
#: Where a URL argument was kept out of the decoding (private-use marks, and its number).
_URL_HOLE = re.compile("\ue000(\\d+)\ue001")
#: With none of these characters (nor the quote and ligature pairs of
#: :func:`_has_syntax`), text decodes to itself but for dashes (``--`` en, ``---`` em):
#: skip the (slow) LaTeX parser.
_SYNTAX_CHARS = re.compile(r"[\\{}$%&~]")
#: The characters of LaTeX syntax other than braces (with those pylatexenc may read in
#: text: ``^``, ``_``, ``#``).
_SYNTAX_BUT_BRACES = re.compile(r"[\\$%&~^_#]")


def _has_syntax(text: str) -> bool:
    """Whether ``text`` holds LaTeX syntax other than dashes: a backslash, a brace,
    ``$``, ``%``, ``&`` or ``~``, or a ligature of quotes (:func:`_has_quote_ligature`).
    (A character class and four substring tests: 2.5x faster than one regex
    alternation on the fields of a 5,000-entry ``.bib``.)"""
    return _SYNTAX_CHARS.search(text) is not None or _has_quote_ligature(text)


def _has_quote_ligature(text: str) -> bool:
    """Whether ``text`` holds two backquotes or two quotes, or ``!`` or ``?`` before a
    backquote (which LaTeX typesets as one quotation mark)."""
    return "``" in text or "''" in text or "!`" in text or "?`" in text


def _only_braces(text: str) -> bool:
    """Whether the only LaTeX syntax of ``text`` (but dashes) is braces that balance, as
    in the titles of most ``.bib`` files (``{BERT}: Pre-training``). It then reads as
    :func:`_without_braces` gives it: the same text as pylatexenc's (checked against it
    on random text), 75 times sooner for a title; and braces nested 250 deep or more,
    which pylatexenc gave up on (the field was shown as written), are read too."""
    return _SYNTAX_BUT_BRACES.search(text) is None and not _has_quote_ligature(text) \
        and balanced(text)


def _without_braces(text: str) -> str:
    """``text`` without its braces, the dashes of each run between two made (a brace
    stops a ligature: ``-{}-`` is two hyphens)."""
    return "".join(map(_dashes, _BRACE.split(text)))


def _dashes(text: str) -> str:
    """``--`` as an en dash and ``---`` as an em dash, as LaTeX typesets them."""
    return text.replace("---", "\u2014").replace("--", "\u2013")


def _unknown_macro(node: latexwalker.LatexMacroNode, l2tobj: LatexNodes2Text) -> str:
    """A macro with no text rule shows the text of its arguments (``\\texttt{PyTorch}``
    is ``PyTorch``); one followed by a group shows nothing, the group's text following
    it (the parser knows no arguments of ``\\hbox``: ``\\hbox{H}`` is ``H``); others
    stay visible (``\\methodname``) instead of vanishing."""
    arguments = [arg for arg in (node.nodeargd.argnlist if node.nodeargd else []) if arg]
    if arguments:
        return str(l2tobj.nodelist_to_text(arguments))
    latex, end = node.parsing_state.s, node.pos + node.len
    if latex.startswith("{", end) and not _EMPTY_GROUP.match(latex, end):
        return ""
    return _macro_name(node)


def _macro_name(node: latexwalker.LatexMacroNode) -> str:
    """An unknown macro as earlier versions showed each: its name, without the arguments
    the parser gave it (``\\texttt{PyTorch}`` was ``\\texttt``)."""
    return "\\" + str(node.macroname) + str(node.macro_post_space)


#: Commands whose arguments a reader does not see as text (a label, a colour, a size),
#: or sees only one of: each to its arguments (pylatexenc's spec) and what it shows.
_NOT_TEXT_ARGUMENTS = {
    **dict.fromkeys(("label", "nocite", "thanks", "color", "phantom", "hphantom", "vphantom",
                     "IEEEauthorrefmark", "pagecolor"), ("{", "")),
    **dict.fromkeys(("hspace", "vspace"), ("*{", "")),
    "rule": ("[{{", ""),
    "fontsize": ("{{", ""),
    "raisebox": ("{[[{", "%(4)s"),
    "textcolor": ("[{{", "%(3)s"),
    "colorbox": ("[{{", "%(3)s"),
    "bibinfo": ("{{", "%(2)s"),
    # Declarations of a font or a size ("{\em X}", "{\sc Lisp}"): the text they act on follows.
    **dict.fromkeys(("em", "bf", "it", "sc", "tt", "sf", "rm", "sl", "bfseries", "itshape",
                     "scshape", "ttfamily", "sffamily", "rmfamily", "mdseries", "upshape",
                     "normalfont", "selectfont", "tiny", "scriptsize", "footnotesize", "small",
                     "normalsize", "large", "Large", "LARGE", "huge", "Huge"), ("", "")),
}


@functools.cache
def _decoder(arguments_shown: bool = True) -> LatexNodes2Text:
    """The decoder :func:`decode` uses; unless ``arguments_shown``, one that shows an
    unknown macro as earlier versions did (:func:`_macro_name`)."""
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    quiet_library_logs()
    db = get_default_latex_context_db()
    db.add_context_category(
        "papershelf",
        prepend=True,
        macros=[
            MacroTextSpec("textbraceleft", simplify_repl="{"),
            MacroTextSpec("textbraceright", simplify_repl="}"),
            MacroTextSpec("textless", simplify_repl="<"),
            MacroTextSpec("textgreater", simplify_repl=">"),
            MacroTextSpec("textbar", simplify_repl="|"),
            MacroTextSpec("textasciicircum", simplify_repl="^"),
            MacroTextSpec("textasciitilde", simplify_repl="~"),
            MacroTextSpec("textbackslash", simplify_repl="\\"),
            MacroTextSpec("textperiodcentered", simplify_repl="·"),
            MacroTextSpec("url", simplify_repl="%s"),
            # The logos ("The {\TeX}book"): pylatexenc knows none of them.
            *(MacroTextSpec(logo, simplify_repl=logo) for logo in
              ("TeX", "LaTeX", "BibTeX", "XeTeX", "LuaTeX", "pdfTeX", "ConTeXt")),
            MacroTextSpec("LaTeXe", simplify_repl="LaTeX2e"),
            # The sorting trick of .bib preambles ("{\noopsort{a}}Knuth") prints nothing,
            # nor do TeX's commands that only steer it ("{\relax Ch}ristopher", a name's
            # first letters for BibTeX; "\protect\LaTeX").
            *([MacroTextSpec(name, simplify_repl="") for name in
               ("noopsort", "relax", "protect", "nobreak", "ignorespaces")]
              if arguments_shown else []),
            # Commands whose arguments are no text of the field, or only one is.
            *((MacroTextSpec(name, simplify_repl=shown) for name, (_args, shown)
               in _NOT_TEXT_ARGUMENTS.items()) if arguments_shown else ()),
        ],
    )
    db.set_unknown_macro_spec(MacroTextSpec("", simplify_repl=_unknown_macro if arguments_shown
                                            else _macro_name))
    return LatexNodes2Text(latex_context=db, math_mode="text")


@functools.cache
def _macro_arguments(arguments_shown: bool = True) -> LatexContextDb:
    """The arguments macros take, as the parser reads them: pylatexenc 2.11 knows how to
    write ``\\href`` as text but not that it takes two arguments, and its text rule
    then fails on every field holding one. Unless ``arguments_shown``, as earlier
    versions read them (``\\noopsort`` took none)."""
    from pylatexenc import latexwalker
    from pylatexenc.macrospec import MacroSpec

    quiet_library_logs()
    db = latexwalker.get_default_latex_context_db()
    macros = [MacroSpec("href", "{{"), *([MacroSpec("noopsort", "{")] if arguments_shown else []),
              *((MacroSpec(name, args) for name, (args, _shown) in _NOT_TEXT_ARGUMENTS.items())
                if arguments_shown else ())]
    db.add_context_category("papershelf", prepend=True, macros=macros)
    return db


def _url_hole(match: re.Match[str], urls: list[str]) -> str:
    """Keep the URL ``match`` holds (a ``\\url`` argument, or a bare URL) out of the
    decoding, to put back after it as written, unescaped."""
    head, url = match.group(1, 2)
    urls.append(_URL_ESCAPE.sub(r"\1", url))
    return f"{head or ''}\ue000{len(urls) - 1}\ue001"


def _parsed(latex: str, arguments_shown: bool = True) -> str:
    """``latex`` as text, read by pylatexenc (see :func:`decode`); raises what it raises."""
    prepared = _UNESCAPED.sub(r"\1\\\2", latex)
    prepared = _EMPTY_ACCENT.sub(lambda m: r"\textasciitilde{}" if m.group(1) == "~"
                                 else r"\textasciicircum{}", prepared)
    return str(_decoder(arguments_shown).latex_to_text(
        prepared, latex_context=_macro_arguments(arguments_shown)))


def decode(latex: str, *, collapse: bool = True, urls_as_written: bool = True,
           arguments_shown: bool = True) -> str:
    """LaTeX from a ``.bib`` field as display text: ``{\\"o}`` is ö, ``\\&`` is &, braces go.

    Nothing after a ``%`` is lost (BibTeX text is not a LaTeX comment). With
    ``collapse``, runs of whitespace (line breaks of a wrapped field) become one space.
    Control characters go (but tabs and line feeds, which ``collapse`` makes spaces).
    URLs (``\\url`` arguments, bare ones) are kept as written, unless not
    ``urls_as_written``: as earlier versions decoded them (libraries imported into
    then hold such text). A macro with no text rule shows the text of its arguments
    (``\\texttt{PyTorch}``, ``\\hbox{H}``), else its name; unless ``arguments_shown``:
    its name alone, as earlier versions showed it.
    """
    latex = drop_controls(latex)
    syntax = _has_syntax(latex)
    if not syntax and latex.isascii() and "--" not in latex:
        return collapse_whitespace(latex) if collapse else latex  # plain text (NFC leaves ASCII)
    text = latex
    # A URL is no LaTeX text: "~" is no space in it, nor "--" a dash.
    urls: list[str] = []
    if urls_as_written and "://" in text and "\ue000" not in text:
        if "\\" in text:
            text = _URL_ARGUMENT.sub(lambda m: _url_hole(m, urls), text)
        text = _BARE_URL.sub(lambda m: _url_hole(m, urls), text)
    if syntax and _only_braces(text):
        text = _without_braces(text)
    elif syntax:
        # pylatexenc fails on some input (a lone \verb): the LaTeX is then shown as
        # written, rather than the paper lost. (Its import, outside: if it is missing,
        # that is said, not hidden.)
        _decoder(arguments_shown)
        with contextlib.suppress(Exception):
            text = _parsed(text, arguments_shown)
    elif "--" in text:  # what pylatexenc makes of dashes, a thousand times faster
        text = _dashes(text)
    if urls:  # (shown as written, if pylatexenc failed: the URLs as written too)
        text = _URL_HOLE.sub(lambda m: urls[int(m.group(1))], text)
    text = unicodedata.normalize("NFC", text)
    return collapse_whitespace(text) if collapse else text
