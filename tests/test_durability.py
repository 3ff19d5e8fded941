"""Crash safety and concurrency: SIGKILLed writers and parallel writers lose nothing."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from papershelf.errors import LibraryError, SavedInterrupt
from papershelf.library import Library
from papershelf.storage import JOURNAL_NAME, Transaction, recover

from .conftest import sample_entries

WRITER = Path(__file__).with_name("crash_writer.py")
KILLS = int(os.environ.get("PAPERSHELF_CRASH_KILLS", "25"))


def _check_consistent(root: Path) -> Library:
    """Open (and so recover) the library, then check every invariant of its files."""
    lib = Library(root)
    assert not (root / JOURNAL_NAME).exists()
    assert not list(root.rglob(".*.tmp"))
    for name in ("papers", "texts"):
        for path in (root / name).glob("*.json"):
            json.loads(path.read_text())  # never half-written
    for shard in lib.shards:  # a commit is all or nothing across files
        assert set(shard.records()) == set(shard.text_records()), f"shard {shard.number}"
    return lib


def test_sigkill_at_random_instants_loses_nothing(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    base = Library(root)
    base.add(sample_entries())
    samples = set(base.keys())
    rng = random.Random(20261122)
    acked_tags: dict[str, set[str]] = {}
    present: set[str] = set()
    removed: set[str] = set()
    removing: set[str] = set()
    last_note: dict[str, str] = {}
    for round_ in range(KILLS):
        proc = subprocess.Popen([sys.executable, str(WRITER), str(root), str(round_ * 10_000)],
                                stdout=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.25, 0.9))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        for line in out.splitlines():
            ack = json.loads(line)
            if ack["op"] == "tag":
                acked_tags.setdefault(ack["key"], set()).add(ack["tag"])
            elif ack["op"] == "import":
                present.update(ack["keys"])
            elif ack["op"] == "note":
                last_note[ack["key"]] = ack["note"]
            elif ack["op"] == "rm-begin":  # may land even if killed before its ack
                present.discard(ack["key"])
                removing.add(ack["key"])
            else:
                removed.add(ack["key"])
        lib = _check_consistent(root)
        keys = set(lib.keys())
        assert samples <= keys, "a sample paper was lost"
        assert present <= keys, "an acknowledged import was lost"
        for key, tags in acked_tags.items():
            assert tags <= set(lib.get(key).tags), "an acknowledged tag was lost"
        for key in last_note:
            assert lib.get(key).note.startswith("note ")
        assert not removed & keys, "an acknowledged removal came back"
    assert sum(len(t) for t in acked_tags.values()) > KILLS  # the writers did real work


DIE_AFTER_JOURNAL = """
import os, sys
from papershelf.library import Library
from papershelf.storage import JOURNAL_NAME
real_replace = os.replace
def replace(src, dst):
    real_replace(src, dst)
    if str(dst).endswith(JOURNAL_NAME):
        os._exit(9)  # the process dies right after the commit point
