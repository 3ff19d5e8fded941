"""The command line: headless commands for scripts, and the entry point of the TUI.

Headless commands never import Textual (a test checks this); the TUI is imported
only when no command is given. Every failure is one line on stderr starting
``papershelf: error:``, exit status 1 (2 for usage errors), and changes nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from papershelf import __version__
from papershelf.errors import InputError, LibraryError, PapershelfError, UnknownKeyError, UsageError, quoted
from papershelf.exporters import FORMATS
from papershelf.paths import file_path, private_dir, user_dir, user_path, user_temp_path
from papershelf.tags import check_tag
from papershelf.text import drop_controls, lf_line_ends, one_line, plural, shown

if TYPE_CHECKING:
    from papershelf.changes import Change, ImportReport
    from papershelf.library import Library
    from papershelf.model import Paper
    from papershelf.search import Results

PROG = "papershelf"
ENV_LIBRARY = "PAPERSHELF_LIBRARY"


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, but sizing itself without ``shutil``: the parser makes
    a formatter for every argument it adds, and importing ``shutil`` (with its ``bz2``
    and ``lzma``) costs every command a few milliseconds of start-up."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        if width is None:  # what shutil.get_terminal_size() would say, minus 2 as argparse does
            width = _columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


def _columns() -> int:
    """The terminal's width as :func:`shutil.get_terminal_size` finds it: ``$COLUMNS``,
    else the terminal on stdout (where help goes), else 80; zero or less means unknown."""
    with contextlib.suppress(KeyError, ValueError):
        columns = int(os.environ["COLUMNS"])
        if columns > 0:
            return columns
    with contextlib.suppress(ValueError, OSError):
        columns = os.get_terminal_size(1).columns
        if columns > 0:
            return columns
    return 80


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit status 2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, f"see {self.prog} --help")

    def _parse_optional(self, arg_string: str) -> Any:
        if _reads_as_query_term(arg_string):
            return None
        return super()._parse_optional(arg_string)


def _reads_as_query_term(arg: str) -> bool:
    """Whether a command-line argument is a query term, not an option. A query term may
    start with "-" (-tag:done, -is:read, -word): only a short option spelled alone is
    one, so "-has:link" is not -h with "as:link"."""
    return arg[:1] == "-" and arg[1:2] != "-" and len(arg) > 2


def default_library() -> Path:
    """``$PAPERSHELF_LIBRARY``, else the platform's user data directory."""
    env = os.environ.get(ENV_LIBRARY)
    if env:
        return user_path(env)
    data = user_dir("data")
    if data is None:
        raise LibraryError("no home directory to keep the library in",
                           f"set HOME, or pick a library with --library DIR or ${ENV_LIBRARY}")
    return data / "library"


def demo_library() -> Path:
    """The demo's library: ``papershelf-demo-UID`` in the temporary directory, this
    user's alone (:func:`~papershelf.paths.private_dir`)."""
    path = user_temp_path("papershelf-demo")
    try:
        return private_dir(path)
    except OSError as exc:
        raise LibraryError(f"cannot use the demo library {path}: {getattr(exc, 'strerror', None) or exc}",
                           "set TMPDIR to a directory of your own") from None


# --------------------------------------------------------------------------- parser


def _output_path(text: str) -> Path:
    """``-o``'s file: a name that starts with ``-`` (``-o -tag:a refs.bib``) is more likely
    a query term typed after ``-o`` than a file name."""
    if not text:  # Path("") is the current directory
        raise argparse.ArgumentTypeError("the file name is empty")
    if _reads_as_query_term(text):
        raise argparse.ArgumentTypeError(
            f"{quoted(text)} looks like a query term, not a file name (for a file of that name, "
            f"write ./{text})")
    try:
        return file_path(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


#: A command's help line, and what sets up its parser given the arguments after its name.
_Setup = Callable[[argparse.ArgumentParser, "Sequence[str] | None"], None]
_Command = tuple[str, _Setup]
#: The options before a command that take no value, and the one that takes a value.
_FLAGS = ("--debug", "--demo")
_VALUE_OPTION = "--library"


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser of every command; given the ``argv`` it is to parse, only of
    the command that ``argv`` names (when it surely names one), which parses ``argv``
    exactly as the whole parser does.

    Setting up the parsers of every command took 2-3 ms, a twentieth of a short
    command's whole run; the whole parser is still built for what needs it (help
    before the command, an unknown or abbreviated option, no command)."""
    parser = _Parser(prog=PROG, description="A keyboard-driven reading list for research papers. "
                     "With no command, opens the TUI.")
    parser.add_argument(_VALUE_OPTION, metavar="DIR", type=_directory,
                        help=f"library directory (default: ${ENV_LIBRARY} or the user data dir)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--demo", action="store_true",
                        help="open the TUI on a demo library of the bundled samples "
                        "(papershelf-demo-UID in the temporary directory, kept between runs)")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _add_commands(parser, _COMMANDS, argv, dest="command", metavar="COMMAND")
    return parser


def _add_commands(parser: argparse.ArgumentParser, commands: dict[str, _Command],
                  argv: Sequence[str] | None, dest: str, metavar: str,
                  required: bool = False) -> None:
    """Add ``commands`` as subcommands of ``parser``: only the one ``argv`` names, when
    :func:`_named_command` finds it, else all of them."""
    sub = parser.add_subparsers(dest=dest, metavar=metavar, parser_class=_Parser)
    sub.required = required
    chosen = _named_command(argv, commands) if argv is not None else None
    for name, (what, setup) in commands.items():
        if chosen is None or name == chosen[0]:
            setup(sub.add_parser(name, help=what), chosen[1] if chosen else None)


def _named_command(argv: Sequence[str], commands: dict[str, _Command]
                   ) -> tuple[str, Sequence[str]] | None:
    """The command of ``commands`` that ``argv`` names and the arguments after it, or
    ``None`` unless that is sure: an option before it other than the top level's own
    (``--library DIR``, ``--debug``, ``--demo``), spelled out in full, leaves it to the
    whole parser (help, an abbreviation, an error)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == _VALUE_OPTION:
            i += 2
        elif arg in _FLAGS or arg.startswith(_VALUE_OPTION + "="):
            i += 1
        elif arg.startswith("-"):
            return None
        else:
            return (arg, argv[i + 1:]) if arg in commands else None
    return None


#: The top level's options, as argparse reads them (a unique prefix stands for its option).
_TOP_OPTIONS = (_VALUE_OPTION, *_FLAGS, "--version", "--help")


def _unknown_top_option(argv: Sequence[str]) -> str | None:
    """The first option before the command that the top level does not know, if any:
    argparse would skip it and read what follows as the command (``--libary DIR stats``
    said "invalid choice: 'DIR'"). ``None`` whenever :func:`_named_command` names one."""
    i = 0
    while i < len(argv) and argv[i].startswith("-") and argv[i] not in ("-", "--"):
        if not argv[i].startswith("--"):  # -h is help; no other short option is known
            return None if argv[i] == "-h" else argv[i]
        name = argv[i].split("=", 1)[0]
        known = [o for o in _TOP_OPTIONS if o.startswith(name)]
        if len(known) != 1:
            return name if not known else None  # an ambiguous prefix: argparse says so
        i += 2 if known[0] == _VALUE_OPTION and "=" not in argv[i] else 1
    return None


