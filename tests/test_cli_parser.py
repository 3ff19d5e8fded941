"""The parser built for one command line parses it exactly as the whole parser does."""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest

from papershelf.cli import build_parser
from papershelf.errors import UsageError

COMMAND_LINES = [
    [],
    ["list"],
    ["list", "vision", "-tag:done", "--limit", "5", "--sort", "title"],
    ["list", "--json", "--keys"],
    ["list", "--limit"],
    ["--library", "/tmp/lib", "--debug", "show", "clip", "--bibtex"],
    ["--library=/tmp/lib", "tag", "add", "vlp", "a", "b"],
    ["tag", "add", "vlp", "--query", "tag:x"],
    ["tag", "rm", "vlp"],
    ["tag", "list", "--json"],
    ["tag", "rename", "old"],
    ["tag"],
    ["tag", "bogus"],
    ["tag", "--query", "x", "add", "t"],
    ["read", "a", "b"],
    ["unread", "--query", "is:read"],
    ["note", "clip", "-"],
    ["note"],
    ["export", "-o", "refs.bib", "tag:vlp"],
    ["export", "--format", "xml"],
    ["export", "-o", "-tag:x"],
    ["copy", "k"],
    ["rm"],
    ["stats", "--json", "extra"],
    ["import", "a.txt", "--tag", "x", "--dry-run"],
    ["--demo"],
    ["--demo", "list"],
    ["bogus"],
    ["--library"],
    ["--library", "tag", "list"],  # a library directory named "tag"
    ["--lib", "/tmp/lib", "stats"],  # abbreviated: left to the whole parser
    ["--de", "list"],  # ambiguous abbreviation
    ["-x", "list"],
    ["--", "list"],
    ["list", "--", "-x"],
]


def _outcome(parser: argparse.ArgumentParser, argv: list[str]) -> object:
    """What parsing ``argv`` gives: the namespace, the usage error, or what ``--help``
    prints and the exit status."""
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            return vars(parser.parse_args(argv))
    except UsageError as exc:
        return ("usage error", str(exc))
    except SystemExit as exc:
        return ("exit", exc.code, out.getvalue())


@pytest.mark.parametrize("argv", COMMAND_LINES, ids=" ".join)
def test_the_parser_of_one_command_parses_like_the_whole_parser(argv: list[str]) -> None:
    assert _outcome(build_parser(argv), argv) == _outcome(build_parser(), argv)


@pytest.mark.parametrize("argv", [["--help"], ["list", "--help"], ["tag", "-h"],
                                  ["tag", "add", "--help"], ["-h", "list"], ["--version"]],
                         ids=" ".join)
def test_help_is_the_same(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert _outcome(build_parser(argv), argv) == _outcome(build_parser(), argv)


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_only_the_named_command_is_set_up() -> None:
    parser = build_parser(["--library", "lib", "tag", "add", "vlp", "key"])
    assert list(_commands(parser)) == ["tag"]
    assert list(_commands(_commands(parser)["tag"])) == ["add"]
    assert len(_commands(_commands(build_parser(["tag", "-h"]))["tag"])) == 4
    assert len(_commands(build_parser())) == 11
    assert len(_commands(build_parser(["-h", "list"]))) == 11


@pytest.mark.parametrize(("argv", "unknown"), [
    (["--libary", "/tmp/lib", "stats"], "--libary"),
    (["--library", "/tmp/lib", "--debg", "list"], "--debg"),
    (["--library=/tmp/lib", "--zzz"], "--zzz"),
    (["--lib", "/tmp/lib", "stats"], None),  # a unique prefix is the option
    (["--library", "--x", "stats"], None),  # DIR named like an option: argparse decides
    (["--de", "list"], None),  # ambiguous: argparse says which ones it could be
    (["list", "--libary", "x"], None),  # after the command: the command's parser says so
    (["--", "--x"], None),
    (["-x", "/tmp/lib", "stats"], "-x"),
    (["-h", "list"], None),
    (["-", "stats"], None),
])
def test_an_unknown_option_before_the_command_is_named(argv: list[str], unknown: str | None) -> None:
    from papershelf.cli import _unknown_top_option

    assert _unknown_top_option(argv) == unknown


def test_a_misspelt_top_option_gets_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    from papershelf.cli import main

    assert main(["--libary", "/nonexistent", "stats"]) == 2
    err = capsys.readouterr().err
    assert err == ("papershelf: error: unknown option --libary (did you mean --library?) "
                   "(see papershelf --help)\n")