os.replace = replace
lib = Library(sys.argv[1])
lib.remove([sys.argv[2]])
"""


def test_interrupted_multi_file_commit_is_finished_by_recovery(tmp_path: Path) -> None:
    lib = Library(tmp_path / "lib")
    lib.add(sample_entries()[:10])
    victim = lib.keys()[0]
    # removing a paper rewrites papers/0001.json and texts/0001.json in one commit
    proc = subprocess.run([sys.executable, "-c", DIE_AFTER_JOURNAL, str(lib.root), victim])
    assert proc.returncode == 9
    assert (lib.root / JOURNAL_NAME).exists()
    fresh = _check_consistent(lib.root)
    assert len(fresh) == 9 and victim not in fresh  # rolled forward


def test_an_interrupted_commit_in_a_read_only_library_is_a_clear_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = Library(tmp_path / "lib")
    lib.add(sample_entries()[:10])
    subprocess.run([sys.executable, "-c", DIE_AFTER_JOURNAL, str(lib.root), lib.keys()[0]])
    shard = (lib.root / "papers" / "0001.json").read_bytes()

    def read_only(src: object, dst: object) -> None:  # a snapshot, a read-only mount
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(os, "replace", read_only)
    with pytest.raises(LibraryError, match=r"cannot finish the change interrupted in .*: "
                                           r"Read-only file system"):
        Library(lib.root)
    assert (lib.root / JOURNAL_NAME).exists()
    assert (lib.root / "papers" / "0001.json").read_bytes() == shard


def test_a_change_past_its_commit_point_that_cannot_finish_says_it_is_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shard's file that cannot be replaced (``chattr +i``) after the journal is in
    place: the import said "cannot finish the change interrupted in LIB", as if another,
    earlier change had been, and then took effect later (a black-box review). It now
    says that this change is recorded and completed once the library can be written."""
    lib = Library(tmp_path / "lib")
    lib.add(sample_entries()[:3])
    replace = os.replace

    def refused_for_texts(src: object, dst: object) -> None:
        if "texts" in str(dst):
            raise PermissionError(1, "Operation not permitted")
        replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", refused_for_texts)
    with pytest.raises(LibraryError) as raised:
        lib.add(sample_entries()[3:6])
    assert str(raised.value) == ("the change is recorded, but could not be written in full: Operation "
                                 "not permitted (make the library writable and run papershelf once: "
                                 "it completes the change)")
    monkeypatch.setattr(os, "replace", replace)
    assert len(_check_consistent(lib.root)) == 6  # completed by the next papershelf


@pytest.mark.parametrize("renames", [
    [["/tmp/VICTIM", "papers/0001.json"]],  # a file from elsewhere over a shard
    [["../VICTIM", "papers/0001.json"]],
    [["papers/.0001.json.0123456789ab.tmp", "../VICTIM"]],  # or a shard over a file elsewhere
    [["papers/.0002.json.0123456789ab.tmp", "papers/0001.json"]],  # not its own temporary
    [["a"]], "x", [[1, 2]],
])
def test_a_journal_that_a_commit_did_not_write_moves_nothing(tmp_path: Path, renames: object) -> None:
    lib = Library(tmp_path / "lib")
    lib.add(sample_entries()[:3])
    victim = tmp_path / "VICTIM"
    victim.write_text("mine")
    shard = (lib.root / "papers" / "0001.json").read_bytes()
    (lib.root / JOURNAL_NAME).write_text(json.dumps({"renames": renames}).replace(
        "/tmp/VICTIM", str(victim)))
    with pytest.raises(LibraryError, match=r"the commit journal .* is damaged"):
        recover(lib.root)
    assert victim.read_text() == "mine" and (lib.root / "papers" / "0001.json").read_bytes() == shard


def test_recovery_removes_only_the_temporary_files_of_commits(tmp_path: Path) -> None:
    lib = Library(tmp_path / "lib")
    lib.add(sample_entries()[:3])
    ours = lib.root / "papers" / ".0001.json.0123456789ab.tmp"
    theirs = [lib.root / ".notes.tmp", lib.root / ".refs.bib.4242.0123abcd.tmp"]  # an export's
    for path in (ours, *theirs):
        path.write_text("x")
    recover(lib.root)
    assert not ours.exists() and all(path.exists() for path in theirs)