def _setup_import(p: argparse.ArgumentParser, _argv: Sequence[str] | None) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="files to import; - reads stdin")
    p.add_argument("--clipboard", action="store_true", help="import the clipboard's text")
    p.add_argument("--tag", action="append", default=[], metavar="T", help="tag every imported paper")
    p.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    p.add_argument("--update", action="store_true",
                   help="papers of a .bib already here take their entry's title, authors, year, type "
                        "and fields (tags, note and read state stay)")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.set_defaults(run=cmd_import)


def _setup_list(p: argparse.ArgumentParser, _argv: Sequence[str] | None) -> None:
    p.add_argument("query", nargs="*", help="query (see README: words, \"phrases\", tag:, is:, has:)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print papers as JSON")
    fmt.add_argument("--keys", action="store_true", help="print only keys")
    p.add_argument("--limit", type=_positive_int, metavar="N", help="at most N papers")
    p.add_argument("--sort", choices=["added", "title", "relevance"],
                   help="order (default: relevance with words, else newest first)")
    p.set_defaults(run=cmd_list)


def _setup_show(p: argparse.ArgumentParser, _argv: Sequence[str] | None) -> None:
    p.add_argument("key")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the paper as JSON")
    fmt.add_argument("--bibtex", action="store_true", help="print the paper as BibTeX")
    p.set_defaults(run=cmd_show)


def _setup_tag(p: argparse.ArgumentParser, argv: Sequence[str] | None) -> None:
    _add_commands(p, _TAG_ACTIONS, argv, dest="tag_command", metavar="ACTION", required=True)


def _setup_tag_change(run: Callable[[argparse.Namespace], int]
                      ) -> _Setup:
    def setup(p: argparse.ArgumentParser, _argv: Sequence[str] | None) -> None:
        p.add_argument("tag", metavar="TAG")
        _add_targets(p)
        p.set_defaults(run=run)
    return setup


def _setup_tag_list(p: argparse.ArgumentParser, _argv: Sequence[str] | None) -> None:
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(run=cmd_tag_list)


def _setup_tag_rename(p: argparse.ArgumentParser, _argv: Sequence[str] | None) -> None:
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    p.set_defaults(run=cmd_tag_rename)


def _setup_read_state(run: Callable[[argparse.Namespace], int]
                      ) -> _Setup:
    def setup(p: argparse.ArgumentParser, _argv: Sequence[str] | None) -> None:
        _add_targets(p)
        p.set_defaults(run=run)
    return setup


def _setup_note(p: argparse.ArgumentParser, _argv: Sequence[str] | None) -> None:
    p.add_argument("key")
    p.add_argument("text", nargs="?", help="the note; - reads stdin; omitted: $EDITOR or print")
    p.set_defaults(run=cmd_note)


#: What a file name's suffix says it holds, for a warning when ``--format`` says otherwise.
_FORMAT_OF_SUFFIX = {".json": "json", ".md": "markdown", ".markdown": "markdown", ".bib": "bibtex"}


class _StoreFormat(argparse.Action):
    """``--format``, noting that it was given (``format_given``)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        namespace.format_given = True


def _setup_export(p: argparse.ArgumentParser, _argv: Sequence[str] | None) -> None:
    p.add_argument("query", nargs="*", help="only papers matching this query")
    p.add_argument("--format", choices=FORMATS, default="bibtex", action=_StoreFormat)
    p.set_defaults(format_given=False)
    p.add_argument("-o", "--output", type=_output_path, metavar="FILE", help="write to FILE, not stdout")
    p.set_defaults(run=cmd_export)


def _setup_keys(run: Callable[[argparse.Namespace], int]
                ) -> _Setup:
    def setup(p: argparse.ArgumentParser, _argv: Sequence[str] | None) -> None:
        p.add_argument("keys", nargs="+", metavar="KEY")
        p.set_defaults(run=run)
    return setup


def _setup_stats(p: argparse.ArgumentParser, _argv: Sequence[str] | None) -> None:
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(run=cmd_stats)


def _directory(text: str) -> Path:
    if not text.strip():  # Path("") is the current directory
        raise argparse.ArgumentTypeError("an empty path is not a directory")
    return Path(text)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{quoted(text)} is not a number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


class _StoreOnce(argparse.Action):
    """An option given at most once: a second ``--query`` would otherwise silently take
    the first one's place, and the command change other papers than meant."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        if getattr(namespace, self.dest, None) is not None:
            raise UsageError(f"{option_string} is given twice",
                             "give it once, with every term in one quoted query")
        setattr(namespace, self.dest, values)


def _add_targets(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("keys", nargs="*", metavar="KEY", help="papers to change")
    parser.add_argument("--query", metavar="Q", action=_StoreOnce,
                        help="every paper matching Q instead of keys")


# --------------------------------------------------------------------------- helpers


def _open(args: argparse.Namespace) -> Library:
    """The command's library, kept in ``args`` too (:func:`_saved_before_interrupt`)."""
    from papershelf.library import Library

    library = args.opened = Library(args.library or default_library())
    return library


def _saved_before_interrupt(args: argparse.Namespace | None, exc: KeyboardInterrupt) -> bool:
    """Whether the command ``exc`` stopped had saved its change: in the commit, or once
    it was done (a ^C as the library is read again after it, or the command prints)."""
    from papershelf.errors import SavedInterrupt

    return isinstance(exc, SavedInterrupt) or _saved(args)


def _saved(args: argparse.Namespace | None) -> bool:
    """Whether the command has saved a change to its library."""
    opened = getattr(args, "opened", None)
    return bool(opened is not None and opened.saved)


def _open_for_dry_run(args: argparse.Namespace, cleanup: contextlib.ExitStack) -> Library:
    """The library a dry run compares against: where none is yet (nothing there, or a
    directory holding no library), an empty one in a temporary directory (removed by
    ``cleanup``, also on SIGTERM or SIGHUP), so that the dry run creates nothing and
    reports what an import into a new library would do."""
    from papershelf.library import Library

    root = user_path(args.library or default_library())
    if not _creatable(root):
        return _open(args)  # (where it cannot be made: fails as the import would, making nothing)
    import tempfile

    cleanup.enter_context(_hangup_as_interrupt(True))  # (left last: the directory goes first)
    stand_in = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="papershelf-dry-run-"))
    return Library(Path(stand_in) / "library")


def _creatable(root: Path) -> bool:
    """Whether a new library could be made at ``root``: a directory holding no library
    that this process may add to, or nothing, where the nearest existing ancestor is a
    directory it may add to (not a file, nor read-only)."""
    if os.path.lexists(root):
        from papershelf.library import META_FILE
        from papershelf.shard import PAPERS_DIR, TEXTS_DIR

        # (a lookup, not a listing: a directory may be searchable and not readable)
        return os.path.isdir(root) and os.access(root, os.W_OK | os.X_OK) and not any(
            os.path.lexists(root / name) for name in (META_FILE, PAPERS_DIR, TEXTS_DIR))
    ancestor = root.absolute()
    while not os.path.lexists(ancestor) and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    return os.path.isdir(ancestor) and os.access(ancestor, os.W_OK | os.X_OK)


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _warn(text: str) -> None:
    sys.stderr.write(f"{PROG}: warning: {text}\n")


def _case_renames(library: Library, keys: Iterable[str] | None) -> dict[str, str]:
    """The library's :meth:`~papershelf.library.Library.case_renames`, with a warning for
    each key of ``keys`` (of every paper when ``None``) a BibTeX export writes otherwise."""
    renames = library.case_renames()
    if renames:
        chosen = None if keys is None else set(keys)
        for first, *later in library.case_clashes():
            for key in later:
                if chosen is None or key in chosen:
                    _warn(f"the keys {first!r} and {key!r} differ only in case, which BibTeX "
                          f"does not tell apart: {key!r} is written as {renames[key]!r} "
                          "(cite it so)")
    return renames


