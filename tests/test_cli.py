"""The headless commands, run as a user would: in a subprocess."""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

from papershelf.errors import interrupted_status
from papershelf.importers.pages import parse_page_dump
from papershelf.library import Library

from .conftest import SAMPLES, RunCli

ABSTRACT = "A long enough abstract for a paper in a page dump. " * 6


@pytest.fixture
def cli(run_cli: RunCli) -> RunCli:
    """A CLI runner whose library already holds the samples."""
    result = run_cli("import", *map(str, SAMPLES))
    assert result.returncode == 0, result.stderr
    return run_cli


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file of a library directory (to prove a failed command changed nothing)."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file() and ".cache" not in p.parts and p.name != ".lock"}


def keys_of(result_stdout: str) -> list[str]:
    return result_stdout.split()


def test_import_prints_the_summary_and_reimport_is_idempotent(run_cli: RunCli) -> None:
    first = run_cli("import", *map(str, SAMPLES))
    assert first.returncode == 0
    assert first.stdout.strip() == "356 new, 73 already in library, 0 failed"
    before = snapshot(run_cli.library)  # type: ignore[attr-defined]
    again = run_cli("import", str(SAMPLES[0]), "--dry-run")
    assert again.stdout.splitlines()[-1].startswith("would import: 0 new, 71 already")
    assert snapshot(run_cli.library) == before  # type: ignore[attr-defined]


def test_a_dry_run_into_a_library_not_yet_made_creates_nothing(run_cli: RunCli,
                                                               tmp_path: Path) -> None:
    missing = tmp_path / "not" / "yet"
    result = run_cli("import", str(SAMPLES[0]), "--dry-run", library=missing)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == \
        "would import: 71 new, 0 already in library, 0 failed (dry run: nothing changed)"
    assert not (tmp_path / "not").exists()
    done = run_cli("import", str(SAMPLES[0]), library=missing)
    assert done.stdout == "71 new, 0 already in library, 0 failed\n"


@pytest.mark.parametrize("held", [[], ["notes.txt"]])
def test_a_dry_run_into_a_directory_holding_no_library_writes_nothing(
        run_cli: RunCli, tmp_path: Path, held: list[str]) -> None:
    directory = tmp_path / "lib"
    directory.mkdir()
    for name in held:
        (directory / name).write_text("mine")
    result = run_cli("import", str(SAMPLES[0]), "--dry-run", library=directory)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("would import: 71 new, 0 already")
    assert sorted(p.name for p in directory.iterdir()) == held


def test_sigterm_during_a_dry_run_removes_its_stand_in(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The temporary library a dry run compares against goes as on ^C when the
    process is told to stop (in process: the signal comes while it is open)."""
    import argparse
    import contextlib
    import tempfile

    from papershelf import cli

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    args = argparse.Namespace(library=str(tmp_path / "new"))
    with pytest.raises(KeyboardInterrupt) as caught, contextlib.ExitStack() as cleanup:
        library = cli._open_for_dry_run(args, cleanup)
        assert library.root.parent.parent == tmp_path / "tmp"
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL  # (else it ends pytest)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)  # (the handler runs at the next bytecode; this is not reached)
    assert list((tmp_path / "tmp").iterdir()) == [] and not (tmp_path / "new").exists()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert interrupted_status(caught.value) == 143  # as if SIGTERM had ended it


def test_the_exit_status_of_an_interrupt_names_its_signal() -> None:
    from papershelf.errors import SavedInterrupt, Signalled

    assert interrupted_status(KeyboardInterrupt()) == 130
    assert interrupted_status(Signalled(signal.SIGHUP)) == 129
    try:
        try:
            raise Signalled(signal.SIGTERM)
        except KeyboardInterrupt as exc:
            raise SavedInterrupt from exc  # (the library's: the change landed all the same)
    except SavedInterrupt as saved:
        assert interrupted_status(saved) == 143
    # (from a forked worker, an exception comes back pickled)
    assert interrupted_status(pickle.loads(pickle.dumps(Signalled(signal.SIGTERM)))) == 143
    looped = KeyboardInterrupt()
    looped.__cause__ = looped
    assert interrupted_status(looped) == 130


def test_a_hangup_ignored_stays_ignored_during_a_dry_run(tmp_path: Path) -> None:
    """``nohup papershelf import --dry-run ...``: closing the terminal did stop it."""
    import argparse
    import contextlib

    from papershelf import cli

    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with contextlib.ExitStack() as cleanup:
            cli._open_for_dry_run(argparse.Namespace(library=str(tmp_path / "new")), cleanup)
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, before)


def test_a_dry_run_into_a_library_that_cannot_be_made_fails_as_the_import(
        run_cli: RunCli, tmp_path: Path) -> None:
    """Under a file, the import fails: its dry run said all would be imported."""
    (tmp_path / "afile").write_text("")
    library = tmp_path / "afile" / "lib"
    dry = run_cli("import", str(SAMPLES[0]), "--dry-run", library=library)
    real = run_cli("import", str(SAMPLES[0]), library=library)
    assert (dry.returncode, dry.stdout, dry.stderr) == (real.returncode, "", real.stderr)
    assert real.returncode != 0 and "Not a directory" in real.stderr
    assert (tmp_path / "afile").read_text() == ""


def test_import_from_stdin_with_tags_and_json(run_cli: RunCli) -> None:
    text = f"Piped Paper One\n\n{ABSTRACT}\n\nPiped Paper Two\n\n{ABSTRACT}\n"
    result = run_cli("import", "-", "--tag", "piped", "--tag", "new", "--json", input=text)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["new"] == ["piped-paper-one", "piped-paper-two"] and data["failed"] == []
    shown = json.loads(run_cli("show", "piped-paper-one", "--json").stdout)
    assert shown["tags"] == ["piped", "new"]
    assert shown["sources"] == [{"file": "<stdin>", "listed": None}]


def test_a_listing_read_from_a_named_pipe_is_recorded_as_from_a_pipe(run_cli: RunCli,
                                                                     tmp_path: Path) -> None:
    """``import <(cmd)`` reads /dev/fd/63, and the paper's source was the file "63"."""
    fifo = tmp_path / "63"
    os.mkfifo(fifo)
    text = f"Piped Paper One\n\n{ABSTRACT}\n"
    writer = subprocess.Popen(["sh", "-c", f'printf "%s" "$0" > {fifo}', text])
    result = run_cli("import", str(fifo))
    writer.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    shown = json.loads(run_cli("show", "piped-paper-one", "--json").stdout)
    assert shown["sources"] == [{"file": "<pipe>", "listed": None}]


def test_a_stream_sending_more_than_a_file_may_hold_is_refused(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input, a named pipe or a device has no size to check first: ``import
    /dev/zero`` and ``yes | papershelf import -`` read until the memory ran out (a
    black-box review saw 24 GB, then the OOM killer)."""
    import threading

    from papershelf import importers
    from papershelf.errors import InputError

    monkeypatch.setattr(importers, "_MAX_BYTES", 10)
    too_big = r"sent more than 0 MiB, too big to be a paper listing \(split it into smaller files\)"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"x" * 11)))
    with pytest.raises(InputError, match=f"^standard input {too_big}$"):
        importers.read_input("-")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"x" * 10)))
    assert importers.read_input("-") == ("<stdin>", b"x" * 10)
    with pytest.raises(InputError, match=f"^/dev/zero {too_big}$"):
        importers.read_input("/dev/zero")
    fifo = tmp_path / "fifo"
    for sent, refused in ((b"y\n" * 6, True), (b"y\n" * 5, False)):
        os.mkfifo(fifo)
        writer = threading.Thread(target=fifo.write_bytes, args=(sent,))
        writer.start()
        if refused:
            with pytest.raises(InputError, match=too_big):
                importers.read_input(str(fifo))
        else:
            assert importers.read_input(str(fifo)) == ("<pipe>", sent)
        writer.join(timeout=30)
        fifo.unlink()


@pytest.mark.skipif(sys.platform != "linux", reason="address-space limits as Linux has them")
def test_a_listing_piped_in_is_read_under_an_address_space_limit(tmp_path: Path) -> None:
    """Read at once up to the cap, standard input had Python reserve 512 MiB first: a
    small listing piped in failed with a MemoryError under ``ulimit -v 500000`` (as on
    many shared login nodes; a review)."""
    import resource

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (500 * 2**20, resource.RLIM_INFINITY))

    listing = f"Piped Paper One\n\n{ABSTRACT}\n"
    result = subprocess.run([sys.executable, "-m", "papershelf", "--library", str(tmp_path / "lib"),
                             "import", "-"], input=listing, capture_output=True, text=True,
                            preexec_fn=limited, timeout=120)
    assert (result.returncode, result.stdout, result.stderr) == \
        (0, "1 new, 0 already in library, 0 failed\n", "")


def test_a_file_redirected_to_standard_input_is_refused_by_its_size(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``import - < big.txt`` read the 512 MiB it may hold before refusing it, while
    ``import big.txt`` is refused at once."""
    from papershelf import importers
    from papershelf.errors import InputError

    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 11)
    monkeypatch.setattr(importers, "_MAX_BYTES", 10)
    with big.open("rb") as stream:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(stream))
        with pytest.raises(InputError, match=r"^standard input is 0 MiB, too big to be a paper"):
            importers.read_input("-")
        assert stream.tell() == 0  # nothing read


