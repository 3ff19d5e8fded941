"""Import ``.bib`` files: Zotero, Google Scholar and other reference managers' exports.

bibtexparser splits the file into blocks; this module resolves ``@string`` macros and
``#`` concatenation itself (bibtexparser 2.1 resolves neither ``#`` nor macros inside
``@string`` values), decodes LaTeX for display with :func:`papershelf.latex.decode`, and
keeps every field's original value for export, and ``@preamble`` values (macros that
entries use, such as ``\\noopsort``) for the library to export before its entries.
Entries that cannot be read become :class:`Failure` records (line, which entry, why);
the rest import.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from papershelf.errors import InputError, quoted
from papershelf.importers import piece_count
from papershelf.importers.pages import Failure, ParseResult, shifted
from papershelf.latex import balanced, decode, encode, encode_raw, quiet_library_logs
from papershelf.links import extract_links
from papershelf.model import Entry, Source
from papershelf.tags import drop_invisible, merge_tags, tag_problem
from papershelf.text import collapse_whitespace, has_word

# bibtexparser (with pylatexenc, 30 ms to import) is imported where a .bib is parsed or
# a name split, not here: an export reads values of a .bib paper's fields with this
# module, and most exports hold none.
if TYPE_CHECKING:
    from bibtexparser.model import Entry as BibEntry
    from bibtexparser.model import ParsingFailedBlock

#: BibTeX's predefined macros (every standard style defines the months).
MONTHS = {
    "jan": "January", "feb": "February", "mar": "March", "apr": "April", "may": "May",
    "jun": "June", "jul": "July", "aug": "August", "sep": "September", "oct": "October",
    "nov": "November", "dec": "December",
}
_KEYWORD_SPLIT = re.compile(r"[,;]")
_TAG_DROP = re.compile(r"[\"'{}\[\]\\]")
#: A character escaped in a ``url`` or ``doi``: ``\_``, or braced as Mendeley writes it
#: (``{\_}``, ``{~}``).
_URL_ESCAPE = re.compile(r"\{\\?([_%&#$~])\}|\\([_%&#$~])")
_URL_WRAPPER = re.compile(r"^\\url\{(.*)\}$", re.DOTALL)
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_ARXIV_ID = re.compile(r"^[A-Za-z.-]*/?\d{4}\.?\d{3,5}(?:v\d+)?$")
_TOKEN = re.compile(r"[^\s#]+")
#: A macro name BibTeX reads (and an export can write bare): ASCII, no digit first.
_MACRO_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.:+/-]*")
_BRACE = re.compile(r"[{}]")
_ENCLOSING = {("{", "}"), ('"', '"')}
_HTTP_URL = re.compile(r"https?://\S+$", re.IGNORECASE)
#: The word "and" between two names (whitespace as BibTeX counts it: no tie ``~``).
_AND = re.compile(r"[ \r\n\t]+[aA][nN][dD][ \r\n\t]+")
#: Braces, and quotes not escaped: bibtexparser, which cuts the file into values, reads
#: ``\\"`` as no end of a ``"..."`` value (``"Schr\\"{o}dinger"``), though BibTeX does.
_BRACE_OR_QUOTE = re.compile(r'[{}]|(?<!\\)"')
_BRACE_OR_ESCAPED_QUOTE = re.compile(r'[{}]|\\"')
_BLOCK_HEAD = re.compile(r"@\s*(\w*)\s*[{(]\s*([^,\s}]*)")


def parse_bibtex(text: str, file: str) -> ParseResult:
    """Parse BibTeX ``text``; ``file`` names the source of each entry.

    Only ever raises :class:`InputError`: an entry that cannot be read is reported in
    ``failures`` and skipped; duplicate keys import (the library suffixes the key) and a
    repeated field keeps its first value, as BibTeX does.

    A big file is cut into pieces before entries that start a line, and the pieces are
    parsed on every core (:mod:`papershelf.forked`). A piece that parses with no broken
    block ends where a parse of the whole file would have begun a new block, so the
    pieces give what one parse gives. From the first piece that holds a broken block
    (perhaps cut short by the end of the piece) to the end, the file is parsed again in
    one go, so that failures are reported as one parse reports them.
    """
    result = _parsed(text, file)
    if result.failures and "\\\n" in text:
        result.failures = _on_file_lines(text, result.failures)
    return result


def _on_file_lines(text: str, failures: list[Failure]) -> list[Failure]:
    """``failures`` numbered by the lines of ``text``, not as bibtexparser counts them
    (:func:`_lines_before`: no line after a backslash ending the one before, as an
    abstract's ``\\\\`` does)."""
    # counted[n]: the index of the file's line where bibtexparser's line n begins
    counted = [0] + [i + 1 for i, line in enumerate(text.split("\n")[:-1]) if not line.endswith("\\")]
    return [Failure(counted[f.line - 1] + 1 if 0 < f.line <= len(counted) else f.line, f.reason)
            for f in failures]


def _parsed(text: str, file: str) -> ParseResult:
    """:func:`parse_bibtex`, its failures numbered as bibtexparser counts lines."""
    pieces = _pieces(text)
    if len(pieces) == 1:
        return _parse_whole(text, file)
    from papershelf.forked import on_every_core

    result = ParseResult()
    parsed = on_every_core(functools.partial(_parse_piece, file=file),
                           [(text, start, end) for start, end in pieces])
    try:
        for (start, _end), part in zip(pieces, parsed, strict=True):
            if part is None:
                rest = _parse_whole(text[start:], file, _lines_before(text, start))
                result.entries += rest.entries
                result.failures += rest.failures
                result.preambles += rest.preambles
                break
            result.entries += part.entries
            result.failures += part.failures
            result.preambles += part.preambles
    finally:
        parsed.close()  # stops the workers still parsing later pieces
    return result


#: Where ``@string`` macros may be defined: entries after one need it, so such files are
#: parsed whole (``@string`` inside a field also matches, which only costs speed).
_STRING_MACRO = re.compile(r"@string", re.IGNORECASE)


def _pieces(text: str) -> list[tuple[int, int]]:
    """Where ``text`` is cut before entries that start a line, as ``(start, end)`` of each
    piece: one piece per usable core, or more to keep them short (:func:`piece_count`);
    the whole text as one piece when it is small or defines macros."""
    count = piece_count(len(text))
    if count < 2 or _STRING_MACRO.search(text):
        return [(0, len(text))]
    cuts = [0]
    for i in range(1, count):
        at = text.find("\n@", max(cuts[-1], len(text) * i // count))
        if at < 0:
            break
        cuts.append(at + 1)
    cuts.append(len(text))
    return list(itertools.pairwise(cuts))


def _lines_before(text: str, start: int) -> int:
    """The lines of ``text`` before ``start`` as bibtexparser counts them: it does not
    count a newline right after a backslash (a LaTeX line break at the end of a line of
    an abstract, say). Counted only for a piece with failures to report."""
    return text.count("\n", 0, start) - text.count("\\\n", 0, start)


def _parse_piece(piece: tuple[str, int, int], file: str) -> ParseResult | None:
    """The piece ``text[start:end]`` parsed, its failures numbered by the lines of
    ``text``; ``None`` if it holds a broken block. (A worker cuts its piece out of the
    text it inherited.)"""
    text, start, end = piece
    part = _parse(text[start:end], file, 0, whole=False)
    if part is not None and part.failures:
        part.failures = shifted(part.failures, _lines_before(text, start))
    return part


def _parse_whole(text: str, file: str, first_line: int = 0) -> ParseResult:
    """:func:`_parse` of text to its end: every broken block is a failure."""
    result = _parse(text, file, first_line, whole=True)
    assert result is not None, "a whole parse always has a result"
    return result


def _parse(text: str, file: str, first_line: int = 0, *, whole: bool) -> ParseResult | None:
    """Parse ``text`` (which starts at line ``first_line`` of the file, counted from 0).
    Unless ``whole``, a broken block (cut by the end of the piece, perhaps) gives
    ``None`` instead of a failure."""
    from bibtexparser.entrypoint import parse_string
    from bibtexparser.model import ParsingFailedBlock, Preamble, String

    quiet_library_logs()
    try:
        library = parse_string(text, parse_stack=[])
    except Exception as exc:  # bibtexparser raises on states it considers its own bugs
        raise InputError(
            f"{file} cannot be read as BibTeX ({type(exc).__name__}: {exc})",
            "check the file with bibtex, or import its entries in smaller pieces",
        ) from None
    result = ParseResult()
    macros: dict[str, str] = dict(MONTHS)
    try:
        for block in library.blocks:
            line = first_line + (block.start_line or 0) + 1
            try:
                if isinstance(block, String):
                    macros[block.key.lower()] = evaluate(block.value, macros)[0]
                    result.macros.append(block.key)
                    continue
                if isinstance(block, Preamble):
                    if value := preamble_value(block.value, macros):
                        result.preambles.append(value)
                    continue
                entry = _entry_of(block)
                if entry is None:
                    if isinstance(block, ParsingFailedBlock):
                        if not whole:
                            return None
                        result.failures.append(Failure(line, collapse_whitespace(_failure_reason(block))))
                    continue
                converted = _convert(entry, macros, file)
            except Exception as exc:  # one odd entry must not stop the import of the rest
                converted = f"{_describe(block)}: cannot be read ({type(exc).__name__}: {exc})"
            if isinstance(converted, str):
                result.failures.append(Failure(line, collapse_whitespace(converted)[:300]))
            else:
                result.entries.append(converted)
    finally:
        # pylatexenc keeps exceptions it catches in reference cycles with their frames,
        # which reach this one: with the collector off (the command line), they would
        # keep bibtexparser's blocks of the whole text alive until the process ends.
        del library
    return result


def _entry_of(block: object) -> BibEntry | None:
    """The entry a block holds: duplicate keys and repeated fields still count."""
    from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock
    from bibtexparser.model import Entry as BibEntry

    if isinstance(block, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock):
        inner = block.ignore_error_block
        return inner if isinstance(inner, BibEntry) else None
    return block if isinstance(block, BibEntry) else None


def _describe(block: object) -> str:
    raw = getattr(block, "raw", None) or ""
    match = _BLOCK_HEAD.match(raw.lstrip())
    if match:
        return f"@{match.group(1)}{{{match.group(2)}}}" if match.group(2) else f"@{match.group(1)}"
    return "an entry"


def _failure_reason(block: ParsingFailedBlock) -> str:
    from bibtexparser.exceptions import BlockAbortedException

    error = block.error
    why = error.abort_reason.strip() if isinstance(error, BlockAbortedException) \
        else str(error) or type(error).__name__
    raw = block.raw or ""
    unclosed = raw.count("{") - raw.count("}")
    if why.startswith(("Unexpected block start", "Unexpectedly reached end of file")):
        where = "the file ends" if why.startswith("Unexpectedly") else "the next entry starts"
        why = (f"{unclosed} {{ not closed when {where}" if unclosed > 0
               else f"the entry is not closed when {where}")
    why = why.rstrip(". ").replace("`", "'")
    return f"{_describe(block)}: {why[:1].lower()}{why[1:]}"


# ------------------------------------------------------------------------ field values


def evaluate(raw: str, macros: Mapping[str, str], *, strict: bool = False) -> tuple[str, str]:
    """A raw BibTeX value as ``(LaTeX text, value to write back on export)``.

    ``raw`` is what follows ``=``: ``{...}``, ``"..."``, a number, a macro name, or
    parts joined by ``#``. Macros resolve through ``macros`` (lower-case names); an
    unknown macro stands for its own name. The export value is ``raw`` itself when that
    is self-contained and balanced (``{...}``, ``"..."``, a number, a month the file does
    not redefine, or such parts joined by ``#`` with a month among them), or a macro
    the file does not define (IEEEtran's ``journal = IEEE_J_PAMI``, defined in
    ``IEEEabrv.bib``, which is given to BibTeX with it); else the resolved text in braces,
    an unknown macro's name escaped (``IEEE\\_J\\_PAMI``: a bare ``_`` stops pdflatex).
    ``strict``: see :func:`concatenated`.
    """
    raw = raw.strip()
    if len(raw) >= 2 and (raw[0], raw[-1]) in _ENCLOSING:
        inner = raw[1:-1]  # most values: one {...} or "..." with no brace (or quote) inside
        if "{" not in inner and "}" not in inner and \
                (raw[0] == "{" or ('"' not in inner and inner[-1:] != "\\")):
            return inner, raw  # what _evaluated gives them, 6x sooner (tested)
    return _evaluated(raw, macros, strict=strict)


def _evaluated(raw: str, macros: Mapping[str, str], *, strict: bool = False) -> tuple[str, str]:
    """:func:`evaluate` of a stripped ``raw``, part by part. Text joined to months the
    file does not redefine is kept as written (``jun # "--" # aug``): a style spells the
    months its own way (abbrvnat's ``Aug.``)."""
    parts: list[str] = []
    self_contained = True
    unknown = False  # a macro the file does not define
    month = False  # a month macro the file does not define
    count = 0
    for written, inner in concatenated(raw, strict=strict):
        count += 1
        if written[0] in "{\"":
            parts.append(inner)
            # Written back as it is, it would be cut at that quote: write it in braces.
            self_contained = self_contained and not (
                written[0] == '"' and _escaped_quote_outside_braces(inner))
            continue
        if not written.isdigit():
            name = written.lower()
            predefined = name in MONTHS and macros.get(name) == MONTHS[name]
            month = month or predefined
            self_contained = self_contained and predefined
            unknown = unknown or (name not in macros and _MACRO_NAME.fullmatch(written) is not None)
        parts.append(macros.get(written.lower(), written) if not written.isdigit() else written)
    value = "".join(parts)
    if balanced(raw) and ((self_contained and (count == 1 or month)) or (unknown and count == 1)):
        return value, raw
    if unknown or not balanced(value):
        return value, "{" + encode(decode(value)) + "}"
    return value, "{" + value + "}"


class MissingComma(ValueError):
    """A field's value runs into the next field: the comma between them is missing.
    BibTeX rejects the entry; bibtexparser reads the next field as part of the value."""


def concatenated(raw: str, *, strict: bool = False) -> Iterator[tuple[str, str]]:
    """The parts of a stripped field value ``raw`` that ``#`` joins, each as written
    (``{...}``, ``"..."``, a number or a macro name) and as text (without its braces or
    quotes). ``strict``: two parts with no ``#`` between them raise :class:`MissingComma`
    (else they are read as joined, as values stored by earlier versions were)."""
    i, n = 0, len(raw)
    while i < n:
        if raw[i] in "{\"":
            end = _matching_brace(raw, i) if raw[i] == "{" else _closing_quote(raw, i)
            written, inner, i = raw[i : end + 1], raw[i + 1 : end], end + 1
        else:
            match = _TOKEN.match(raw, i)
            written = inner = match.group(0) if match else raw[i]
            i += len(written)
        yield written, inner
        while i < n and raw[i].isspace():
            i += 1
        if i < n and raw[i] == "#":
            i += 1
            while i < n and raw[i].isspace():
                i += 1
        elif i < n and strict:
            following = _TOKEN.match(raw, i)
            raise MissingComma(f"no comma before {(following.group(0) if following else raw[i])[:40]!r} "
                               "(BibTeX expects a ',' between fields)")


def preamble_value(raw: str, macros: Mapping[str, str]) -> str:
    """An ``@preamble`` value as exported: :func:`evaluate`'s value to write back, made
    ASCII (:func:`~papershelf.latex.encode_raw`); empty for an empty preamble, or one
    whose braces do not balance (its LaTeX would be escaped into text)."""
    latex, value = evaluate(raw, macros)
    return encode_raw(value, code=True) if latex.strip() and balanced(latex) else ""


def _matching_brace(text: str, start: int) -> int:
    depth = 0
    for match in _BRACE.finditer(text, start):  # visits only the braces
        if match.group() == "{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return match.start()
    return len(text)


def _closing_quote(text: str, start: int) -> int:
    """Where the ``"..."`` value opened at ``start`` ends: at a quote outside braces, else
    at the text's last character if it is a quote (a brace left open inside the value,
    ``"Unbalanced { brace"``, which BibTeX rejects: bibtexparser ends the value there,
    and its title was ``Unbalanced brace"``), else the length."""
    end = _quote_outside_braces(_BRACE_OR_QUOTE, text, start + 1)
    return len(text) - 1 if end == len(text) and len(text) - 1 > start and text[-1] == '"' else end


def _escaped_quote_outside_braces(text: str) -> bool:
    """Whether ``text`` (a ``"..."`` value's inside) has a ``\\"`` outside braces."""
    return _quote_outside_braces(_BRACE_OR_ESCAPED_QUOTE, text, 0) < len(text)


def _quote_outside_braces(marks: re.Pattern[str], text: str, start: int) -> int:
    """Where the first of the quotes ``marks`` finds (besides braces) outside braces is
    in ``text`` from ``start``; the length if none is."""
    depth = 0
    for match in marks.finditer(text, start):
        ch = match.group()
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            return match.start()
    return len(text)


def retarget_crossrefs(texts: Mapping[str, dict[str, Any]], keys_of: Mapping[str, str]
                       ) -> dict[str, str] | None:
    """Point the ``crossref`` field in the text records ``texts`` (by paper key) at the
    key its target got in the library, ``keys_of`` mapping the case-folded keys of the
    ``.bib`` to the papers' keys: a key the library cannot take as it is
    (``DBLP:conf/cvpr/2020`` has a ``/``, or it is taken) would leave the crossref
    naming no entry of an export. biblatex's ``xref`` (which names an entry without
    giving its fields) is pointed so too. Returns ``None`` if none of ``texts`` has a
    ``crossref``, else the papers whose crossref names a key not in ``keys_of``, each
    to that key."""
    seen = False
    elsewhere: dict[str, str] = {}
    for paper, text in texts.items():
        fields = text.get("fields")
        if not isinstance(fields, dict):
            continue
        if isinstance(fields.get("xref"), str):
            named = crossref_target(fields["xref"])
            if (got := keys_of.get(named.casefold(), named)) != named:
                fields["xref"] = "{" + got + "}"
        if not isinstance(fields.get("crossref"), str):
            continue
        seen = True
        target = crossref_target(fields["crossref"])
        key = keys_of.get(target.casefold())
        if key is None:
            elsewhere[paper] = target
        elif key != target:
            fields["crossref"] = "{" + key + "}"
    return elsewhere if seen else None


def keywords_read_earlier(raw: str) -> list[tuple[str, str]]:
    """Each keyword of the raw ``keywords`` field whose tag versions before 2026-11-23
    read otherwise (a macro's arguments dropped), as (tag now, tag then)."""
    pairs = []
    for part in _KEYWORD_SPLIT.split(evaluate(raw, {})[0]):
        now, then = keywords_to_tags(part), keywords_to_tags(part, arguments_shown=False)
        if len(now) == len(then) == 1 and now != then:
            pairs.append((now[0], then[0]))
    return pairs


def bare_doi(doi: str) -> str:
    """A DOI without the ``https://doi.org/`` or ``doi:`` some exports write before it."""
    return _DOI_PREFIX.sub("", doi.strip())


def earlier_title(entry: Entry) -> str | None:
    """The title of the ``.bib`` ``entry`` as versions before 2026-11-23 read it, when
    that differs: they dropped a macro's arguments (``\\texttt{PyTorch}: ...`` was
    ``\\texttt: ...``), and libraries they imported hold such titles."""
    raw = entry.fields.get("title")
    if raw is None or "\\" not in raw:
        return None
    earlier = decode(evaluate(raw, {})[0], arguments_shown=False)
    return earlier if earlier != entry.title else None


def crossref_target(raw: str) -> str:
    """The key a ``crossref`` field names, from its value as written."""
    return evaluate(raw, {})[0].strip()


# ------------------------------------------------------------------------ conversion


def _convert(block: BibEntry, macros: Mapping[str, str], file: str) -> Entry | str:
    """The papershelf entry of a bibtexparser entry, or why it cannot be imported."""
    values: dict[str, str] = {}
    fields: dict[str, str] = {}
    for field in block.fields:
        name = field.key.strip().lower()
        if not name or name in fields or not isinstance(field.value, str):
            continue  # BibTeX keeps the first of repeated fields
        try:
            values[name], fields[name] = evaluate(field.value, macros, strict=True)
        except MissingComma as exc:
            return f"@{block.entry_type}{{{block.key.strip()}}}: the field {name} has {exc}"
    key = block.key.strip()
    title = decode(values.get("title", ""))
    if not title:
        return f"@{block.entry_type}{{{key}}}: no title"
    if not has_word(title):
        return f"@{block.entry_type}{{{key}}}: the title {quoted(title)} has no letter or digit"
    abstract = decode(values.get("abstract", ""))
    if "key" in fields and _written_by_export(fields["key"], title):
        del fields["key"]  # (an export writes it again, from the title it has then)
    return Entry(
        title=title,
        abstract=abstract,
        links=entry_links(values, abstract),
        source=Source(file=file, listed=None),
        authors=parse_authors(values.get("author") or values.get("editor") or ""),
        year=_year(values),
        bib_key=key or None,
        entry_type=block.entry_type.strip().lower() or "misc",
        fields=fields,
        tags=keywords_to_tags(values.get("keywords", "")),
        note=decode(values.get("annote", ""), collapse=False),
    )


def _written_by_export(raw: str, title: str) -> bool:
    """Whether ``raw``, an entry's ``key`` field, is the one papershelf's export writes
    for a paper of ``title`` with no author (a short title), up to case (a title's case
    corrected in the file): not the entry's own, so not kept, where it would go stale
    when the title changes, or tell another version."""
    from papershelf.exporters.bibtex import key_of_title

    return raw.casefold() == (key_of_title(title) or "").casefold()


def parse_authors(latex: str) -> tuple[str, ...]:
    """BibTeX names (``A and B``) as display strings ``von Last, Jr, First``; ``and
    others`` (BibTeX's "et al.") names no one."""
    return tuple(shown for name in split_names(latex)
                 if name.strip() != "others" and (shown := _display_name(name)))


def split_names(latex: str) -> list[str]:
    """``latex`` split at ``and`` between names, as bibtexparser's
    ``split_multiple_persons_names`` splits it; with one regex when there is no brace or
    backslash to walk around (bibtexparser walks every character in Python: 8x slower)."""
    names = latex.strip(" \r\n\t")
    if "{" in names or "}" in names or "\\" in names:
        from bibtexparser.middlewares.names import split_multiple_persons_names

        quiet_library_logs()
        return [_unprotected(name)
                for name in split_multiple_persons_names(_protected(latex, word_starts=True))]
    return _AND.split(names) if names else []


#: Stand-ins, outside braces, for what bibtexparser reads wrongly in names: a backslash
#: starting a word, which it took for part of the ``and`` before it when splitting names
#: (``A and \c{C}elik`` gave ``{C}elik``), and ``\~`` (a tilde accent), which it took for
#: a tie between words (``Pe\~{n}a`` showed as "Pe na"). Private-use characters, which
#: a name does not hold. Other escapes stay: ``\,`` is no comma between name parts,
#: ``\{`` no brace; inside braces, ``{\'E}mile``, bibtexparser reads the accent for the
#: letter's case.
_BACKSLASH, _TILDE_ACCENT = "\ue001", "\ue002"
_BRACE_OR_ESCAPE = re.compile(r"([{}]|\\.)", re.DOTALL)


def _protected(latex: str, *, word_starts: bool = False) -> str:
    r"""``latex`` with ``\~`` outside braces stood in for, and, if ``word_starts``, the
    backslash of a command starting a word outside braces too (:data:`_BACKSLASH`)."""
    if "\\" not in latex or _BACKSLASH in latex or _TILDE_ACCENT in latex:
        return latex
    out: list[str] = []
    depth = 0
    for part in _BRACE_OR_ESCAPE.split(latex):
        if part == "{":
            depth += 1
        elif part == "}":
            depth = max(depth - 1, 0)
        elif depth == 0 and part == "\\~":
            part = _TILDE_ACCENT
        elif depth == 0 and word_starts and part[:1] == "\\" and len(part) == 2 \
                and (not out or out[-1][-1:].isspace()) and (part[1].isalpha() or part[1] in "'\"^`=."):
            part = _BACKSLASH + part[1]
        out.append(part)
    return "".join(out)


def _unprotected(text: str) -> str:
    return text.replace(_TILDE_ACCENT, "\\~").replace(_BACKSLASH, "\\")


@functools.lru_cache(maxsize=16384)
def _display_name(name: str) -> str:
    """One BibTeX name as ``von Last, Jr, First`` (cached: names recur from entry to entry)."""
    from bibtexparser.middlewares.names import parse_single_name_into_parts

    quiet_library_logs()
    parts = parse_single_name_into_parts(_protected(name), strict=False)
    von_last = " ".join(decode(_unprotected(w)) for w in (*parts.von, *parts.last))
    jr = " ".join(decode(_unprotected(w)) for w in parts.jr)
    first = " ".join(decode(_unprotected(w)) for w in parts.first)
    return ", ".join(p for p in (von_last, jr, first) if p)


def _year(values: Mapping[str, str]) -> str | None:
    year = decode(values.get("year", ""))
    if not year:
        date = decode(values.get("date", ""))
        year = date[:4] if date[:4].isdigit() else ""
    return year or None


def entry_links(values: Mapping[str, str], abstract: str = "") -> tuple[str, ...]:
    """Links of an entry: ``url``, the DOI, the arXiv id, then those in the text."""
    links: list[str] = []
    if url := values.get("url", "").strip():  # (most entries have few of these fields)
        url = _URL_WRAPPER.sub(r"\1", _url_unescaped(url)).strip()
        if _HTTP_URL.match(url):
            links.append(url)
    if doi := values.get("doi", "").strip():
        doi = bare_doi(_url_unescaped(doi))
        if doi and not any(ch.isspace() for ch in doi):
            links.append(f"https://doi.org/{doi}")
    archive = (values.get("archiveprefix") or values.get("eprinttype") or "").strip().lower()
    eprint = values.get("eprint", "").strip()
    if archive == "arxiv" and _ARXIV_ID.match(eprint):
        links.append(f"https://arxiv.org/abs/{eprint}")
    if howpublished := values.get("howpublished", ""):
        links.extend(extract_links(decode(howpublished)))
    links.extend(extract_links(abstract))
    return tuple(dict.fromkeys(links))


def _url_unescaped(value: str) -> str:
    """A ``url`` or ``doi`` field's value with its escaped characters plain."""
    return _URL_ESCAPE.sub(lambda m: m.group(1) or m.group(2), value)


def keywords_to_tags(latex: str, **reading: bool) -> tuple[str, ...]:
    """The ``keywords`` field as valid tags: split at ``,`` or ``;``, spaces become ``-``
    (``reading``: :func:`~papershelf.latex.decode`'s options)."""
    return merge_tags([], [tag for _keyword, tag in _keywords_read(latex, **reading)
                           if tag and tag_problem(tag) is None])


def untaggable_keywords(latex: str) -> list[str]:
    """The keywords of a ``keywords`` field that make no valid tag (one longer than 64
    characters), as read: an export keeps them, which the paper's tags cannot."""
    return [keyword.strip() for keyword, tag in _keywords_read(latex)
            if tag and tag_problem(tag) is not None]


def _keywords_read(latex: str, **reading: bool) -> Iterator[tuple[str, str]]:
    """Each keyword of a ``keywords`` field, with the tag it makes if valid."""
    if not latex.strip():
        return
    for keyword in _KEYWORD_SPLIT.split(drop_invisible(decode(latex, **reading))):
        # "deep - learning" is deep-learning; a tag's own "--" or final "-" stays
        yield keyword, "-".join(part for part in _TAG_DROP.sub("", keyword).split()
                                if part.strip("-")).lstrip("-#")  # "#ml" (a hashtag) is ml