def _dump_json(data: Any) -> None:
    import orjson

    _write_out([orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"])


def _write_out(pieces: Iterable[str | bytes | memoryview]) -> None:
    """Write ``pieces`` to stdout as UTF-8 whatever the locale (what a ``.bib`` or JSON
    file holds), bytes straight to its buffer."""
    from papershelf.exporters import write_pieces

    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (tests redirecting stdout to StringIO)
        sys.stdout.writelines(p if isinstance(p, str) else str(p, "utf-8") for p in pieces)
    else:
        write_pieces(buffer, pieces)


def _search(library: Library, query: str, limit: int | None = None,
            sort: str | None = None, *, ranked: bool = True) -> Results:
    """Search ``library`` for ``query``; a query with bad filters is a usage error.
    Not ``ranked``: the results in no particular order (:func:`~papershelf.search.search`)."""
    from papershelf.search import Query, search

    parsed = Query.parse(query)
    if parsed.problems:
        raise UsageError(f"bad query: {parsed.problems[0]}", "see the query language in the README")
    for notice in parsed.notices:
        _warn(notice)
    if parsed.looks_up_words:  # built on every core if missing, not one by one
        library.index_for_search()
    return search(library.catalog(), parsed, sort=sort, limit=limit,  # type: ignore[arg-type]
                  ranked=ranked)


def _query_keys(library: Library, query: str, *, ranked: bool = True) -> list[str]:
    """The keys of the papers matching ``query``, best first (not ``ranked``: in no
    particular order, for a change to all of them). A query left with nothing
    to match (``--query ""``, ``--query 🎉``) is a usage error, not every paper: it is
    more likely an empty variable or a typo than a wish to change them all."""
    results = _search(library, query, ranked=ranked)
    if results.query.empty:
        raise UsageError(f"the query {quoted(query)} has nothing to match",
                         'give a word, a "phrase" or a filter such as tag:NAME or is:unread')
    return results.keys()


def _targets(library: Library, args: argparse.Namespace) -> list[str]:
    """The keys a command acts on: explicit keys or ``--query``, not both."""
    if args.query is not None and args.keys:
        quote = f"{_quote_query([args.query, *args.keys])}, or " \
            if getattr(args, "keys_after_query", False) else ""
        raise UsageError("give keys or --query, not both", f"{quote}see {PROG} {_command_words(args)} --help")
    if args.query is not None:  # every one changed alike: no need to rank them
        keys = _query_keys(library, args.query, ranked=False)
        if not keys:
            raise PapershelfError(f"no paper matches {quoted(args.query)}", "try papershelf list QUERY")
        return keys
    if not args.keys:
        raise UsageError("give at least one KEY or --query Q", f"see {PROG} {args.command} --help")
    return library.require(args.keys)


def _with_targets(chosen: Sequence[str], written: Sequence[str]) -> str:
    """``N papers``, with the papers their crossrefs name that came along
    (:meth:`~papershelf.library.Library.with_crossref_targets`)."""
    extra = len(written) - len(chosen)
    if not extra:
        return plural(len(chosen))
    one = len(chosen) == 1
    return f"{plural(len(chosen))} and {plural(extra)} {'it' if one else 'they'} " \
           f"cross-reference{'s' if one else ''}"


# --------------------------------------------------------------------------- commands


def cmd_import(args: argparse.Namespace) -> int:
    """``import PATH... [--clipboard] [--tag T]... [--dry-run] [--update] [--json]``."""
    from papershelf.importers import Failure, definitions_only, in_pieces, parse_input, read_input
    from papershelf.model import Entry

    if not args.paths and not args.clipboard:
        raise UsageError("give files to import, - for stdin, or --clipboard",
                         f"see {PROG} import --help")
    if args.paths.count("-") > 1:
        raise UsageError("- (stdin) can only be given once", f"see {PROG} import --help")
    for tag in args.tag:  # before any file is read: a big one takes seconds
        check_tag(tag)
    inputs: list[tuple[str, bytes, str]] = []
    if args.clipboard:
        from papershelf.clipboard import paste_text

        inputs.append(("<clipboard>", paste_text().encode(), "the clipboard"))
    for path in args.paths:
        name, data = read_input(path)
        inputs.append((name, data, "standard input" if path == "-" else path))
    entries: list[Entry] = []
    preambles: list[str] = []
    failures: list[tuple[str, Failure]] = []
    total = sum(len(data) for _, data, _ in inputs)
    show = sys.stderr.isatty() and (total >= _PROGRESS_BYTES or len(inputs) > 3)
    with _Progress(total, enabled=show) as progress, contextlib.ExitStack() as cleanup:
        for name, data, label in inputs:
            progress.reading(name, still=in_pieces(name, data))
            result = parse_input(name, data, label)
            if (defined := definitions_only(result)) is not None:
                _warn(f"{name}: {defined}")
            entries.extend(result.entries)
            preambles.extend(result.preambles)
            failures.extend((name, f) for f in result.failures)
            progress.advance(len(data))
        progress.saving(len(entries))
        library = _open(args) if not args.dry_run else _open_for_dry_run(args, cleanup)
        report = library.add(entries, args.tag, dry_run=args.dry_run, preambles=preambles,
                             update=args.update)
        interrupted = False
        index_error: Exception | None = None
        if report.change is not None and not report.change.empty:
            progress.indexing()
            try:
                library.update_indexes(report.change.keys)
            except KeyboardInterrupt:  # the papers are saved: only the search cache is short
                interrupted = True
            except Exception as exc:  # a damaged file, say: the papers are saved all the same
                index_error = exc
    for title in report.failed:  # so far, titles that name no paper (the parsers skip them)
        _warn(f"skipped {quoted(title)}: a title needs a letter or a digit")
    for name, failure in failures:
        _warn(f"{name}:{failure.line}: skipped {failure.reason}")
    report.failed.extend(f"{name}:{f.line}" for name, f in failures)
    _print_import(report, args)
    if index_error is not None:  # said as any failure is (main), after what was saved
        _warn("the papers are imported, but indexing them for search failed:")
        raise index_error
    if interrupted:
        sys.stderr.write(f"{PROG}: error: interrupted while indexing for search; the papers "
                         "are imported, and the first search indexes the rest\n")
        return 130
    return 0


#: How many warnings of one kind (changed ``.bib`` keys, ...) an import gives one by one.
_WARNINGS_SHOWN = 5


def _warn_some(warnings: Sequence[str], more: str) -> None:
    """Each of ``warnings``, or the first three and how many ``more`` there are."""
    shown = warnings if len(warnings) <= _WARNINGS_SHOWN else warnings[:3]
    for warning in shown:
        _warn(warning)
    if len(shown) < len(warnings):
        _warn(f"... and {len(warnings) - len(shown)} {more}")


def _print_import(report: ImportReport, args: argparse.Namespace) -> None:
    if args.json:
        _dump_json({"new": report.new, "existing": report.existing, "failed": report.failed,
                    "renamed": report.renamed, "missing_crossrefs": report.missing_crossrefs,
                    "differing": report.differing,
                    "notes_kept": report.notes_kept, "updated": report.updated,
                    "dry_run": bool(args.dry_run)})
        return
    _warn_some([f".bib key {quoted(bib_key)} is {report.renamed_keys(bib_key)} here "
                f"({report.why_renamed(bib_key)})" for bib_key in report.renamed],
               "more .bib keys are changed (import --json lists them)")
    _warn_some([report.missing_crossref(key) for key in report.missing_crossrefs],
               "more crossrefs name keys held nowhere here")
    _warn_some([report.why_differing(bib_key) for bib_key in report.differing],
               "more entries differ from the paper of their title (import --json lists them)")
    _warn_some([f"{key} kept its own note, not the other one its entry's annote holds"
                for key in report.notes_kept], "more papers kept their own note")
    if args.dry_run:
        for key in report.new:
            _out(f"+ {key}  {report.titles[key]}")
        updated = set(report.updated)
        for key in dict.fromkeys(report.existing):
            _out(f"{'~' if key in updated else '='} {key}  {report.titles[key]}")
        _out(f"would import: {report.summary()} (dry run: nothing changed)")
        if args.update:
            _out(_updated("would update", report.updated))
        return
    _out(report.summary())
    if args.update:
        _out(_updated("updated", report.updated) + (f": {', '.join(report.updated)}"
                                                    if 0 < len(report.updated) <= _WARNINGS_SHOWN else ""))


def _updated(verb: str, keys: Sequence[str]) -> str:
    """What ``import --update`` did (``verb``) to the papers of ``keys``."""
    entries = "its .bib entry" if len(keys) == 1 else "their .bib entries"
    return f"{verb} {plural(len(keys))} from {entries}"


_PROGRESS_BYTES = 2 * 2**20


class _Progress:
    """A progress bar on stderr for long imports; does nothing unless ``enabled``
    (stderr is a terminal and the import is big). Saving and indexing are drawn as they
    start, however soon the next phase comes."""

    def __init__(self, total_bytes: int, enabled: bool) -> None:
        self._progress: Any = None
        self._still_line = False
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

            self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                      DownloadColumn(), console=Console(stderr=True),
                                      transient=True)
            self._task = self._progress.add_task("reading", total=total_bytes)

    def __enter__(self) -> _Progress:
        if self._progress:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress:
            self._progress.stop()
        if self._still_line:
            sys.stderr.write("\r\x1b[K")  # erase it, as the bar erases itself
            sys.stderr.flush()

    def reading(self, name: str, still: bool = False) -> None:
        """Announce the file being parsed; ``still`` if it is parsed on every core (a
        big ``.bib``), which the bar's refresh thread would prevent."""
        if still or self._still_line:
            self._still(f"reading {name}...")
        elif self._progress:
            self._progress.update(self._task, description=f"reading {name}")

    def advance(self, nbytes: int) -> None:
        """Count ``nbytes`` as parsed."""
        if self._progress:
            self._progress.update(self._task, advance=nbytes)

    def saving(self, count: int) -> None:
        """Switch to the (indeterminate) saving phase."""
        if self._progress:
            self._progress.update(self._task, description=f"saving {plural(count)}",
                                  total=None, refresh=True)
        elif self._still_line:
            self._still(f"saving {plural(count)}...")

    def indexing(self) -> None:
        """Switch to the indexing phase, on a still line (the indexes are built on every
        core)."""
        self._still("indexing for search...")

    def _still(self, text: str) -> None:
        """Show ``text`` on a still line instead of the bar, whose refresh thread would
        keep work from being done on every core (workers are forked only in a process
        running no other thread)."""
        if self._progress:
            self._progress.stop()
            self._progress = None
            from papershelf.forked import wait_until_alone

            wait_until_alone(1.0)  # the bar's refresher: told to stop, gone at its next tick
        elif not self._still_line:
            return  # no bar was shown (not a terminal, or a small import)
        sys.stderr.write(f"\r\x1b[K{text}")
        sys.stderr.flush()
        self._still_line = True


def cmd_list(args: argparse.Namespace) -> int:
    """``list [QUERY] [--json | --keys] [--limit N] [--sort ...]``."""
    library = _open(args)
    query = " ".join(args.query)
    results = _search(library, query, args.limit, args.sort)
    if results.query.empty and query.strip() and not results.query.notices:  # '-', '"'
        _warn(f"{quoted(query)} holds no word, phrase or filter: it matches every paper")
    if args.json:  # streamed a batch at a time, as export --format json writes it
        from papershelf.exporters import json_pieces

        _write_out(json_pieces(library.iter_json(results.keys(), skip_gone=True)))
        return 0
    catalog = results.catalog
    if args.keys:
        sys.stdout.write("".join(catalog.keys[i] + "\n" for i in results.ordinals))
        return 0
    width = max((len(catalog.keys[i]) for i in results.ordinals), default=0)
    lines = []
    for i in results.ordinals:
        record = catalog.records[i]
        mark = "✓" if record.get("read") else " "
        tags = record.get("tags")
        tags = "  " + one_line(" ".join(f"#{t}" for t in tags)) if tags else ""
        lines.append(f"{mark} {catalog.keys[i]:<{width}}  {one_line(record['title'])}{tags}\n")
    sys.stdout.write("".join(lines))
    if sys.stdout.isatty():
        sys.stderr.write(f"{plural(len(results))} of {len(catalog)}\n")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """``show KEY [--json | --bibtex]``."""
    library = _open(args)
    paper = library.get(library.require([args.key])[0])
    if args.json:
        _dump_json(paper.to_json())
    elif args.bibtex:
        from papershelf.exporters.bibtex import to_bibtex

        keys = library.with_crossref_targets([paper.key])
        sys.stdout.write(to_bibtex([paper, *library.papers(keys[1:])], _case_renames(library, keys)))
    else:
        sys.stdout.write(shown(format_paper(paper)))
    return 0


def format_paper(paper: Paper, width: int | None = None) -> str:
    """A paper as readable text (what ``show`` prints)."""
    import shutil
    import textwrap

    width = width or min(100, shutil.get_terminal_size((88, 24)).columns)
    rows = [("key", paper.key), ("tags", ", ".join(paper.tags) or "-"),
            ("read", f"yes ({paper.read_at})" if paper.read and paper.read_at else
             "yes" if paper.read else "no"),
            ("added", paper.added)]
    if paper.authors:
        from papershelf.model import author_line

        rows.append(("authors", author_line(paper.authors, paper.fields)))
    if paper.year:
        rows.append(("year", paper.year))
    rows += [("link", link) for link in paper.links]
    rows += [("source", f"{s.file}" + (f" ({s.listed})" if s.listed else "")) for s in paper.sources]
    out = [paper.title, ""] + [f"{name + ':':<9}{value}" for name, value in rows]
    if paper.abstract:
        out += ["", textwrap.fill(paper.abstract, width)]
    if paper.note:
        out += ["", "Note:", paper.note.rstrip("\n")]
    return "\n".join(out) + "\n"


def _change_report(verb: str, change: Change, total: int, extra: str = "",
                   unchanged_as: str = "already") -> None:
    """What a change to ``total`` papers did: ``tagged 3 papers with x (1 already)``."""
    changed, gone = len(change.keys), len(change.gone)
    unchanged = total - changed - gone
    tails = [f"{unchanged} {unchanged_as}"] if unchanged else []
    if gone:
        tails.append(f"{gone} deleted meanwhile by another papershelf")
    _out(f"{verb} {plural(changed)}{extra}" + (f" ({'; '.join(tails)})" if tails else ""))


def _skip_gone(args: argparse.Namespace) -> bool:
    """Whether a command leaves out the papers another process deleted since it found
    them: those of its ``--query``, which the user never named (a key typed is
    required, and a failed command changes nothing)."""
    return args.query is not None


def _tag_targets(library: Library, args: argparse.Namespace) -> list[str]:
    """:func:`_targets` of ``tag add``/``tag rm``, whose TAG comes first: a paper's key
    typed there, then one word that is no key (``tag add languagebind to-read``), says
    that the tag comes first, if that was meant."""
    try:
        return _targets(library, args)
    except UnknownKeyError as exc:
        if args.query is None and args.keys == [exc.key] and args.tag in library:
            swapped = _own_command(args, f"tag {args.tag_command} {exc.key} {args.tag}")
            raise UnknownKeyError(exc.key, f"{exc.hint}; or, if {quoted(args.tag)} is the paper, "
                                  f"the tag comes first: {swapped}") from None
        raise


def cmd_tag_add(args: argparse.Namespace) -> int:
    """``tag add TAG KEY... | --query Q``."""
    check_tag(args.tag)  # a usage error goes before an unknown key
    library = _open(args)
    keys = _tag_targets(library, args)
    change = library.tag(keys, args.tag, skip_gone=_skip_gone(args))
    _change_report("tagged", change, len(keys), f" with {args.tag}")
    return 0


def cmd_tag_rm(args: argparse.Namespace) -> int:
    """``tag rm TAG KEY... | --query Q``."""
    library = _open(args)
    keys = _tag_targets(library, args)
    tag = library.tag_named(args.tag, keys)
    change = library.untag(keys, tag, skip_gone=_skip_gone(args))
    _change_report(f"removed {tag} from", change, len(keys),
                   unchanged_as="did not have it")
    return 0


def cmd_tag_list(args: argparse.Namespace) -> int:
    """``tag list [--json]``."""
    tags = _open(args).tags()
    if args.json:
        _dump_json(tags)
    else:
        sys.stdout.write("".join(f"{count:>6}  {one_line(tag)}\n" for tag, count in tags.items()))
    return 0


def cmd_tag_rename(args: argparse.Namespace) -> int:
    """``tag rename OLD NEW``."""
    check_tag(args.new)  # a usage error goes before the library is read
    library = _open(args)
    old = library.tag_named(args.old)
    change = library.rename_tag(old, args.new)
    if change.keys:
        _out(f"renamed {old} to {args.new} on {plural(len(change.keys))}")
    else:
        _out(f"nothing to rename: every paper tagged {old} is tagged {args.new} already")
    return 0


def cmd_read(args: argparse.Namespace) -> int:
    """``read KEY... | --query Q``."""
    library = _open(args)
    keys = _targets(library, args)
    _change_report("marked read", library.set_read(keys, True, skip_gone=_skip_gone(args)), len(keys))
    return 0


def cmd_unread(args: argparse.Namespace) -> int:
    """``unread KEY... | --query Q``."""
    library = _open(args)
    keys = _targets(library, args)
    _change_report("marked unread", library.set_read(keys, False, skip_gone=_skip_gone(args)), len(keys))
    return 0


def _signal_name(number: int) -> str:
    """``SIGTERM`` for 15; the number when no signal has it."""
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


#: The most characters ``note KEY -`` reads (a book's text is a tenth of it).
_MAX_PIPED_NOTE = 16_000_000


def _piped_note(key: str) -> str:
    """The note read from standard input, less a leading byte order mark (an editor's
    "UTF-8 with BOM"). Input that shows nothing is an error, so that a pipe that failed
    upstream never wipes a note: it often still sends a newline (echo
    "$(failing-command)"), and a file saved empty may hold a BOM or a zero-width space."""
    import unicodedata

    note = sys.stdin.read(_MAX_PIPED_NOTE + 2).removeprefix("\ufeff")  # (+ 2: and a BOM)
    if len(note) > _MAX_PIPED_NOTE:  # `yes | papershelf note KEY -` would fill the memory
        raise PapershelfError(f"standard input holds more than {_MAX_PIPED_NOTE:,} characters, "
                              "too long for a note; the note was left unchanged",
                              "keep a long text in a file and note where it is")
    if not note or all(c.isspace() or unicodedata.category(c) == "Cf" for c in note):
        what = "empty" if not note else "only white space" if not note.strip() else \
            "only white space and invisible characters"
        raise PapershelfError(f"standard input is {what}; the note was left unchanged",
                              f"{PROG} note {key} '' clears it")
    return note


def cmd_note(args: argparse.Namespace) -> int:
    """``note KEY [TEXT]``: set from TEXT or stdin (``-``), else edit or print."""
    from papershelf.errors import ConflictError, SavedInterrupt, UnknownKeyError, interrupted_status

    library = _open(args)
    key = library.require([args.key])[0]
    started_from: str | None = None  # the note an editor was opened on
    title: str | None = None  # and the title of its paper
    if args.text is None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if editor and sys.stdin.isatty() and sys.stdout.isatty():
            paper = library.get(key)
            started_from, title = paper.note, paper.title
            try:
                note = _edit(editor, started_from)
            except _NoteInFile as exc:  # the command that saves it, with this library
                exc.saved_by(f"{_note_command(args)} {key}")
                raise
        else:
            # To a terminal, as it shows text; to a file, as stored (its bidirectional
            # controls too: `note K > f`, an edit, `note K - < f` keeps them).
            note = library.get(key).note.rstrip("\n")
            sys.stdout.write((shown(note) if sys.stdout.isatty() else drop_controls(note)) + "\n")
            if not editor and sys.stdin.isatty() and sys.stdout.isatty():
                # on a terminal, an editor was wanted as often as not
                sys.stderr.write(f"{PROG}: printed the note: to edit it here, set $VISUAL or "
                                 "$EDITOR (export EDITOR=nano), or give the text "
                                 f"({_note_command(args)} {key} TEXT)\n")
            return 0
    elif args.text == "-":
        note = _piped_note(key)
    else:
        note = args.text
    # editors and echo add a final newline (CRLF from Windows): it is not content
    note = lf_line_ends(note).rstrip("\n")
    if started_from is not None and note == started_from.rstrip("\n"):
        # Closed without a change: nothing to save, whatever another process saved meanwhile.
        meanwhile = library.get(key).note != started_from
        _out(f"note of {key} unchanged" + (" (another papershelf saved a new one meanwhile, "
                                            "which stays)" if meanwhile else ""))
        return 0
    try:
        with _hangup_as_interrupt(started_from is not None):
            change = library.set_note(key, note, expected=started_from, title=title)
    except (PapershelfError, KeyboardInterrupt) as exc:
        if started_from is None or isinstance(exc, SavedInterrupt):  # not lost, or saved
            raise
        # Typed in the editor: kept in a file whatever went wrong (another process saved
        # a note or deleted the paper while the editor was open, a full disk, a ^C while
        # waiting for a busy library).
        kept, source = _keep_typed_note(note, key)
        save = _note_command(args)
        if isinstance(exc, ConflictError):
            raise ConflictError(f"{exc.message}; yours was not saved, it is {kept}",
                                f"{save} {key} - < {source} saves it over the other") from None
        if isinstance(exc, UnknownKeyError):
            gone = (f"the paper {quoted(key)} was deleted while the editor was open, and its key "
                    "given to another paper" if key in library else
                    f"no paper with key {quoted(key)} (another papershelf deleted it while the "
                    "editor was open)")
            raise PapershelfError(f"{gone}; yours was not saved, it is {kept}",
                                  f"{save} KEY - < {source} saves it on another paper") from None
        what = exc.message if isinstance(exc, PapershelfError) else "interrupted"
        error = PapershelfError(f"{what}; your note was not saved, it is {kept}",
                                f"{save} {key} - < {source} saves it")
        if isinstance(exc, KeyboardInterrupt):
            error.exit_code = interrupted_status(exc)
        raise error from None
    _out(f"note of {key} {'unchanged' if change.empty else 'cleared' if not note.strip() else 'saved'}")
    return 0


@contextlib.contextmanager
def _hangup_as_interrupt(active: bool) -> Iterator[None]:
    """While active, SIGHUP (the terminal closed) and SIGTERM stop the block as a ^C does:
    a note typed in the editor is kept when they come while the save waits for a busy
    library, and a dry run removes its temporary library, instead of the process ending
    with them. A signal ignored (``nohup``) stays ignored."""
    import signal
    import threading

    if not active or threading.current_thread() is not threading.main_thread():
        yield
        return

    from papershelf.errors import Signalled

    def interrupt(signum: int, frame: object) -> None:
        raise Signalled(signum)

    wanted = [s for s in (getattr(signal, "SIGHUP", None), signal.SIGTERM)
              if s is not None and signal.getsignal(s) is not signal.SIG_IGN]
    before = {s: signal.signal(s, interrupt) for s in wanted}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def _keep_typed_note(note: str, key: str) -> tuple[str, str]:
    """Keep ``note``, typed in the editor for ``key`` and not saved: in a file where a
    reboot does not clear it, or printed on standard output if no file can be written
    there. Where it is (``in PATH``, for the error) and the file the command that saves
    it reads."""
    import shlex

    from papershelf.kept import keep_text

    try:
        path = keep_text(note + "\n", f"papershelf-note-{key}-")
    except OSError as exc:  # neither the state directory nor the fallback: not lost, shown
        sys.stdout.write(note + "\n")
        sys.stdout.flush()
        return f"printed above (no file could be written to keep it: {_os_reason(exc)})", "FILE"
    return f"in {path}", shlex.quote(path)


def _os_reason(exc: OSError) -> str:
    """What went wrong, with the file it went wrong on when known."""
    reason = exc.strerror or str(exc)
    return f"{exc.filename}: {reason}" if exc.filename and exc.strerror else reason


def _note_command(args: argparse.Namespace) -> str:
    """``papershelf note`` on the library of ``args`` (``--library DIR`` when given)."""
    return _own_command(args, "note")


def _own_command(args: argparse.Namespace, words: str) -> str:
    """``papershelf WORDS`` on the library of ``args`` (``--library DIR`` when given)."""
    import shlex

    return f"{PROG}{' --library ' + shlex.quote(str(args.library)) if args.library else ''} {words}"


class _NoteInFile(PapershelfError):
    """The note typed stays in the editor's file, not saved: the editor saved it in
    another encoding than UTF-8 (``first``: what to do first), or a signal stopped
    papershelf while the editor was open (``exit_code``: 128 and its number)."""

    def __init__(self, message: str, path: str, first: str = "", exit_code: int = 1) -> None:
        super().__init__(message)
        self.path, self.first, self.exit_code = path, first, exit_code
        self.saved_by(f"{PROG} note KEY")

    def saved_by(self, command: str) -> None:
        """Name ``command`` (``papershelf note KEY``) in the hint, as what saves the note."""
        import shlex

        self.hint = f"{self.first}{command} - < {shlex.quote(self.path)} then saves it"


def _edit(editor: str, text: str) -> str:
    import shlex

    from papershelf.errors import Signalled
    from papershelf.kept import keep_text

    # Kept where a reboot does not clear it: a session closed mid-edit leaves it there.
    try:
        path = keep_text(text, "papershelf-note-")
    except OSError as exc:
        raise PapershelfError(f"cannot write the file to open the editor on: {_os_reason(exc)}",
                              f"the note was left unchanged; {PROG} note KEY TEXT sets it "
                              "without an editor") from None
    typed = False  # the file holds a note typed that is not saved: it stays
    try:
        try:
            with _hangup_as_interrupt(True):
                status = _run_editor([*shlex.split(editor), path])
        except (OSError, ValueError) as exc:  # not found, not executable, bad quoting
            raise PapershelfError(f"cannot run the editor {editor!r}: "
                                  f"{getattr(exc, 'strerror', None) or exc}",
                                  "check $VISUAL or $EDITOR; the note was left unchanged") from None
        except Signalled as exc:  # SIGTERM, or SIGHUP: the terminal closed
            typed = True
            raise _NoteInFile(f"stopped by {_signal_name(exc.signum)} while the editor {editor!r} "
                              f"was open; the note was left unchanged, what the editor saved is "
                              f"in {path}", path, exit_code=128 + exc.signum) from None
        if status != 0:
            how = f"exited with status {status}" if status > 0 else f"was killed ({_signal_name(-status)})"
            raise PapershelfError(f"the editor {editor!r} {how}", "the note was left unchanged")
        try:
            return Path(path).read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:  # saved in another encoding
            typed = True
            raise _NoteInFile(f"cannot read the note the editor {editor!r} saved: {exc}; the "
                              f"note was left unchanged, yours is in {path}", path,
                              "re-save it as UTF-8; ") from None
        except OSError as exc:  # removed
            raise PapershelfError(f"cannot read the note the editor {editor!r} saved: "
                                  f"{exc.strerror or exc}", "the note was left unchanged") from None
    finally:
        if not typed:
            with contextlib.suppress(OSError):  # a file left behind must not hide the outcome
                Path(path).unlink(missing_ok=True)


def _run_editor(argv: list[str]) -> int:
    """Run the editor and wait for it: its exit status. Stopped meanwhile (a signal, as
    :class:`~papershelf.errors.Signalled`), it asks the editor to end too, which may save
    what it holds (vim keeps its swap file), and kills it after 5 s."""
    import subprocess

    editor = subprocess.Popen(argv)
    try:
        return editor.wait()
    except BaseException:
        editor.terminate()
        try:
            editor.wait(timeout=5)
        except subprocess.TimeoutExpired:
            editor.kill()
        raise


def cmd_export(args: argparse.Namespace) -> int:
    """``export [QUERY] [--format bibtex|markdown|json] [-o FILE]``."""
    from papershelf.exporters import (
        FORMAT_NAMES,
        descriptor_of,
        json_pieces,
        library_markdown,
        stream,
        write_file,
    )

    for term in args.query:  # "-orefs.bib" reads as a query term that excludes a word
        if term[:2] == "-o" and term.lower().endswith((".bib", ".md", ".json", ".txt")):
            raise UsageError(f"{quoted(term)} reads as a query term, not as -o with a file",
                             f"write -o {term[2:]}, with a space")
    library = _open(args)
    if args.output is not None and str(args.output) != "-":  # (- is standard output)
        library.refuse_as_export_target(args.output, args.format)
    suffix = args.output.suffix.lower() if args.output is not None else ""
    named = _FORMAT_OF_SUFFIX.get(suffix)
    if named is not None and named != args.format and not args.format_given:
        _warn(f"writing {FORMAT_NAMES[args.format]} to a {suffix} file (add --format {named} "
              f"for {FORMAT_NAMES[named]})")
    query = " ".join(args.query)
    # Any query given counts, even "" (an empty variable): it is refused, not everything.
    keys = chosen = _query_keys(library, query) if args.query else None
    to_stdout = args.output is None or str(args.output) == "-" or descriptor_of(args.output) == 1
    # Exporting no paper is an error with -o, the file left as it was: a mistyped tag (or
    # --library, a new, empty library) in a Makefile emptied the bibliography.
    if (nothing := _why_no_paper(library, query, chosen)) is not None:
        if not to_stdout:
            left = "was left as it was" if os.path.lexists(args.output) else "was not written"
            raise PapershelfError(f"{nothing[0]}; {args.output} {left}", nothing[1])
        _warn(nothing[0])
    pieces: Iterable[str | bytes | memoryview]
    if args.format == "bibtex":  # rendered entries come from the cache when still valid
        from papershelf.exporters.bibtex_cache import bibtex_pieces

        if keys is not None:  # and the papers their crossrefs name
            keys = library.with_crossref_targets(keys)
        pieces = bibtex_pieces(library, keys, _case_renames(library, keys))
    elif args.format == "json":
        pieces = json_pieces(library.iter_json(keys, skip_gone=True))
    elif keys is None:  # every paper: each shard rendered on every core
        pieces = library_markdown(library)
    else:
        pieces = stream(library.iter_export_records(keys, skip_gone=True), args.format)
    if to_stdout:  # (-o - and -o /dev/stdout: as without)
        _write_out(pieces)
        return 0
    write_file(args.output, pieces)
    if keys is None:
        _out(f"exported {plural(len(library))} to {args.output}")
    else:
        _out(f"exported {_with_targets(chosen or [], keys)} to {args.output}")
    return 0


def _why_no_paper(library: Library, query: str, chosen: list[str] | None) -> tuple[str, str] | None:
    """Why an export of ``chosen`` (of ``query``; ``None``: every paper) holds no paper,
    and a hint; ``None`` when it holds some."""
    if not len(library):
        return (f"the library {library.root} holds no paper",
                "check --library and PAPERSHELF_LIBRARY, or import papers first")
    if chosen is not None and not chosen:
        return f"no paper matches {quoted(query)}", "try papershelf list QUERY"
    return None


def cmd_copy(args: argparse.Namespace) -> int:
    """``copy KEY...``: BibTeX of those papers to the clipboard."""
    from papershelf.clipboard import copy_text
    from papershelf.exporters.bibtex import to_bibtex

    library = _open(args)
    chosen = library.require(args.keys)
    keys = library.with_crossref_targets(chosen)
    copy_text(to_bibtex(library.papers(keys), _case_renames(library, keys)))
    _out(f"copied BibTeX of {_with_targets(chosen, keys)} to the clipboard")
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    """``rm KEY...``."""
    library = _open(args)
    change = library.remove(args.keys)
    _out(f"deleted {plural(len(change.deleted))}")
    if (inherited := change.inherited_note()) is not None:
        _out(inherited)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """``stats [--json]``."""
    library = _open(args)
    stats = library.stats()
    if args.json:
        _dump_json(stats)
    else:
        sys.stdout.write("".join(f"{name + ':':<8} {value}\n" for name, value in stats.items()))
    return 0


def run_tui(args: argparse.Namespace) -> int:
    """Open the TUI (the only path that imports Textual)."""
    # Without a terminal Textual cannot size its screen, and on a closed or redirected
    # input it spins a core reading end-of-file.
    if not all(stream is not None and stream.isatty() for stream in (sys.stdin, sys.stdout, sys.stderr)):
        raise UsageError("the TUI needs a terminal: standard input, output and error are "
                         "not all one", f"give a command to use {PROG} from a script; see "
                         f"{PROG} --help")

    from papershelf.tui import run

    gc.enable()
    library_dir = demo_library() if args.demo else args.library or default_library()
    return run(library_dir, demo=args.demo)


# --------------------------------------------------------------------------- main


class _ClosedInput:
    """Standard input when the process started with it closed: not a terminal, and
    reading it is an error that names it."""

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> NoReturn:  # read, buffer, ...
        raise PapershelfError("standard input is closed", "redirect it instead, e.g. < FILE")


#: The commands, in the order ``--help`` lists them.
_COMMANDS: dict[str, _Command] = {
    "import": ("import page dumps or .bib files", _setup_import),
    "list": ("papers matching a query", _setup_list),
    "show": ("one paper", _setup_show),
    "tag": ("add, remove, list or rename tags", _setup_tag),
    "read": ("mark papers read", _setup_read_state(cmd_read)),
    "unread": ("mark papers unread", _setup_read_state(cmd_unread)),
    "note": ("set or show a paper's note", _setup_note),
    "export": ("export papers (BibTeX by default)", _setup_export),
    "copy": ("copy papers' BibTeX to the clipboard", _setup_keys(cmd_copy)),
    "rm": ("delete papers", _setup_keys(cmd_rm)),
    "stats": ("counts of papers, read, unread, tags, notes", _setup_stats),
}
_TAG_ACTIONS: dict[str, _Command] = {
    "add": ("add TAG to papers", _setup_tag_change(cmd_tag_add)),
    "rm": ("remove TAG from papers", _setup_tag_change(cmd_tag_rm)),
    "list": ("tags with counts", _setup_tag_list),
    "rename": ("rename a tag everywhere", _setup_tag_rename),
}


def _quote_query(words: Sequence[str]) -> str:
    """The hint for the ``words`` of a query typed after ``--query`` without quotes."""
    import shlex

    return f"quote a query of several words (--query {shlex.quote(' '.join(words))})"


def _command_words(args: argparse.Namespace) -> str:
    """The command of ``args`` as typed (``tag add``; ``""``: none)."""
    return " ".join(filter(None, (getattr(args, "command", None), getattr(args, "tag_command", None))))


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """``parser.parse_args(argv)``, but arguments left over point to the help of their
    command (``note KEY two words``: ``see papershelf note --help``), not to the top
    level's, which argparse names as it finds them only once every parser is done."""
    args, extra = parser.parse_known_args(argv)
    # (a text for the commands acting on papers; list and export take words)
    one_query = isinstance(getattr(args, "query", None), str)
    if one_query and getattr(args, "keys", None):
        # --query vision language: the keys are the query's other words, not quoted
        at = max(i for i, arg in enumerate(argv) if arg == "--query" or arg.startswith("--query="))
        args.keys_after_query = argv[at + (1 if "=" in argv[at] else 2):] == args.keys
    if extra:
        command = _command_words(args)
        quote = "quote a note of several words, or " if command == "note" else ""
        if command == "note" and extra[0][:1] == "-" and getattr(args, "text", None) is None:
            # a note starting with - or -- (quoted or not) reads as an option
            quote = f"a note starting with - goes after -- ({PROG} note KEY -- {extra[0]}), or "
        elif one_query and extra[0][:1] != "-":
            quote = f"{_quote_query([args.query, *extra])}, or "  # --query tag:hf is:unread
        if _VALUE_OPTION in extra:
            quote = f"{_VALUE_OPTION} goes before the command ({PROG} {_VALUE_OPTION} DIR {command} ...), or "
        raise UsageError(f"unrecognized arguments: {' '.join(extra)}",
                         f"{quote}see {' '.join(filter(None, [PROG, command]))} --help")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run papershelf with ``argv``; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # --debug anywhere (before a --): after the command too, where it is typed last
    cut = argv.index("--") if "--" in argv else len(argv)
    debug = "--debug" in argv[:cut]
    argv = [arg for arg in argv[:cut] if arg != "--debug"] + argv[cut:]
    # A headless command is a short process that makes millions of objects and frees
    # them at exit: the cyclic collector would only slow it down (~40% at 100k papers).
    gc.disable()
    # NumPy's OpenBLAS would start a thread per core at import, for linear algebra we never
    # do: it costs start-up, and a process with threads must not fork workers (forked.py).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if sys.stderr is None:  # started with it closed (2>&-): errors go nowhere, the status tells
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115  (open until exit)
    if sys.stdin is None:  # started with it closed (<&-): only reading it fails
        sys.stdin = _ClosedInput()
    args: argparse.Namespace | None = None
    made: list[Path] = []  # what opening the command's library may make
    succeeded = False
    try:
        if sys.stdout is None:  # started with it closed (>&-): fail before changing anything
            raise PapershelfError("standard output is closed", "redirect it instead, e.g. >/dev/null")
        if isinstance(sys.stdout, io.TextIOWrapper):
            _buffer_stdout()
        if unknown := _unknown_top_option(argv):
            import difflib

            close = difflib.get_close_matches(unknown, _TOP_OPTIONS, n=1)
            raise UsageError(f"unknown option {unknown}"
                             + (f" (did you mean {close[0]}?)" if close else ""), f"see {PROG} --help")
        args = _parse(build_parser(argv), argv)
        run: Callable[[argparse.Namespace], int] = getattr(args, "run", run_tui)
        if args.demo and args.command:
            raise UsageError("--demo opens the TUI; it takes no command", f"see {PROG} --help")
        if args.command:
            made = _not_there_yet(args)
        status = run(args)
        sys.stdout.flush()  # here, where failing to write is reported
        succeeded = status == 0
        return status
    except KeyboardInterrupt as exc:
        from papershelf.errors import interrupted_status

        done = "the change was saved" if _saved_before_interrupt(args, exc) else "nothing was changed"
        sys.stderr.write(f"{PROG}: error: interrupted ({done})\n")
        return interrupted_status(exc)
    except BrokenPipeError:
        # The reader went away (| head): not an error. Silence the flush at exit.
        _silence_stdout()
        return 0
    except Exception as exc:  # one line either way, the traceback behind --debug
        if debug:
            raise
        if isinstance(exc, OSError) and _stdout_fails(exc):  # > /dev/full, a full disk
            _silence_stdout()
            saved = "the change was saved, but " if _saved(args) else ""
            sys.stderr.write(f"{PROG}: error: cannot write to standard output: {exc.strerror} "
                             f"({saved}the output is incomplete; check where it goes)\n")
            return 1
        # An expected failure, or an unexpected one with a hand-edited library file behind
        # it; else a bug.
        error = exc if isinstance(exc, PapershelfError) else _damage(args, exc)
        from papershelf.text import collapse_whitespace

        if error is not None:
            sys.stderr.write(f"{PROG}: error: {collapse_whitespace(str(error))}\n")
            return error.exit_code
        sys.stderr.write(f"{PROG}: error: unexpected {type(exc).__name__}: "
                         f"{collapse_whitespace(str(exc))} (run with --debug for details and report it)\n")
        return 1
    finally:
        if made and not succeeded:
            _take_back(made, opened=getattr(args, "opened", None) is not None)


def _not_there_yet(args: argparse.Namespace) -> list[Path]:
    """What opening the command's library may make: its directories that do not exist
    yet (deepest first: its ``papers/`` and ``texts/``, then the library's and those it
    is in), then its ``.gitignore`` and ``.lock`` if missing. None when the
    path cannot be worked out (the command fails on it), nor for a path with ``..``,
    where ``typo/../proj`` names an existing ``proj`` that a walk up the words of the
    path would take for missing."""
    from papershelf.library import GITIGNORE_NAME
    from papershelf.shard import PAPERS_DIR, TEXTS_DIR
    from papershelf.storage import LOCK_NAME

    try:
        root = path = user_path(args.library or default_library()).absolute()
    except PapershelfError:
        return []
    if ".." in path.parts:
        return []
    missing = [root / name for name in (PAPERS_DIR, TEXTS_DIR) if not os.path.lexists(root / name)]
    while not os.path.lexists(path) and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing + [root / name for name in (GITIGNORE_NAME, LOCK_NAME)
                      if not os.path.lexists(root / name)]


def _take_back(made: list[Path], *, opened: bool) -> None:
    """Take back what opening the library of a failed command made (:func:`_not_there_yet`)
    while it still holds no paper: papershelf's own ``.gitignore``, an empty ``.lock``,
    and the directories they made, if empty. A mistyped ``--library`` (``tag add x KEY``
    failing on the key) leaves nothing behind, nor does a failed command in a directory
    that holds no library. When the library could not be opened (not ``opened``: a
    directory holding another program's ``papers/0001.json``), what its ``papers/``
    holds is not papers, and the files are taken back all the same."""
    from papershelf.library import GITIGNORE_NAME, GITIGNORE_TEXT, META_FILE
    from papershelf.shard import PAPERS_DIR, TEXTS_DIR
    from papershelf.storage import LOCK_NAME, LibraryLock

    files = [path for path in made if path.name in (GITIGNORE_NAME, LOCK_NAME)]
    root = (files or made)[0].parent
    # (not while another papershelf holds the lock: it may be making the library now)
    with contextlib.suppress(OSError, ValueError, LibraryError), LibraryLock(root, timeout=0).held():
        if os.path.lexists(root / META_FILE) or (opened and any(
                os.path.lexists(root / name) and (root / name not in made or any((root / name).iterdir()))
                for name in (PAPERS_DIR, TEXTS_DIR))):
            return
        for path in files:
            if not os.path.lexists(path):  # (not made: the command failed before)
                continue
            ours = path.read_text() == GITIGNORE_TEXT if path.name == GITIGNORE_NAME \
                else not path.stat().st_size
            if ours:
                path.unlink()
        for directory in made:
            if directory not in files and os.path.lexists(directory):  # (texts/ may not be)
                directory.rmdir()  # (only if empty: one made meanwhile by someone else stays)


def _buffer_stdout() -> None:
    """Make stdout write all it is given or fail, and replace what a terminal cannot show.

    Under ``PYTHONUNBUFFERED`` (``python -u``, common in containers) stdout writes straight
    to its file, and a short write (a disk filling up) silently drops the rest: the
    BibTeX export ended at 64 KB with exit status 0. A buffered writer writes the rest
    or raises. An ASCII or Latin-1 terminal (PYTHONIOENCODING=ascii; LC_ALL=C is UTF-8 to Python) gets "?" for
    what it cannot show, not a failed command.
    """
    stdout = sys.stdout
    assert isinstance(stdout, io.TextIOWrapper)
    if isinstance(stdout.buffer, io.RawIOBase):
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(stdout.buffer), encoding=stdout.encoding,
                                      errors="replace", line_buffering=stdout.line_buffering)
    else:
        stdout.reconfigure(errors="replace")


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the flush at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _stdout_fails(exc: OSError) -> bool:
    """Whether ``exc`` came from writing to stdout (``> /dev/full``, a file on a full
    disk or at the file size limit): its device refuses even an empty write, or it is a
    file with no room left."""
    import errno
    import stat

    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):  # not a file (tests' StringIO)
        return False
    try:
        sys.stdout.flush()
        os.write(fd, b"")
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a terminal or a pipe, which took it
            return False
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return os.fstatvfs(fd).f_bavail == 0
        if exc.errno != errno.EFBIG or sys.platform == "win32":
            return False
        import resource

        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        return limit != resource.RLIM_INFINITY and os.fstat(fd).st_size >= limit
    except OSError:
        return True


def _damage(args: argparse.Namespace | None, exc: Exception) -> PapershelfError | None:
    """The hand-edited record behind a command's unexpected failure, if any
    (:func:`papershelf.library.damage_behind`)."""
    if args is None or not hasattr(args, "run"):
        return None
    from papershelf.library import damage_behind

    try:
        return damage_behind(Path(args.library or default_library()).expanduser(), exc)
    except BaseException:  # the diagnosis failed too (or ^C): report the failure itself
        return None