def test_a_listing_coloured_by_grep_is_read_without_its_colours(run_cli: RunCli, tmp_path: Path) -> None:
    """``grep --color=always -E '^|model' page.txt > c.txt``: its escapes were counted as
    a binary file's control characters ("looks like a binary file")."""
    coloured = tmp_path / "c.txt"
    listing = f"Coloured Paper One\n\n{ABSTRACT}\n\nColoured Paper Two\n\n{ABSTRACT}\n"
    with coloured.open("wb") as out:
        subprocess.run(["grep", "--color=always", "-E", "^|Paper", "-"], stdout=out, check=True,
                       input=listing.encode())
    assert coloured.read_bytes().count(b"\x1b[") >= 4
    result = run_cli("import", str(coloured), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["new"] == ["coloured-paper-one", "coloured-paper-two"]
    assert json.loads(run_cli("show", "coloured-paper-one", "--json").stdout)["title"] == "Coloured Paper One"


def test_a_file_name_not_in_utf8_is_recorded_with_replacement_characters(run_cli: RunCli,
                                                                        tmp_path: Path) -> None:
    """A Latin-1 name (``Réf.txt``): the import failed with "unexpected TypeError" from
    the JSON writer, after its dry run had listed the papers."""
    page = Path(os.fsdecode(bytes(tmp_path) + b"/R\xe9f.txt"))
    page.write_text(f"Latin Named Paper\n\n{ABSTRACT}\n")
    result = run_cli("import", str(page))
    assert (result.returncode, result.stdout) == (0, "1 new, 0 already in library, 0 failed\n"), result.stderr
    shown = json.loads(run_cli("show", "latin-named-paper", "--json").stdout)
    assert shown["sources"] == [{"file": "R\ufffdf.txt", "listed": None}]

def test_import_reports_skipped_parts_as_warnings(run_cli: RunCli, tmp_path: Path) -> None:
    page = tmp_path / "partial.txt"
    page.write_text(f"Good Paper\n\n{ABSTRACT}\n\nCut Off Title\n")
    result = run_cli("import", str(page))
    assert result.returncode == 0
    assert result.stdout.strip() == "1 new, 0 already in library, 1 failed"
    assert "papershelf: warning: partial.txt:5: skipped title without an abstract" in result.stderr


def test_list_with_each_filter(cli: RunCli) -> None:
    cli("tag", "add", "vlp", "languagebind", "ctp", check=True)
    cli("read", "ctp", check=True)
    cli("note", "languagebind", "read the appendix", check=True)
    assert sorted(keys_of(cli("list", "tag:vlp", "--keys").stdout)) == ["ctp", "languagebind"]
    assert keys_of(cli("list", "is:read", "--keys").stdout) == ["ctp"]
    assert len(keys_of(cli("list", "is:unread", "--keys").stdout)) == 355
    assert keys_of(cli("list", "has:note", "--keys").stdout) == ["languagebind"]
    assert "languagebind" in keys_of(cli("list", "has:link", "--keys").stdout)
    assert keys_of(cli("list", "key:ctp", "--keys").stdout)[0] == "ctp"
    assert keys_of(cli("list", "tag:vlp", "-tag:vlp", "--keys").stdout) == []
    assert keys_of(cli("list", "stable", "video", "diffusion", "--keys", "--limit", "1").stdout) == \
        ["stable-video-diffusion"]
    assert keys_of(cli("list", '"stability gap"', "--keys").stdout) == ["efficient-continual-pre-training"]
    human = cli("list", "tag:vlp", "--sort", "title").stdout.splitlines()
    assert human[0].startswith("✓ ctp ") and human[0].endswith("#vlp")
    assert human[1].startswith("  languagebind")
    listed = json.loads(cli("list", "is:read", "--json").stdout)
    assert listed[0]["key"] == "ctp" and listed[0]["read"] is True and listed[0]["read_at"]
    assert len(keys_of(cli("list", "--keys").stdout)) == 356


def test_query_terms_may_start_with_a_dash(cli: RunCli) -> None:
    cli("tag", "add", "done", "ctp", check=True)
    # As the README writes it: a leading "-tag:" is a query term, not an unknown option.
    found = keys_of(cli("list", "vision", "langauge", "-tag:done", "is:unread", "--keys").stdout)
    assert "languagebind" in found and "ctp" not in found
    unlinked = keys_of(cli("list", "-has:link", "--keys").stdout)  # not -h with "as:link"
    assert "natural-language-help-bridge" in unlinked and "ctp" not in unlinked
    assert "ctp" not in keys_of(cli("list", "-key:ctp", "--keys").stdout)
    assert cli("read", "--query", "-tag:done", check=True).stdout == "marked read 355 papers\n"
    bib = cli("export", "-is:unread", check=True).stdout
    assert bib.count("@misc{") == 355 and "@misc{ctp," not in bib


def test_a_term_without_a_letter_or_digit_is_a_warning(cli: RunCli) -> None:
    result = cli("list", "vision", "&", "language", "--keys")
    assert result.returncode == 0 and result.stdout.split()
    assert result.stderr == "papershelf: warning: & has no letter or digit: ignored\n"


def test_a_field_other_tools_filter_by_is_searched_as_words_with_a_warning(cli: RunCli) -> None:
    """``author:smith`` (pubs, papis) silently found nothing here (found by a black-box
    review): the words are still searched, and a warning says so."""
    result = cli("list", "tags:clip", "--keys")
    assert result.returncode == 0
    assert result.stderr == ("papershelf: warning: tags:clip: there is no tags: filter, so it "
                             "is searched as words (did you mean tag:?)\n")
    quiet = cli("list", "arXiv:2101.00001", "--keys")  # a word with a colon: no warning
    assert quiet.returncode == 0 and quiet.stderr == ""


@pytest.mark.parametrize("query", ['"', "-", '""', "- -"])
def test_a_query_of_half_a_term_lists_every_paper_with_a_warning(cli: RunCli, query: str) -> None:
    result = cli("list", query, "--keys")
    assert result.returncode == 0 and len(result.stdout.split()) == 356
    assert result.stderr == (f"papershelf: warning: {query!r} holds no word, phrase or filter: "
                             "it matches every paper\n")
    assert cli("list", "--keys").stderr == cli("list", " ", "--keys").stderr == ""


def test_show_human_and_json(cli: RunCli) -> None:
    human = cli("show", "languagebind").stdout
    assert human.startswith("LanguageBind: Extending Video-Language Pretraining")
    assert "key:     languagebind" in human and "https://github.com/PKU-YuanGroup/LanguageBind" in human
    data = json.loads(cli("show", "languagebind", "--json").stdout)
    assert list(data) == ["key", "title", "abstract", "links", "tags", "read", "read_at", "note",
                          "added", "sources"]
    assert data["links"] == ["https://github.com/PKU-YuanGroup/LanguageBind"]
    assert {"file": "vision-language-pretraining.txt", "listed": "Mar 14"} in data["sources"]


def test_tag_add_rm_list_rename(cli: RunCli) -> None:
    assert cli("tag", "add", "vlp", "languagebind", "ctp").stdout.strip() == "tagged 2 papers with vlp"
    assert cli("tag", "add", "VLP", "ctp").stdout.strip() == "tagged 0 papers with VLP (1 already)"
    assert cli("tag", "add", "video", "--query", "stable video diffusion").returncode == 0
    assert json.loads(cli("tag", "list", "--json").stdout)["vlp"] == 2
    assert "     2  vlp" in cli("tag", "list").stdout
    same = cli("tag", "rename", "vlp", "VLP")  # a respelling changes both papers
    assert same.stdout.strip() == "renamed vlp to VLP on 2 papers"
    noop = cli("tag", "rename", "VLP", "VLP")  # as spelt already: it did not say so
    assert noop.returncode == 0
    assert noop.stdout.strip() == "nothing to rename: every paper tagged VLP is tagged VLP already"
    assert cli("tag", "rename", "vlp", "vision-language").returncode == 0
    assert cli("tag", "rm", "vision-language", "ctp").stdout.strip() == "removed vision-language from 1 paper"
    tags = json.loads(cli("tag", "list", "--json").stdout)
    assert tags.get("vision-language") == 1 and "vlp" not in tags
    # a tag the papers do not have (a typo, say) is not removed silently from "0 papers"
    untag = cli("tag", "rm", "vision-languag", "ctp", "languagebind")
    assert untag.returncode == 0
    assert untag.stdout.strip() == "removed vision-languag from 0 papers (2 did not have it)"


def test_read_unread_and_query_targets(cli: RunCli) -> None:
    assert cli("read", "--query", "clip data").returncode == 0
    read = set(keys_of(cli("list", "is:read", "--keys").stdout))
    assert "demystifying-clip-data" in read
    assert cli("unread", *sorted(read)).returncode == 0
    assert keys_of(cli("list", "is:read", "--keys").stdout) == []


@pytest.mark.parametrize("query", ["🎉", "&", "-", "", "  "])
def test_a_query_with_nothing_to_match_changes_no_paper(cli: RunCli, query: str) -> None:
    for argv in (["tag", "add", "oops", "--query", query], ["read", "--query", query],
                 ["export", query]):  # "$EMPTY": refused, as 🎉 is, not every paper
        result = cli(*argv)
        assert result.returncode == 2 and "has nothing to match" in result.stderr, argv
        assert result.stdout == ""
    assert keys_of(cli("list", "is:read", "--keys").stdout) == []
    assert "oops" not in cli("tag", "list").stdout


def test_an_ascii_terminal_gets_question_marks_not_a_failure(cli: RunCli) -> None:
    assert cli("note", "ctp", "café Δ").returncode == 0
    assert cli("tag", "add", "naïve", "ctp").returncode == 0
    ascii_only = {"PYTHONIOENCODING": "ascii"}
    for argv in (["show", "ctp"], ["list", "ctp"], ["tag", "list"], ["note", "ctp"]):
        result = cli(*argv, env=ascii_only)
        assert result.returncode == 0 and result.stderr == "", (argv, result.stderr)
    assert cli("note", "ctp", env=ascii_only).stdout == "caf? ?\n"
    assert "na?ve" in cli("tag", "list", env=ascii_only).stdout


def test_note_set_from_arg_stdin_and_print(cli: RunCli) -> None:
    assert cli("note", "ctp", "first").returncode == 0
    assert cli("note", "ctp").stdout == "first\n"
    assert cli("note", "ctp", "-", input="multi\nline note\n").returncode == 0
    assert cli("note", "ctp").stdout == "multi\nline note\n"
    assert json.loads(cli("show", "ctp", "--json").stdout)["note"] == "multi\nline note"
    assert cli("note", "ctp", "").stdout.strip() == "note of ctp cleared"
    assert cli("note", "ctp", "").stdout.strip() == "note of ctp unchanged"
    assert cli("note", "ctp", "same").stdout.strip() == "note of ctp saved"
    assert cli("note", "ctp", "same").stdout.strip() == "note of ctp unchanged"
    # printed to a file as stored, bidirectional controls too, so that it goes back the same
    assert cli("note", "ctp", "price \u2067\u05e9\u05dc\u05d5\u05dd 5\u2069 end").returncode == 0
    assert cli("note", "ctp").stdout == "price \u2067\u05e9\u05dc\u05d5\u05dd 5\u2069 end\n"


def test_a_note_from_stdin_loses_its_final_line_end_whatever_its_kind(cli: RunCli) -> None:
    """CRLF (a Windows editor) kept a final line feed that LF did not (a black-box review)."""
    for piped, stored in (("hello\n", "hello"), ("hello\r\n", "hello"), ("a\r\nb\r\n\r\n", "a\nb"),
                          ("a\rb\r", "a\nb")):
        assert cli("note", "ctp", "-", input=piped).returncode == 0
        assert json.loads(cli("show", "ctp", "--json").stdout)["note"] == stored, piped
    assert cli("note", "ctp", "x\r\n").returncode == 0  # given as TEXT too
    assert json.loads(cli("show", "ctp", "--json").stdout)["note"] == "x"


def test_a_note_from_endless_stdin_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """``yes | papershelf note KEY -`` read until the memory ran out (a black-box review)."""
    from papershelf import cli as cli_module

    lib = Library(tmp_path / "lib")
    lib.add(parse_page_dump(f"A Paper\n\n{ABSTRACT}\n", "p.txt").entries)
    key = lib.keys()[0]
    monkeypatch.setattr(cli_module, "_MAX_PIPED_NOTE", 100)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n" * 51))
    assert cli_module.main(["--library", str(lib.root), "note", key, "-"]) == 1
    assert capsys.readouterr().err == (
        "papershelf: error: standard input holds more than 100 characters, too long for a "
        "note; the note was left unchanged (keep a long text in a file and note where it is)\n")
    assert Library(lib.root).get(key).note == ""
    monkeypatch.setattr("sys.stdin", io.StringIO("\ufeff" + "y\n" * 50 + "X"))  # one over, and a BOM
    assert cli_module.main(["--library", str(lib.root), "note", key, "-"]) == 1
    assert "too long for a note" in capsys.readouterr().err  # (it was cut short, silently)
    monkeypatch.setattr("sys.stdin", io.StringIO("\ufeff" + "y\n" * 50))
    assert cli_module.main(["--library", str(lib.root), "note", key, "-"]) == 0
    assert Library(lib.root).get(key).note == ("y\n" * 50).rstrip("\n")


def test_note_from_empty_stdin_is_refused_and_white_space_clears(cli: RunCli) -> None:
    assert cli("note", "ctp", "precious").returncode == 0
    empty = cli("note", "ctp", "-", input="")  # `false | papershelf note KEY -`
    assert empty.returncode == 1 and empty.stdout == ""
    assert empty.stderr.count("\n") == 1 and "standard input is empty" in empty.stderr
    assert cli("note", "ctp").stdout == "precious\n"
    blank = cli("note", "ctp", "-", input="\n")  # echo "$(failing-command)" | papershelf note KEY -
    assert blank.returncode == 1 and "standard input is only white space" in blank.stderr
    assert cli("note", "ctp").stdout == "precious\n"
    for invisible in ("\ufeff", "\ufeff\r\n", "\u200b\n", "\u2060 \u200d"):  # a BOM, zero-width
        shown = cli("note", "ctp", "-", input=invisible)
        assert shown.returncode == 1 and "the note was left unchanged" in shown.stderr
        assert shown.stderr.count("\n") == 1
    assert cli("note", "ctp").stdout == "precious\n"
    assert cli("note", "ctp", "-", input="\ufeffkept\n").returncode == 0  # a BOM is no part of it
    assert json.loads(cli("show", "ctp", "--json").stdout)["note"] == "kept"
    assert cli("note", "ctp", "  \t ").stdout.strip() == "note of ctp cleared"
    assert json.loads(cli("show", "ctp", "--json").stdout)["note"] == ""
    assert keys_of(cli("list", "has:note", "--keys").stdout) == []


def test_note_opens_the_editor_on_a_terminal(cli: RunCli, tmp_path: Path) -> None:
    # Without a terminal the note is printed, even if $EDITOR is set.
    result = cli("note", "ctp", env={"EDITOR": "false"})
    assert result.returncode == 0 and result.stdout == "\n"


class _Terminal(io.StringIO):
    """Standard input or output as a terminal: only there does ``note KEY`` open the editor."""

    def isatty(self) -> bool:
        return True


def note_in_editor(cli: RunCli, monkeypatch: pytest.MonkeyPatch,
                   edit: Callable[[str, str], str]) -> tuple[int, str]:
    """Run ``note ctp`` in process as on a terminal, the editor being ``edit`` (given the
    editor's name and the note, it returns what the user saved): exit status and stdout."""
    from papershelf import cli as cli_module

    out = _Terminal()
    monkeypatch.setenv("EDITOR", "vi")
    monkeypatch.setattr(cli_module, "_edit", edit)
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("sys.stdout", out)
    status = cli_module.main(["--library", str(cli.library), "note", "ctp"])  # type: ignore[attr-defined]
    return status, out.getvalue()


def note_in_editor_script(cli: RunCli, monkeypatch: pytest.MonkeyPatch, editor: Path,
                          script: str) -> int:
    """Run ``note ctp`` in process as on a terminal, the editor being a shell script at
    ``editor`` (``$1`` is the file to edit): the exit status."""
    from papershelf import cli as cli_module

    editor.write_text(f"#!/bin/sh\n{script}")
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("sys.stdout", _Terminal())
    return cli_module.main(["--library", str(cli.library), "note", "ctp"])  # type: ignore[attr-defined]


def kept_note(err: str) -> str:
    """The text of the file the error ``err`` says the note is kept in."""
    return Path(err.split("it is in ")[1].split(" (")[0].split(";")[0]).read_text()


def test_note_on_a_terminal_without_an_editor_prints_it_and_says_how_to_edit_it(
        cli: RunCli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from papershelf import cli as cli_module

    assert cli("note", "ctp", "kept").returncode == 0
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    out = _Terminal()
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("sys.stdout", out)
    assert cli_module.main(["--library", str(cli.library), "note", "ctp"]) == 0  # type: ignore[attr-defined]
    assert out.getvalue() == "kept\n"
    assert capsys.readouterr().err == ("papershelf: printed the note: to edit it here, set $VISUAL or "
                                       "$EDITOR (export EDITOR=nano), or give the text (papershelf "
                                       f"--library {cli.library} note ctp TEXT)\n")  # type: ignore[attr-defined]


def test_closing_the_editor_without_a_change_says_so(cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("note", "ctp", "kept").returncode == 0
    saved_as_it_was = note_in_editor(cli, monkeypatch, lambda editor, text: text + "\n")
    assert saved_as_it_was == (0, "note of ctp unchanged\n")


def test_an_editor_closed_unchanged_while_the_note_was_saved_elsewhere_is_no_conflict(
        cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    """It said the note was not saved and how to save it over theirs: with the stale
    text it had not changed."""
    def edit(editor: str, text: str) -> str:  # another process saves a note meanwhile
        Library(cli.library).set_note("ctp", "theirs")  # type: ignore[attr-defined]
        return text + "\n"  # closed as it was

    assert note_in_editor(cli, monkeypatch, edit) == (
        0, "note of ctp unchanged (another papershelf saved a new one meanwhile, which stays)\n")
    assert Library(cli.library).get("ctp").note == "theirs"  # type: ignore[attr-defined]


def test_a_note_saved_elsewhere_while_the_editor_is_open_is_not_overwritten(
        cli: RunCli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def edit(editor: str, text: str) -> str:  # another process saves a note meanwhile
        Library(cli.library).set_note("ctp", "theirs")  # type: ignore[attr-defined]
        return text + "mine\n"

    monkeypatch.setenv("XDG_STATE_HOME", str(cli.library.parent / "state"))  # type: ignore[attr-defined]
    assert note_in_editor(cli, monkeypatch, edit)[0] == 1
    err = capsys.readouterr().err
    assert "was changed elsewhere" in err and "yours was not saved, it is in " in err
    assert f"(papershelf --library {cli.library} note ctp - < " in err  # type: ignore[attr-defined]
    kept = Path(err.split("it is in ")[1].split(" (")[0].split(";")[0])
    assert kept.read_text() == "mine\n"
    # where a reboot does not clear it (the temporary directory may be)
    assert kept.parent == cli.library.parent / "state" / "papershelf" / "kept"  # type: ignore[attr-defined]
    kept.unlink()
    assert Library(cli.library).get("ctp").note == "theirs"  # type: ignore[attr-defined]


@pytest.mark.parametrize("reused", [False, True])
def test_a_note_whose_paper_is_deleted_while_the_editor_is_open_is_kept(
        cli: RunCli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path, reused: bool) -> None:
    """It was lost (the error named other keys); with the key given to another paper
    meanwhile, it was saved on that paper."""
    def edit(editor: str, text: str) -> str:  # another process deletes the paper meanwhile
        library = Library(cli.library)  # type: ignore[attr-defined]
        library.remove(["ctp"])
        if reused:
            other = tmp_path / "other.bib"
            other.write_text("@misc{ctp,\n  title = {An Unrelated Kangaroo Study},\n}\n")
            assert cli("import", str(other)).returncode == 0
        return "mine\n"

    assert note_in_editor(cli, monkeypatch, edit)[0] == 1
    err = capsys.readouterr().err
    gone = ("the paper 'ctp' was deleted while the editor was open, and its key given to "
            "another paper" if reused else
            "no paper with key 'ctp' (another papershelf deleted it while the editor was open)")
    assert err.startswith(f"papershelf: error: {gone}; yours was not saved, it is in "), err
    assert kept_note(err) == "mine\n"
    if reused:
        assert Library(cli.library).get("ctp").note == ""  # type: ignore[attr-defined]


def test_a_note_typed_in_the_editor_that_cannot_be_saved_is_kept(
        cli: RunCli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A library error (a full disk, a lock held too long) dropped it."""
    from papershelf.errors import LibraryError

    def full(self: Library, *args: object, **kwargs: object) -> None:
        raise LibraryError("cannot write to the library: No space left on device", "free some space")

    monkeypatch.setattr(Library, "set_note", full)
    assert note_in_editor(cli, monkeypatch, lambda editor, text: "mine\n")[0] == 1
    err = capsys.readouterr().err
    assert err.startswith("papershelf: error: cannot write to the library: No space left on device; "
                          "your note was not saved, it is in "), err
    assert kept_note(err) == "mine\n"


def _nowhere_to_keep_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the state directory nor the temporary fallback can hold a kept note."""
    (tmp_path / "state-is-a-file").write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state-is-a-file"))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    (tmp_path / f"papershelf-kept-{os.getuid()}").write_text("")  # not a directory


def test_a_note_that_can_be_neither_saved_nor_kept_in_a_file_is_printed(
        cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """It was an "unexpected FileExistsError", and the note typed was lost."""
    from papershelf.errors import LibraryError

    def full(self: Library, *args: object, **kwargs: object) -> None:
        raise LibraryError("cannot write to the library: No space left on device", "free some space")

    monkeypatch.setattr(Library, "set_note", full)
    _nowhere_to_keep_files(tmp_path, monkeypatch)
    assert note_in_editor(cli, monkeypatch, lambda editor, text: "mine\n") == (1, "mine\n")
    err = capsys.readouterr().err
    assert err.startswith("papershelf: error: cannot write to the library: No space left on device; "
                          "your note was not saved, it is printed above (no file could be written "
                          "to keep it: "), err
    assert "unexpected" not in err and err.count("\n") == 1  # one line


def test_an_editor_with_no_file_to_open_is_a_clear_error(
        cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from papershelf import cli as cli_module

    _nowhere_to_keep_files(tmp_path, monkeypatch)
    monkeypatch.setenv("EDITOR", "true")
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("sys.stdout", _Terminal())
    assert cli_module.main(["--library", str(cli.library), "note", "ctp"]) == 1  # type: ignore[attr-defined]
    err = capsys.readouterr().err
    assert err.startswith("papershelf: error: cannot write the file to open the editor on: "), err
    assert "the note was left unchanged" in err and "unexpected" not in err


def test_an_editor_whose_file_went_away_with_its_directory_is_a_clear_error(
        cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Removing the file after the editor failed too, and that error hid the first:
    "unexpected NotADirectoryError"."""
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    # saves, then its directory is replaced by a file
    assert note_in_editor_script(cli, monkeypatch, tmp_path / "editor.sh",
                                 f'echo mine > "$1"\nrm -rf {state}/papershelf\n'
                                 f'echo x > {state}/papershelf\n') == 1
    err = capsys.readouterr().err
    assert err.startswith("papershelf: error: cannot read the note the editor "), err
    assert "unexpected" not in err and "the note was left unchanged" in err


def test_a_note_typed_in_the_editor_is_kept_on_a_ctrl_c_while_the_library_is_busy(
        cli: RunCli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A ^C while waiting for another papershelf's lock dropped it: 'interrupted
    (nothing was changed)', and the note typed was gone."""
    def waiting(self: Library, *args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Library, "set_note", waiting)
    assert note_in_editor(cli, monkeypatch, lambda editor, text: "mine\n")[0] == 130
    err = capsys.readouterr().err
    assert err.startswith("papershelf: error: interrupted; your note was not saved, it is in "), err
    assert kept_note(err) == "mine\n"


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM])
def test_a_note_typed_in_the_editor_is_kept_when_the_terminal_closes_during_the_save(
        cli: RunCli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        signum: int) -> None:
    """The signal ended the process while the save waited for a busy library: the note
    typed was lost."""
    def waiting(self: Library, *args: object, **kwargs: object) -> None:
        assert signal.getsignal(signum) is not signal.SIG_DFL  # (else it ends pytest)
        os.kill(os.getpid(), signum)  # arrives while waiting for the lock
        time.sleep(5)

    monkeypatch.setattr(Library, "set_note", waiting)
    # (as in a terminal: under nohup, SIGHUP is ignored, and is to stay so)
    before = signal.signal(signum, signal.SIG_DFL)
    try:
        assert note_in_editor(cli, monkeypatch, lambda editor, text: "mine\n")[0] == 128 + signum
        assert signal.getsignal(signum) is signal.SIG_DFL
    finally:
        signal.signal(signum, before)
    err = capsys.readouterr().err
    assert err.startswith("papershelf: error: interrupted; your note was not saved, it is in "), err
    assert kept_note(err) == "mine\n"


@pytest.mark.parametrize(("editor", "script", "error"), [
    ("/nonexistent/editor", None, "cannot run the editor .*No such file"),
    ('vi "', None, "cannot run the editor .*No closing quotation"),
    (None, "printf 'caf\\351' > \"$1\"", "cannot read the note the editor .*can't decode"),
    (None, 'rm "$1"', "cannot read the note the editor .*No such file"),
])
def test_an_editor_that_fails_is_a_clear_error(tmp_path: Path, editor: str | None,
                                               script: str | None, error: str) -> None:
    from papershelf.cli import _edit
    from papershelf.errors import PapershelfError

    if script is not None:  # an editor that runs, then leaves a file that cannot be read
        path = tmp_path / "editor.sh"
        path.write_text(f"#!/bin/sh\n{script}\n")
        path.chmod(0o755)
        editor = str(path)
    assert editor is not None
    with pytest.raises(PapershelfError, match=error):
        _edit(editor, "the note")


def test_a_note_the_editor_saved_in_another_encoding_is_kept(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """It was deleted with the error: what was typed was lost."""
    from papershelf.cli import _edit
    from papershelf.errors import PapershelfError

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nprintf 'Caf\\351: a long note typed with care' > \"$1\"\n")
    editor.chmod(0o755)
    with pytest.raises(PapershelfError, match="the note was left unchanged, yours is in ") as raised:
        _edit(str(editor), "the note")
    kept = Path(raised.value.message.split("yours is in ")[1])
    assert kept.read_bytes() == b"Caf\xe9: a long note typed with care"
    assert f"note KEY - < {kept} then saves it" in raised.value.hint


def test_a_note_saved_in_another_encoding_names_the_command_that_saves_it_on_its_library(
        cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """It said 'papershelf note KEY - < FILE': without --library, on the default library."""
    import shlex

    from papershelf.cli import _edit

    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nprintf 'Caf\\351' > \"$1\"\n")
    editor.chmod(0o755)
    assert note_in_editor(cli, monkeypatch, lambda name, text: _edit(str(editor), text))[0] == 1
    library = str(cli.library)  # type: ignore[attr-defined]
    err = capsys.readouterr().err
    kept = err.split("yours is in ")[1].split(" (")[0]
    assert f"papershelf --library {shlex.quote(library)} note ctp - < {kept} then saves it)" in err, err


def test_export_json_and_markdown(cli: RunCli, tmp_path: Path) -> None:
    data = json.loads(cli("export", "tag:none-yet", "--format", "json").stdout or "[]")
    assert data == []
    cli("tag", "add", "vlp", "languagebind", "ctp", check=True)
    exported = json.loads(cli("export", "tag:vlp", "--format", "json").stdout)
    assert sorted(p["key"] for p in exported) == ["ctp", "languagebind"]
    out = tmp_path / "out" / "list.md"
    result = cli("export", "tag:vlp", "--format", "markdown", "-o", str(out))
    assert result.returncode == 0 and result.stdout.strip() == f"exported 2 papers to {out}"
    text = out.read_text()
    assert text.startswith("# Reading list") and "## LanguageBind: Extending" in text
    assert "- key: `ctp`" in text
    everything = json.loads(cli("export", "--format", "json").stdout)
    assert len(everything) == 356


def test_rm_and_stats(cli: RunCli) -> None:
    cli("tag", "add", "x", "ctp", check=True)
    cli("note", "ctp", "n", check=True)
    assert cli("rm", "ctp", "valor").stdout.strip() == "deleted 2 papers"
    stats = json.loads(cli("stats", "--json").stdout)
    assert stats == {"papers": 354, "read": 0, "unread": 354, "tags": 0, "notes": 0}
    assert cli("stats").stdout.splitlines()[0] == "papers:  354"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["show", "nope"], 1, "no paper with key 'nope'"),
        (["tag", "add", "x", "ctp", "nope"], 1, "no paper with key 'nope'"),
        (["rm", "ctp", "languagebnd"], 1, "did you mean languagebind"),
        (["show", "PROTOCLIP"], 1, "did you mean protoclip"),  # keys compared lower-cased
        (["show", "k" * 5000], 1, f"no paper with key '{'k' * 59}…' ("),  # not echoed whole
        (["tag", "add", "a\\b", "ctp"], 2, "tag 'a\\b' cannot contain"),  # one backslash shown
        (["import", ""], 1, "the path to import is empty"),
        (["note", "nope", "x"], 1, "no paper with key"),
        (["read", "--query", "zzzzqqq"], 1, "no paper matches"),
        (["read", "--query", "a\\b " + "q" * 5000], 1, f"no paper matches 'a\\b {'q' * 55}…' ("),
        (["tag", "add", "x", "--query", ""], 2, "the query '' has nothing to match"),
        (["tag", "add", "two words", "ctp"], 2, "cannot contain spaces"),
        (["import", "--tag", "two words", "-"], 2, "cannot contain spaces"),  # before stdin is read
        (["tag", "add", "two words", "nokey"], 2, "cannot contain spaces"),  # before the keys
        (["tag", "rename", "x", "#x"], 2, "cannot start with '#'"),
        (["note", "ctp", "--important"], 2,
         "--important (a note starting with - goes after -- (papershelf note KEY -- --important)"),
        (["tag", "rename", "nothing", "x"], 1, "no paper is tagged"),
        (["list", "--bogus"], 2, "unrecognized arguments: --bogus (see papershelf list --help)"),
        (["tag", "add", "x", "ctp", "--bogus"], 2, "--bogus (see papershelf tag add --help)"),
        (["tag", "add", "x", "--query", "key:ctp", "--query", "clip"], 2, "--query is given twice"),
        (["note", "ctp", "two", "words"], 2,
         "unrecognized arguments: words (quote a note of several words, or see papershelf note --help)"),
        (["note", "ctp", "-x"], 2, "-x (a note starting with - goes after -- (papershelf note KEY -- -x)"),
        (["note", "ctp", "a", "--important"], 2,  # (not "note KEY -- --important": "a" gone)
         "unrecognized arguments: --important (quote a note of several words, or see"),
        (["frobnicate"], 2, "invalid choice"),
        (["list", "--limit", "many"], 2, "not a number"),
        (["list", "is:maybe"], 2, "bad query"),
        (["tag", "add", "x"], 2, "give at least one KEY"),
        (["tag", "add", "x", "ctp", "--query", "clip"], 2, "not both"),
        # a query of several words not quoted, the TAG after the keys, --library after the command
        (["read", "--query", "vision", "language"], 2,
         "not both (quote a query of several words (--query 'vision language'), or see papershelf read"),
        (["tag", "add", "x", "--query", "tag:hf", "is:unread"], 2,
         "unrecognized arguments: is:unread (quote a query of several words (--query 'tag:hf is:unread')"),
        (["read", "ctp", "--query", "clip"], 2, "not both (see papershelf read --help)"),  # meant
        (["list", "clip", "--limit", "5", "foo"], 2, "arguments: foo (see papershelf list --help)"),
        (["tag", "add", "ctp", "to-read"], 1,
         "no paper with key 'to-read' (see papershelf list --keys; or, if 'ctp' is the paper, the tag "
         "comes first: papershelf --library "),
        (["tag", "rm", "ctp", "x"], 1, "the tag comes first: papershelf --library "),
        (["tag", "add", "ctp", "languagebind", "nokey"], 1, "no paper with key 'nokey' (see papershelf list"),
        (["list", "--library", "elsewhere", "clip"], 2,
         "--library (--library goes before the command (papershelf --library DIR list ...), or see"),
        (["import"], 2, "give files to import"),
        (["export", "--format", "docx"], 2, "invalid choice"),
        (["export", "-orefs.bib"], 2, "reads as a query term, not as -o with a file"),
        (["export", "-o", ""], 2, "-o/--output: the file name is empty"),
        (["export", "-o", "~nosuchuser-ps/refs.bib"], 2, "~nosuchuser-ps is no user's home directory"),
        (["export", "-o", "new-dir/"], 2, "new-dir/ names a directory (give a file name"),
        (["import", "~nosuchuser-ps/x.txt"], 1, "~nosuchuser-ps is no user's home directory"),
        (["--library", "~nosuchuser-ps/lib", "list"], 1, "~nosuchuser-ps is no user's home directory"),
        (["export", "-o", "-tag:a", "refs.bib"], 2, "'-tag:a' looks like a query term, not a file name"),
        ([], 2, "the TUI needs a terminal"),  # not on a terminal: no TUI spinning a core
        (["--demo"], 2, "the TUI needs a terminal"),
    ],
)
def test_errors_are_one_line_with_exit_status_and_change_nothing(
        cli: RunCli, args: list[str], code: int, message: str) -> None:
    before = snapshot(cli.library)  # type: ignore[attr-defined]
    result = cli(*args)
    assert result.returncode == code
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("papershelf: error: ") and message in lines[0]
    assert "Traceback" not in result.stderr
    assert snapshot(cli.library) == before  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("Caf\u00e9 r\u00e9sum\u00e9\n".encode("latin-1"), "not UTF-8"),
        (b"only a line\n", "no papers found"),
        (b'[{"key": "a", "title": "A Paper"},\n {"key": "b", "title": "B Paper"}]\n', "is JSON, not"),
        (None, "does not exist"),
        ("dir", "is a directory (give a file inside it; the command line takes many at once, as "
                "DIR/*.txt)"),
    ],
)
def test_bad_import_inputs(cli: RunCli, tmp_path: Path, content: bytes | str | None,
                           message: str) -> None:
    target = tmp_path / "input.txt"
    if content == "dir":
        target.mkdir()
    elif isinstance(content, bytes):
        target.write_bytes(content)
    good = tmp_path / "good.txt"
    good.write_text(f"A Good Paper\n\n{ABSTRACT}\n")
    before = snapshot(cli.library)  # type: ignore[attr-defined]
    result = cli("import", str(good), str(target))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("papershelf: error: ")
    assert message in result.stderr and str(target) in result.stderr
    assert snapshot(cli.library) == before  # type: ignore[attr-defined]


@pytest.mark.parametrize("args", [("--debug", "show", "nope"), ("show", "nope", "--debug")])
def test_debug_shows_a_traceback(cli: RunCli, args: tuple[str, ...]) -> None:
    # After the command it was an 'unrecognized argument', with a traceback of that
    result = cli(*args)
    assert result.returncode == 1 and "Traceback" in result.stderr
    assert "UnknownKeyError: no paper with key 'nope'" in result.stderr


def test_library_from_the_environment(run_cli: RunCli, tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, "PAPERSHELF_LIBRARY": str(tmp_path / "envlib")}
    subprocess.run([sys.executable, "-m", "papershelf", "import", str(SAMPLES[0])], env=env,
                   check=True, capture_output=True)
    assert len(Library(tmp_path / "envlib")) == 71


def test_closed_standard_streams_fail_cleanly_before_any_change(cli: RunCli) -> None:
    import subprocess
    import sys

    run = f"{sys.executable} -m papershelf --library {cli.library}"  # type: ignore[attr-defined]

    def shell(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", f"{run} {command}"], capture_output=True, text=True)

    before = snapshot(cli.library)  # type: ignore[attr-defined]
    closed_out = shell("tag add x ctp >&-")
    assert closed_out.returncode == 1
    assert closed_out.stderr == ("papershelf: error: standard output is closed (redirect it "
                                 "instead, e.g. >/dev/null)\n")
    assert snapshot(cli.library) == before  # type: ignore[attr-defined]
    closed_err = shell("show nope 2>&-")
    assert (closed_err.returncode, closed_err.stdout) == (1, "")
    for reads in ("import -", "note ctp -"):
        closed_in = shell(f"{reads} <&-")
        assert closed_in.returncode == 1
        assert closed_in.stderr == ("papershelf: error: standard input is closed (redirect it "
                                    "instead, e.g. < FILE)\n")
    assert snapshot(cli.library) == before  # type: ignore[attr-defined]
    printed = shell("note ctp <&-")
    assert printed.returncode == 0  # no editor without a terminal: the note is printed


def test_a_failed_command_takes_back_the_library_it_made(run_cli: RunCli, tmp_path: Path) -> None:
    """A mistyped --library with a command that fails (the key is not there) left an
    empty library directory behind, and a directory holding no library kept the
    .gitignore and .lock it added; one that succeeds makes the library, as the SPEC
    says, and a directory that was there already stays, as does anything else in it."""
    typo = tmp_path / "typo" / "lib"
    for command in (["tag", "add", "x", "nokey"], ["show", "nokey"], ["note", "nokey", "-"]):
        result = run_cli(*command, library=typo, input="a note")
        assert result.returncode == 1 and "no paper with key 'nokey'" in result.stderr
        assert not (tmp_path / "typo").exists()
    made = tmp_path / "made"  # there already: it stays, without what the command added
    made.mkdir()
    (made / "mine.txt").write_text("kept")
    assert run_cli("show", "nokey", library=made).returncode == 1
    assert [path.name for path in made.iterdir()] == ["mine.txt"]
    assert run_cli("list", library=typo).returncode == 0
    assert typo.is_dir()
    (typo / "mine.txt").write_text("kept")
    assert run_cli("show", "nokey", library=typo).returncode == 1
    assert (typo / "mine.txt").read_text() == "kept"
    # typo/../proj names proj, which a walk up the words of the path took for missing:
    # it and its .gitignore were deleted (a code review)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / ".gitignore").write_text("*.aux\n")
    assert run_cli("show", "nokey", library=tmp_path / "nothere" / ".." / "proj").returncode == 1
    assert (proj / ".gitignore").read_text() == "*.aux\n"
    # a directory whose papers/0001.json is another program's cannot be opened: what
    # the command added was left beside it, as its papers/ held something
    other = tmp_path / "other"
    (other / "papers").mkdir(parents=True)
    (other / "papers" / "0001.json").write_text('{"x": 1}')
    failed = run_cli("stats", library=other)
    assert failed.returncode == 1 and "holds no 'papers' table" in failed.stderr
    assert sorted(path.name for path in other.iterdir()) == ["papers"]



def test_a_command_failing_after_making_papers_dir_takes_it_back(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """An import that failed while saving (a file name not in UTF-8 did) left the new
    library's .lock, .gitignore and empty papers/ behind: a papers/ it made held no
    paper, but was taken for a library's."""
    from papershelf import cli as cli_module
    from papershelf import storage

    def fail(*_args: object, **_kwargs: object) -> None:
        raise TypeError("str is not valid UTF-8")

    page = tmp_path / "page.txt"
    page.write_text(f"Some Paper\n\n{ABSTRACT}\n")
    monkeypatch.setattr(storage, "dump_json", fail)  # as orjson failed, the directories made
    library = tmp_path / "new" / "lib"
    assert cli_module.main(["--library", str(library), "import", str(page)]) == 1
    assert "unexpected TypeError" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(("command", "said"), [
    (["tag", "add", "x", "--query", "clip"], "tagged {n} papers with x"),
    (["read", "--query", "clip"], "marked read {n} papers"),
])
def test_a_query_leaves_out_a_paper_deleted_while_the_command_ran(
        sample_library: Library, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        command: list[str], said: str) -> None:
    """``read --query clip`` failed whole, marking nothing, when another process deleted
    one of the papers it found before it locked the library ("no paper with key")."""
    from papershelf import cli as cli_module

    found = cli_module._query_keys
    count = len(found(sample_library, "clip", ranked=False))

    def found_then_one_deleted(library: Library, query: str, **kwargs: bool) -> list[str]:
        keys = found(library, query, **kwargs)
        Library(sample_library.root).remove(keys[:1])
        return keys

    monkeypatch.setattr(cli_module, "_query_keys", found_then_one_deleted)
    assert cli_module.main(["--library", str(sample_library.root), *command]) == 0
    gone = " (1 deleted meanwhile by another papershelf)\n"
    assert capsys.readouterr().out == said.format(n=count - 1) + gone
    assert len(found(Library(sample_library.root), "clip is:unread -tag:x", ranked=False)) == 0


def test_text_a_hand_edit_gave_control_characters_reaches_no_terminal(cli: RunCli, tmp_path: Path) -> None:
    """A title, tag or note edited by hand (or merged in git) with a colour, a screen
    clear or a window title went to the terminal as it was, and a line feed in a title
    broke ``list``'s one line a paper (a black-box review)."""
    shard = tmp_path / "cli-lib" / "papers" / "0001.json"
    data = json.loads(shard.read_text())
    record = data["papers"]["protoclip"]
    record.update(title="Evil\u001b[2J\u001b]0;pwned\u0007 Title\nsecond line",
                  tags=["t\u001b[5mx"], note="a \u001b[31mred\u001b[0m note")
    shard.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    listed = cli("list", "key:protoclip").stdout
    assert listed == "  protoclip  Evil Title second line  #tx\n"
    assert cli("list").stdout.count("\n") == len(cli("list", "--keys").stdout.split())
    for command in (["show", "protoclip"], ["tag", "list"], ["note", "protoclip"], ["list"]):
        out = cli(*command).stdout
        assert "\x1b" not in out and "\x07" not in out, command
    assert "a red note" in cli("note", "protoclip").stdout
    # --json stays the text as stored, escaped by JSON
    assert json.loads(cli("show", "protoclip", "--json").stdout)["note"] == "a \x1b[31mred\x1b[0m note"

def test_an_empty_library_path_is_a_usage_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "papershelf", "--library", "", "stats"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2 and "an empty path is not a directory" in result.stderr
    assert list(tmp_path.iterdir()) == []  # the current directory did not become a library


@pytest.mark.parametrize("command", ["list", "list --json", "export", "export --format json"])
def test_output_into_a_closed_pipe_is_quiet(cli: RunCli, command: str) -> None:
    import subprocess
    import sys

    cmd = (f"{sys.executable} -m papershelf --library {cli.library} {command} | head -1; "  # type: ignore[attr-defined]
           "exit ${PIPESTATUS[0]}")
    result = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == ""
    assert len(result.stdout.splitlines()) == 1


@pytest.mark.parametrize(("field", "value", "what"), [
    ("seq", "abc", "a whole number"),
    ("tags", "to-read", "a list of texts"),  # would pass for the tags t, o, -, r, ...
    ("read", "yes", "true or false"),
    ("title", 7, "text"),  # list --json printed "title": 7
    ("note", None, "text"),
    ("tags", [1, 2], "a list of texts"),  # export --format json wrote them as they were
    ("authors", ["Ada", None], "a list of texts"),
])
@pytest.mark.parametrize("command", [["list"], ["export"], ["list", "--json", "vision"],
                                     ["tag", "add", "zz", "ctp"], ["export", "--format", "json"]])
def test_a_hand_edited_record_is_a_clear_error(cli: RunCli, command: list[str], field: str,
                                               value: object, what: str) -> None:
    """A record of the wrong shape is found when its file changed behind papershelf's
    back; the error names the file, the paper and the field, not an "unexpected" bug,
    and changes nothing."""
    import json

    path = cli.library / "papers" / "0001.json"  # type: ignore[attr-defined]
    data = json.loads(path.read_text())
    key = sorted(data["papers"])[3]
    data["papers"][key][field] = value
    path.write_text(json.dumps(data))
    before = snapshot(cli.library)  # type: ignore[attr-defined]
    for _ in range(2):  # and again: a failed check caches nothing
        result = cli(*command)
        assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
        shown = repr(value) if isinstance(value, str) else json.dumps(value)  # null, not None
        assert f"{path}: the paper {key!r} has {field} {shown}, which should be {what}" \
            in result.stderr and "unexpected" not in result.stderr
    assert snapshot(cli.library) == before  # type: ignore[attr-defined]


@pytest.mark.parametrize("fmt", ["bibtex", "json", "markdown"])
def test_an_export_whose_query_matches_nothing_leaves_the_file(cli: RunCli, tmp_path: Path,
                                                               fmt: str) -> None:
    """``export tag:to-raed -o refs.bib`` (a typo in a Makefile) wrote an empty file over
    the bibliography, with status 0 (a black-box review)."""
    refs = tmp_path / "refs.bib"
    kept = {"bibtex": "@misc{kept, title={Kept}}\n", "json": '[{"key": "Kept"}]\n',
            "markdown": "# Reading list\n\n## Kept\n\n- key: `kept`\n"}[fmt]  # (what the format writes)
    refs.write_text(kept)
    result = cli("export", "tag:to-raed", "--format", fmt, "-o", str(refs))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (f"papershelf: error: no paper matches 'tag:to-raed'; {refs} was left "
                             "as it was (try papershelf list QUERY)\n")
    assert refs.read_text() == kept
    printed = cli("export", "tag:to-raed", "--format", fmt)  # (the shell made the file already)
    empty = {"bibtex": "", "json": "[]\n", "markdown": "# Reading list\n\n"}[fmt]
    assert (printed.returncode, printed.stdout) == (0, empty)
    assert printed.stderr == "papershelf: warning: no paper matches 'tag:to-raed'\n"
    assert cli("export", "key:ctp", "--format", fmt, "-o", str(refs)).returncode == 0
    assert "Kept" not in refs.read_text()
    missing = cli("export", "tag:to-raed", "-o", str(tmp_path / "new.bib"))
    assert missing.stderr.startswith(f"papershelf: error: no paper matches 'tag:to-raed'; "
                                     f"{tmp_path / 'new.bib'} was not written (")
    assert not (tmp_path / "new.bib").exists()


def test_an_export_of_a_library_holding_no_paper_leaves_the_file(cli: RunCli, tmp_path: Path) -> None:
    """``--library typo export -o refs.bib``: the mistyped library was made, empty, and its
    export of no paper emptied the bibliography, with status 0 (a black-box review)."""
    refs = tmp_path / "refs.bib"
    assert cli("export", "-o", str(refs)).returncode == 0
    kept = refs.read_bytes()
    typo = tmp_path / "typo"
    result = cli("export", "-o", str(refs), library=typo)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (f"papershelf: error: the library {typo} holds no paper; {refs} was "
                             "left as it was (check --library and PAPERSHELF_LIBRARY, or import "
                             "papers first)\n")
    assert refs.read_bytes() == kept
    assert not typo.exists()  # what the failed command made is taken back
    new = cli("export", "--format", "json", "-o", str(tmp_path / "new.json"), library=typo)
    assert new.returncode == 1 and "new.json was not written" in new.stderr
    assert not (tmp_path / "new.json").exists()
    printed = cli("export", library=typo)  # (the shell made the file already)
    assert (printed.returncode, printed.stdout) == (0, "")
    assert printed.stderr == f"papershelf: warning: the library {typo} holds no paper\n"
    queried = cli("export", "tag:x", "-o", str(refs), library=typo)  # the library, not the query
    assert queried.returncode == 1
    assert queried.stderr.startswith(f"papershelf: error: the library {typo} holds no paper; ")
    assert refs.read_bytes() == kept


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="no /dev/stdout")
def test_export_to_a_dash_writes_to_standard_output(cli: RunCli, tmp_path: Path) -> None:
    result = cli("export", "key:ctp", "-o", "-")
    assert result.stdout.startswith("@misc{ctp,") and not Path("-").exists()


def test_export_to_dev_stdout_writes_to_standard_output(cli: RunCli) -> None:
    """``-o /dev/stdout`` (a link to a pipe here) is the standard output: written into,
    not replaced, and without the summary line that would spoil the data."""
    to_stdout = cli("export", "--format", "json", "-o", "/dev/stdout")
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert to_stdout.stdout == cli("export", "--format", "json").stdout


def test_export_to_dev_stdout_appends_to_the_shells_file(cli: RunCli, tmp_path: Path) -> None:
    """With ``>> FILE``, ``/dev/stdout`` is a regular file: it must be appended to, not
    replaced by a new file (which would lose what it held)."""
    import subprocess
    import sys

    log = tmp_path / "log.txt"
    log.write_text("an earlier line\n")
    inode = log.stat().st_ino
    cmd = (f"{sys.executable} -m papershelf --library {cli.library} "  # type: ignore[attr-defined]
           f"export --format json -o /dev/stdout >> {log}")
    result = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert log.stat().st_ino == inode
    assert log.read_text() == "an earlier line\n" + cli("export", "--format", "json").stdout


def test_export_to_dev_stdout_into_a_closed_pipe_is_quiet(cli: RunCli) -> None:
    import subprocess
    import sys

    cmd = (f"{sys.executable} -m papershelf --library {cli.library} export -o /dev/stdout "  # type: ignore[attr-defined]
           "| head -1; exit ${PIPESTATUS[0]}")
    result = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("@")


def test_long_imports_show_progress_on_a_terminal_only(run_cli: RunCli, tmp_path: Path) -> None:
    import subprocess
    import sys

    big = tmp_path / "big.txt"
    big.write_text("\n\n".join(f"Generated Paper Number {i}\n\n{ABSTRACT * 6}" for i in range(1400)))
    assert big.stat().st_size > 2 * 2**20
    spawn = "import pty, sys; pty.spawn(sys.argv[1:])"
    cmd = [sys.executable, "-c", spawn, sys.executable, "-m", "papershelf",
           "--library", str(tmp_path / "tty-lib"), "import", str(big)]
    on_tty = subprocess.run(cmd, capture_output=True, timeout=120)
    assert b"reading big.txt" in on_tty.stdout or b"saving" in on_tty.stdout
    assert b"1400 new, 0 already in library, 0 failed" in on_tty.stdout
    piped = run_cli("import", str(big), library=tmp_path / "pipe-lib")
    assert piped.stderr == "" and piped.stdout == "1400 new, 0 already in library, 0 failed\n"


def test_the_progress_bar_leaves_indexing_to_every_core(capsys: pytest.CaptureFixture[str]) -> None:
    """The bar's refresh thread would stop the import from forking index builders
    (:func:`papershelf.forked.workers_for` refuses while another thread runs)."""
    import threading

    from papershelf import cli

    before = set(threading.enumerate())
    with cli._Progress(100, enabled=True) as progress:
        progress.reading("big.txt")
        progress.saving(3000)
        assert set(threading.enumerate()) - before  # the bar's refresher
        progress.indexing()
        assert not set(threading.enumerate()) - before  # gone before indexing starts
    assert capsys.readouterr().err.endswith("indexing for search...\r\x1b[K")


def test_a_big_bib_is_read_on_a_still_line_left_to_every_core(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A ``.bib`` parsed in pieces (:func:`papershelf.importers.in_pieces`) is parsed on
    every core only if the bar's refresh thread is gone."""
    import threading

    from papershelf import cli

    before = set(threading.enumerate())
    with cli._Progress(100, enabled=True) as progress:
        progress.reading("small.txt")
        assert set(threading.enumerate()) - before
        progress.reading("big.bib", still=True)
        assert not set(threading.enumerate()) - before
        progress.reading("next.txt")
        progress.saving(3000)
        progress.indexing()
    err = capsys.readouterr().err
    assert err.split("\r\x1b[K")[-5:] == ["reading big.bib...", "reading next.txt...",
                                            "saving 3000 papers...", "indexing for search...", ""]


def test_in_pieces_means_a_big_input() -> None:
    from papershelf.importers import PIECE_CHARS, in_pieces

    big = b"@misc{x, title={T}}\n" * (2 * PIECE_CHARS // 20 + 1)
    assert in_pieces("refs.bib", big) and in_pieces("refs.txt", big)
    assert not in_pieces("refs.bib", big[: PIECE_CHARS])
    assert in_pieces("page.txt", b"A Title\n\nAn abstract.\n" * PIECE_CHARS)
    assert not in_pieces("page.txt", b"A Title\n\nAn abstract.\n")


def test_nothing_shows_without_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from papershelf import cli

    with cli._Progress(100, enabled=False) as progress:
        progress.reading("big.bib", still=True)
        progress.saving(3)
        progress.indexing()
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("columns", "width"), [("60", 60), ("120", 120), ("0", 80), ("x", 80)])
def test_help_wraps_to_the_terminal_width(run_cli: RunCli, columns: str, width: int) -> None:
    """``$COLUMNS`` when it is a width, else (stdout is no terminal here) 80."""
    result = run_cli("list", "--help", env={"COLUMNS": columns}, check=True)
    widest = max(map(len, result.stdout.splitlines()))
    assert widest <= width - 2
    assert widest > min(width - 20, 70)  # long help lines use the room


def test_an_import_whose_indexing_fails_says_its_papers_are_saved(cli: RunCli) -> None:
    import json

    from .conftest import SAMPLES

    path = cli.library / "texts" / "0001.json"  # type: ignore[attr-defined]
    data = json.loads(path.read_text())
    key = sorted(data["texts"])[0]
    data["texts"][key]["abstract"] = 5
    path.write_text(json.dumps(data))
    result = cli("import", str(SAMPLES[1]), "--tag", "again")
    assert result.returncode == 1
    assert result.stdout.endswith("already in library, 0 failed\n")
    assert result.stderr.splitlines() == [
        "papershelf: warning: the papers are imported, but indexing them for search failed:",
        f"papershelf: error: {path}: the paper {key!r} has abstract 5, which should be text "
        "(fix the file by hand or restore it from git or a backup)"]
    assert cli("list", "--keys", "tag:again").stdout.strip()


def test_text_that_is_not_utf8_is_a_clear_error_and_changes_nothing(cli: RunCli) -> None:
    import os
    import subprocess
    import sys

    before = snapshot(cli.library)  # type: ignore[attr-defined]
    for args, stdin, code, said in [
            (["note", "ctp", "-"], b"caf\xe9 note\n", 1, "the note is not UTF-8 text"),  # Latin-1
            (["note", "ctp", os.fsdecode(b"x\xfe")], b"", 1, "the note is not UTF-8 text"),
            # a bad tag breaks the rules of a command-line value, as a bad choice does: status 2
            (["tag", "add", os.fsdecode(b"bad\xff"), "ctp"], b"", 2, "tag 'bad?' is not UTF-8 text")]:
        result = subprocess.run([sys.executable, "-m", "papershelf", "--library",
                                 str(cli.library), *args],  # type: ignore[attr-defined]
                                input=stdin, capture_output=True, timeout=60)
        err = result.stderr.decode()
        assert result.returncode == code and said in err, err
        assert len(err.splitlines()) == 1 and "unexpected" not in err
    assert snapshot(cli.library) == before  # type: ignore[attr-defined]


def test_export_warns_when_the_file_name_says_another_format(cli: RunCli, tmp_path: Path) -> None:
    out = tmp_path / "refs.json"
    done = cli("export", "key:protoclip", "-o", str(out))
    assert done.returncode == 0 and out.read_text().startswith("@misc{protoclip,")  # as asked
    assert done.stderr == ("papershelf: warning: writing BibTeX to a .json file "
                           "(add --format json for JSON)\n")
    assert cli("export", "key:protoclip", "-o", str(out), "--format", "bibtex").stderr == ""
    # JSON over the BibTeX just written is refused as over any BibTeX (test below)
    refused = cli("export", "key:protoclip", "-o", str(out), "--format", "json")
    assert refused.returncode == 1 and "holds BibTeX, not a JSON export" in refused.stderr
    out.unlink()
    for args in (["--format", "json"], ["--format=json"]):
        assert cli("export", "key:protoclip", "-o", str(out), *args).stderr == ""
    assert cli("export", "key:protoclip", "-o", str(tmp_path / "refs.bib")).stderr == ""


@pytest.mark.parametrize(("name", "held", "fmt", "said"), [
    ("thesis.tex", "\\documentclass{article}\n% mine\n", "bibtex", "holds LaTeX, not BibTeX"),
    ("notes.txt", "my notes\n", "bibtex", "holds something other than BibTeX"),
    ("refs.md", "# Reading list\n\n## A\n", "bibtex", "holds Markdown, not BibTeX"),
    ("refs.bib", "@misc{a,\n  title = {A},\n}\n", "json", "holds BibTeX, not a JSON export"),
    ("package.json", '{"name": "x"}\n', "json", "holds JSON, not a JSON export"),
    ("notes.md", "# My notes\n", "markdown", "holds Markdown, not a Markdown export"),
    ("paper.pdf", "%PDF-1.5\n\x00\x01", "bibtex", "holds binary data, not BibTeX"),
    # BibTeX quoted in a file is no bibliography; nor is a TOML file a JSON list; nor a
    # note headed as the export is (a review)
    ("README.md", "A tool.\n\nUse it.\n\nCite it:\n\n```bibtex\n@misc{x,\n  title = {X},\n}\n```\n",
     "bibtex", "holds something other than BibTeX"),
    ("paper.tex", "\\begin{filecontents}{refs.bib}\n@misc{x, title={X}}\n\\end{filecontents}\n",
     "bibtex", "holds LaTeX, not BibTeX"),
    ("model.py", "import x\n\n\nfrom y import z\n\n@dataclass(frozen=True, slots=True)\nclass A:\n",
     "bibtex", "holds something other than BibTeX"),
    ("first.py", "@dataclass(frozen=True)\nclass A:\n", "bibtex", "holds something other than BibTeX"),
    ("two.py", "from x import y\n\n\n@dataclass(frozen=True,\n    slots=True)\nclass P:\n", "bibtex",
     "holds something other than BibTeX"),
    ("pyproject.toml", '[project]\nname = "x"\n', "json", "holds TOML, not a JSON export"),
    ("mine.md", "# Reading list\n\nmy own list\n", "markdown", "holds Markdown, not a Markdown export"),
])
def test_export_does_not_replace_a_file_holding_something_else(
        cli: RunCli, tmp_path: Path, name: str, held: str, fmt: str, said: str) -> None:
    """``export -o thesis.tex`` (a typo for thesis.bib) replaced the LaTeX source with
    BibTeX, and said it had exported (a black-box review)."""
    target = tmp_path / name
    target.write_text(held)
    done = cli("export", "-o", str(target), "--format", fmt)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (f"papershelf: error: {target} {said}: the export would replace it "
                           f"(export to another file, or delete {target} first)\n")
    assert target.read_text() == held


@pytest.mark.parametrize(("fmt", "held"), [
    ("bibtex", "% references\n\n@article{mine,\n  title = {Mine},\n}\n"),  # anyone's BibTeX
    ("bibtex", "This file was created with JabRef 2.1 beta 2.\nEncoding: Cp1252\n\n"
               "@misc{a,\n  title = {A},\n}\n"),
    ("bibtex", "% only comments so far\n"),
    ("bibtex", "\n"),
    ("json", "[]\n"),
    ("json", '[\n  {\n    "key": "a"'),
    ("markdown", "# Reading list\n\n"),
    ("markdown", "# Reading list\r\n\r\n## A\r\n\r\n- key: `a`\r\n"),  # a Windows checkout's
])
def test_export_replaces_what_it_would_write(cli: RunCli, tmp_path: Path, fmt: str, held: str) -> None:
    target = tmp_path / "out"
    target.write_bytes(held.encode())
    done = cli("export", "key:protoclip", "-o", str(target), "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert target.read_text() != held and "protoclip" in target.read_text()


def test_export_replaces_a_markdown_export_whose_first_title_is_longer_than_what_is_read(
        cli: RunCli, tmp_path: Path) -> None:
    target = tmp_path / "m.md"
    target.write_text("# Reading list\n\n## " + "T" * 70000 + "\n\n- key: `t`\n")
    assert cli("export", "key:protoclip", "--format", "markdown", "-o", str(target)).returncode == 0


def test_export_replaces_a_utf16_bib(cli: RunCli, tmp_path: Path) -> None:
    """import reads a UTF-16 .bib with its byte-order mark: it is no binary file."""
    target = tmp_path / "refs.bib"
    target.write_bytes("@misc{a,\n  title = {A},\n}\n".encode("utf-16"))
    assert cli("export", "key:protoclip", "-o", str(target)).returncode == 0



def _run_into(stdout: IO[bytes], library: Path, *command: str,
              **options: Any) -> subprocess.CompletedProcess[str]:
    """Run papershelf on ``library`` with its stdout going to the file ``stdout``."""
    return subprocess.run([sys.executable, "-m", "papershelf", "--library", str(library), *command],
                          stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120, **options)


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE")
@pytest.mark.parametrize("unbuffered", ["1", ""])
@pytest.mark.parametrize("command", [["export"], ["list", "--json"]])
def test_stdout_that_cannot_take_it_all_is_an_error_not_a_cut_file(
        cli: RunCli, tmp_path: Path, unbuffered: str, command: list[str]) -> None:
    """A file filling up (here: at the file size limit) takes part of a write. Under
    PYTHONUNBUFFERED the rest was dropped: a .bib cut at 64 KB and exit status 0."""
    import resource
    import signal

    def limited() -> None:  # (in the child: a write past the limit fails, not kills)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))

    out = tmp_path / "out"
    with out.open("wb") as stdout:
        result = _run_into(stdout, tmp_path / "cli-lib", *command, preexec_fn=limited,
                           env={**os.environ, "PYTHONUNBUFFERED": unbuffered})
    assert out.stat().st_size == 65536
    assert result.returncode == 1
    assert result.stderr == ("papershelf: error: cannot write to standard output: File too large "
                             "(the output is incomplete; check where it goes)\n")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_stdout_on_a_full_device_is_an_error_not_a_bug(cli: RunCli, tmp_path: Path) -> None:
    for command in (["stats"], ["show", "ctp", "--json"], ["export"]):
        with open("/dev/full", "wb") as full:
            result = _run_into(full, tmp_path / "cli-lib", *command)
        assert result.returncode == 1, command
        assert result.stderr == ("papershelf: error: cannot write to standard output: No space "
                                 "left on device (the output is incomplete; check where it goes)\n")



@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_output_failing_after_a_change_says_the_change_was_saved(cli: RunCli, tmp_path: Path) -> None:
    """``tag add ... > /dev/full`` said only that the output was incomplete, beside the
    README's "a command that fails changes nothing": its change was saved all the same."""
    with open("/dev/full", "wb") as full:
        result = _run_into(full, tmp_path / "cli-lib", "tag", "add", "saved", "ctp")
    assert result.returncode == 1
    assert result.stderr == ("papershelf: error: cannot write to standard output: No space left on "
                             "device (the change was saved, but the output is incomplete; check "
                             "where it goes)\n")
    assert cli("list", "tag:saved", "--keys").stdout == "ctp\n"
    with open("/dev/full", "wb") as full:  # the same again: no change, none saved
        again = _run_into(full, tmp_path / "cli-lib", "tag", "add", "saved", "ctp")
    assert again.returncode == 1 and "(the output is incomplete; check where it goes)" in again.stderr

def test_a_tag_copied_with_its_hash_names_the_tag(cli: RunCli) -> None:
    """Tags show as #HOT: ``tag rm '#HOT' ctp`` said "removed #HOT from 0 papers (1 did
    not have it)", and ``tag rename '#HOT' x`` that no paper was tagged so."""
    assert cli("tag", "add", "HOT", "ctp").returncode == 0
    assert cli("list", "tag:#hot", "--keys").stdout == "ctp\n"
    assert cli("tag", "rename", "#HOT", "cool").stdout == "renamed HOT to cool on 1 paper\n"
    assert cli("tag", "rm", "#cool", "ctp").stdout == "removed cool from 1 paper\n"
    assert cli("tag", "list").stdout == ""
    # "#foo" stored by a version before 2026-11-24 is named as it is
    import json

    assert cli("tag", "add", "foo", "languagebind").returncode == 0
    path = next(p for p in (cli.library / "papers").glob("*.json")  # type: ignore[attr-defined]
                if '"ctp"' in p.read_text())
    data = json.loads(path.read_text())
    data["papers"]["ctp"]["tags"] = ["#foo"]
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
    assert cli("list", "tag:#foo", "--keys").stdout == "ctp\n"
    assert cli("list", "tag:foo", "--keys").stdout == "languagebind\n"
    assert cli("tag", "rm", "#foo", "languagebind").stdout == "removed foo from 1 paper\n"
    assert cli("list", "tag:##foo", "--keys").stdout == "ctp\n"  # as list shows it: ##foo
    assert cli("tag", "rename", "#foo", "foo").stdout == "renamed #foo to foo on 1 paper\n"


def test_tags_in_errors_are_quoted_as_typed_and_cut_at_60(cli: RunCli) -> None:
    long = "y" * 100
    added = cli("tag", "add", long, "ctp")
    assert f"tag '{'y' * 59}…' is longer than 64 characters" in added.stderr
    renamed = cli("tag", "rename", "a\\b" + long, "new")
    assert f"no paper is tagged 'a\\b{'y' * 56}…'" in renamed.stderr


def test_a_disk_full_elsewhere_is_not_blamed_on_a_terminal_or_a_pipe(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A terminal's or a pipe's file system has no free blocks to count: an ENOSPC from
    another file was reported as standard output's."""
    import errno

    from papershelf import cli as cli_module

    read, write = os.pipe()
    saved = os.dup(1)
    try:
        os.dup2(write, 1)
        monkeypatch.setattr(sys, "stdout", open(1, "w", closefd=False))  # noqa: SIM115
        assert not cli_module._stdout_fails(OSError(errno.ENOSPC, "No space left on device"))
    finally:
        os.dup2(saved, 1)
        for fd in (read, write, saved):
            os.close(fd)


def test_a_ctrl_c_while_the_command_line_is_imported_is_one_line(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Its first tenth of a second, importing papershelf.cli, gave a traceback."""
    import importlib.abc
    import sys

    from papershelf import entry

    class Interrupted(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: object, target: object = None) -> None:
            if name == "papershelf.cli":
                raise KeyboardInterrupt
            return None

    monkeypatch.delitem(sys.modules, "papershelf.cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Interrupted(), *sys.meta_path])
    assert entry.main() == 130
    assert capsys.readouterr().err == "papershelf: error: interrupted (nothing was changed)\n"


@pytest.mark.parametrize("target", ["papers/0001.json", "texts/0001.json", "papershelf.json",
                                    ".lock", ".journal.json", ".cache/bibtex/0001.bib",
                                    "papers/new.bib", "link-to-papers/0001.json"])
def test_export_over_a_file_of_the_library_itself_is_refused(cli: RunCli, target: str) -> None:
    """``export --format json -o LIBRARY/papers/0001.json`` wrote the export over the
    papers, and every command failed after it: tags, notes and read marks gone (found by
    a black-box review). Refused, through a symbolic link too, and nothing changes."""
    library = cli.library  # type: ignore[attr-defined]
    (library / "link-to-papers").symlink_to(library / "papers")
    before = snapshot(library)
    done = cli("export", "--format", "json", "-o", str(library / target))
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "is a file of the library" in done.stderr and "export somewhere else" in done.stderr
    assert snapshot(library) == before
    assert cli("export", "-o", str(library / "refs.bib")).returncode == 0  # beside them: fine


@pytest.mark.parametrize("target", ["papers/0001.json", "papershelf.json", "texts/0001.json",
                                    ".cache/keys/0001.keys", "papers/0001.bib"])
def test_export_over_a_file_of_another_library_is_refused(cli: RunCli, tmp_path: Path,
                                                          target: str) -> None:
    """The refusal covered the library exported from only: ``export -o
    OTHER/papers/0001.json`` wiped the other library's papers and notes (found by a
    black-box review). With a .json name given BibTeX, the refusal comes alone, without
    the warning about the format first."""
    import shutil

    other = tmp_path / "other"
    shutil.copytree(cli.library, other)  # type: ignore[attr-defined]
    before = snapshot(other)
    done = cli("export", "-o", str(other / target))
    assert done.returncode == 1
    assert done.stderr == (f"papershelf: error: {other / target} is a file of the papershelf library "
                           f"{other}: an export there would replace its papers (export somewhere "
                           "else, e.g. refs.bib)\n")
    assert snapshot(other) == before
    import os

    moved = tmp_path / "elsewhere"  # papers/ a link to a folder elsewhere (a code review)
    (other / "papers").rename(moved)
    (other / "papers").symlink_to(moved)
    assert cli("export", "-o", str(other / "papers" / "0001.json")).returncode == 1
    assert os.path.isfile(moved / "0001.json") and snapshot(moved) != {}
    (other / "papers").unlink()
    moved.rename(other / "papers")
    (other / "papershelf.json").unlink()  # a library that lost it: papers/ and .lock still say so
    assert cli("export", "-o", str(other / "papers" / "0002.json")).returncode == 1
    assert cli("export", "-o", str(tmp_path / "papers" / "refs.bib")).returncode == 0  # no library


def test_export_over_a_file_of_a_library_with_no_paper_yet_is_refused(cli: RunCli, tmp_path: Path) -> None:
    """A library a command made but nothing was imported into has no papershelf.json nor
    papers/: an export into it, from itself or from another, was written there and
    broke it (a black-box review). Its .lock and papershelf's .gitignore tell it."""
    empty = tmp_path / "empty"
    assert cli("stats", library=empty).returncode == 0
    before = snapshot(empty)
    for name in ("papershelf.json", ".gitignore", ".lock"):
        assert cli("export", "-o", str(empty / name), library=empty).returncode == 1
        mine = cli("export", "-o", str(empty / name))
        assert mine.returncode == 1 and f"of the papershelf library {empty}" in mine.stderr
    assert snapshot(empty) == before
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / ".gitignore").write_text("*.aux\n")  # not papershelf's
    (tmp_path / "project" / ".lock").write_text("")
    assert cli("export", "-o", str(tmp_path / "project" / ".journal.json")).returncode == 0


def test_export_to_a_dash_from_inside_the_library_writes_to_standard_output(cli: RunCli) -> None:
    """``-o -`` is standard output, not a file named - in the directory the shell is in,
    even when that is one of the library's own (found by the code review)."""
    library = cli.library  # type: ignore[attr-defined]
    done = subprocess.run([sys.executable, "-m", "papershelf", "--library", str(library), "export",
                           "-o", "-"], cwd=library / "papers", capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("@misc{") == 356 and not (library / "papers" / "-").exists()


@pytest.mark.parametrize(("script", "says"), [("exit 3", "exited with status 3"),
                                              ("kill -TERM $$", "was killed (SIGTERM)")])
def test_an_editor_that_fails_or_is_killed_says_how(
        cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], script: str, says: str) -> None:
    """A killed editor was reported as "exited with status -15"."""
    editor = tmp_path / "editor.sh"
    assert note_in_editor_script(cli, monkeypatch, editor, f'echo typed > "$1"\n{script}\n') == 1
    err = capsys.readouterr().err
    assert err == f"papershelf: error: the editor {str(editor)!r} {says} (the note was left unchanged)\n"


def test_a_signal_while_the_editor_is_open_says_where_the_note_is(
        cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """SIGTERM (or SIGHUP) to papershelf while the editor was open ended it with status
    143 and no word: what the editor had saved stayed in a kept file nobody was told of."""
    import signal

    stray: list[int] = []  # (were papershelf to install no handler, this one sees it)
    before = signal.signal(signal.SIGTERM, lambda signum, frame: stray.append(signum))
    try:
        status = note_in_editor_script(cli, monkeypatch, tmp_path / "editor.sh",
                                       'echo "typed in the editor" > "$1"\nkill -TERM $PPID\nsleep 5\n')
    finally:
        signal.signal(signal.SIGTERM, before)
    err = capsys.readouterr().err
    assert (status, stray) == (143, []), err
    assert err.startswith(f"papershelf: error: stopped by SIGTERM while the editor "
                          f"{str(tmp_path / 'editor.sh')!r} was open; the note was left unchanged, "
                          f"what the editor saved is in ")
    assert err.count("\n") == 1 and " note ctp - < " in err, err
    kept = Path(err.split("what the editor saved is in ")[1].split(" (")[0])
    assert kept.read_text() == "typed in the editor\n"
    kept.unlink()
    assert cli("note", "ctp").stdout == "\n"  # unchanged