def test_an_error_after_the_commit_point_is_recovered_in_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = Library(tmp_path / "lib")
    lib.add(sample_entries()[:10])
    real_replace = os.replace

    def fail_after_journal(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        real_replace(src, dst)
        if str(dst).endswith(JOURNAL_NAME):
            raise OSError(5, "I/O error")

    monkeypatch.setattr(os, "replace", fail_after_journal)
    with pytest.raises(OSError):
        lib.remove([lib.keys()[0]])
    monkeypatch.setattr(os, "replace", real_replace)
    assert len(lib) == 9
    assert len(_check_consistent(lib.root)) == 9


@pytest.mark.parametrize("after", [True, False], ids=["after-the-commit-point", "before"])
def test_a_ctrl_c_during_a_commit_says_whether_the_change_was_saved(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        after: bool) -> None:
    from papershelf import cli, storage

    lib = Library(tmp_path / "lib")
    lib.add(sample_entries()[:10])
    key = lib.keys()[0]
    real_replace = os.replace

    def interrupted(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if after:
            real_replace(src, dst)
        raise KeyboardInterrupt

    monkeypatch.setattr(storage.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt) as raised:
        Library(lib.root).tag([key], "saved")
    assert isinstance(raised.value, SavedInterrupt) == after
    assert cli.main(["--library", str(lib.root), "tag", "add", "again", key]) == 130
    said = "the change was saved" if after else "nothing was changed"
    assert capsys.readouterr().err == f"papershelf: error: interrupted ({said})\n"
    monkeypatch.undo()
    assert Library(lib.root).get(key).tags == (("saved", "again") if after else ())


@pytest.mark.parametrize("when", ["reading-again", "printing"])
def test_a_ctrl_c_after_the_commit_says_the_change_was_saved(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        when: str) -> None:
    """A ^C once the change was committed, as the library is read again after it or as
    the command prints, said "nothing was changed" of 60,714 papers tagged (a review at
    100,000 papers)."""
    from papershelf import cli

    lib = Library(tmp_path / "lib")
    lib.add(sample_entries()[:10])
    key = lib.keys()[0]
    real_sync = Library._sync

    def sync(self: Library, force: bool = False) -> bool:
        if self.saved and when == "reading-again":
            raise KeyboardInterrupt
        return real_sync(self, force)

    def report(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Library, "_sync", sync)
    if when == "printing":
        monkeypatch.setattr(cli, "_change_report", report)
    assert cli.main(["--library", str(lib.root), "tag", "add", "saved", key]) == 130
    assert capsys.readouterr().err == "papershelf: error: interrupted (the change was saved)\n"
    monkeypatch.undo()
    assert Library(lib.root).get(key).tags == ("saved",)


def test_a_commit_that_dies_before_its_journal_leaves_the_old_state(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    lib = Library(tmp_path / "lib")
    lib.add(sample_entries()[:10])
    real_commit = Transaction.commit

    def die(self: Transaction) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Transaction, "commit", die)
    with pytest.raises(OSError):
        lib.tag(lib.keys()[:3], "lost")
    monkeypatch.setattr(Transaction, "commit", real_commit)
    assert lib.tags() == {}  # the in-memory view was rolled back too
    assert Library(tmp_path / "lib").tags() == {}
    recover(tmp_path / "lib")


WORKER = """
import sys
from papershelf.library import Library
root, who, key, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
lib = Library(root)
for i in range(count):
    lib.tag([key], f"{who}-{i}")
    lib.tag([lib.keys()[(i * 7) % len(lib)]], f"{who}-spread-{i}")
"""


def test_concurrent_writers_lose_no_update(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    Library(root).add(sample_entries())
    workers = 4
    per_worker = 15
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(root), f"w{w}", "ctp",
                               str(per_worker)]) for w in range(workers)]
    importer = subprocess.Popen([sys.executable, "-m", "papershelf", "--library", str(root),
                                 "import", "-"], stdin=subprocess.PIPE, text=True,
                                stdout=subprocess.DEVNULL)
    importer.communicate("\n\n".join(f"Concurrent Paper {i}\n\n" + "Abstract text here. " * 20
                                     for i in range(30)))
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    assert importer.returncode == 0
    lib = _check_consistent(root)
    tags = set(lib.get("ctp").tags)
    expected = {f"w{w}-{i}" for w in range(workers) for i in range(per_worker)}
    assert expected <= tags, f"lost: {sorted(expected - tags)}"
    spread = {t for p in lib.papers() for t in p.tags if "-spread-" in t}
    assert len(spread) == workers * per_worker
    assert sum(1 for k in lib.keys() if k.startswith("concurrent-paper")) == 30
