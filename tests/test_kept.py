"""Where notes that could not be saved are kept: each library its own, never lost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from papershelf.kept import keep_unsaved_note, unsaved_notes


def test_each_library_has_its_own_kept_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys repeat across libraries (the demo's are the real one's): a note kept for one
    must not be offered to be saved into another."""
    mine, other = tmp_path / "mine", tmp_path / "other"
    path = keep_unsaved_note(mine, "some-key", "typed\n\n")
    assert path is not None and Path(path).read_text() == "typed\n"
    assert unsaved_notes(mine) == [Path(path)] and unsaved_notes(other) == []
    monkeypatch.chdir(tmp_path)
    assert unsaved_notes(Path("mine")) == [Path(path)]  # as typed, relative


@pytest.mark.skipif(os.geteuid() == 0 and not Path("/proc").is_dir(), reason="needs /proc")
def test_a_state_directory_that_cannot_be_written_falls_back_and_is_still_found(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", "/proc/papershelf-cannot-be-here")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    path = keep_unsaved_note(tmp_path / "lib", "k", "typed")
    assert path is not None and Path(path).is_relative_to(tmp_path / "tmp")
    assert unsaved_notes(tmp_path / "lib") == [Path(path)]


@pytest.mark.skipif(os.geteuid() == 0 and not Path("/proc").is_dir(), reason="needs /proc")
def test_each_user_falls_back_to_a_directory_of_their_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a shared machine the first user's fallback directory is not writable by the
    others: theirs would have nowhere to go, and the note typed was lost."""
    monkeypatch.setenv("XDG_STATE_HOME", "/proc/papershelf-cannot-be-here")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    kept = {}
    for uid in (1000, 1001):
        monkeypatch.setattr(os, "getuid", lambda uid=uid: uid)
        kept[uid] = keep_unsaved_note(Path("/shared/library"), "k", f"typed by {uid}")
        assert kept[uid] is not None and Path(kept[uid]).is_relative_to(tmp_path / f"papershelf-kept-{uid}")
        assert unsaved_notes(Path("/shared/library")) == [Path(kept[uid])]


def test_a_fallback_directory_another_user_could_write_in_is_not_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Made first by another user in the shared temporary directory, it would let them
    read or remove the notes kept in it."""
    from papershelf.paths import private_dir

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state-is-a-file"))
    (tmp_path / "state-is-a-file").write_text("")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    fallback = tmp_path / f"papershelf-kept-{os.getuid()}"
    fallback.mkdir()
    fallback.chmod(0o777)  # anyone may write in it
    assert keep_unsaved_note(Path("/shared/library"), "k", "typed") is None
    assert not any(fallback.iterdir())
    fallback.chmod(0o755)
    assert keep_unsaved_note(Path("/shared/library"), "k", "typed") is not None
    made = private_dir(tmp_path / "new")
    assert made.stat().st_mode & 0o777 == 0o700
    (tmp_path / "a file").write_text("")
    with pytest.raises(OSError):
        private_dir(tmp_path / "a file")



@pytest.mark.parametrize(("mode", "own_group", "used"), [
    (0o755, False, True),  # made under a umask of 022: others may read the names of the notes
    (0o775, True, True),  # under Debian's and Ubuntu's umask of 002, the group the user's own
    (0o775, False, False),  # a group others are in may write in it
    (0o777, True, False),
])
def test_a_directory_an_earlier_papershelf_made_is_made_private(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int, own_group: bool, used: bool) -> None:
    """An earlier papershelf made papershelf-demo-UID with the umask's mode: under a
    umask of 002 the demo then failed with 'is another user's, or others may write in it'."""
    from papershelf.paths import private_dir

    monkeypatch.setattr("papershelf.paths._own_group", lambda gid: own_group, raising=False)
    made = tmp_path / "papershelf-demo-1000"
    made.mkdir()
    made.chmod(mode)
    if used:
        assert private_dir(made) == made and made.stat().st_mode & 0o777 == 0o700
    else:
        with pytest.raises(PermissionError, match="others may write in"):
            private_dir(made)
        assert made.stat().st_mode & 0o777 == mode


def test_a_directory_of_windows_is_used_whatever_its_mode_says(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every directory of Windows has the mode 0777 in Python (the temporary directory
    is the user's own there): the demo always failed."""
    from papershelf.paths import private_dir

    monkeypatch.delattr("os.geteuid")
    made = tmp_path / "papershelf-demo"
    made.mkdir()
    made.chmod(0o777)
    assert private_dir(made) == made


def test_notes_in_a_fallback_directory_another_user_could_write_in_are_not_offered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The TUI named them at every start with the command that saves them: another user
    could make the directory first and put there what they want saved as a note."""
    from papershelf.kept import _library_subdir

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    fallback = tmp_path / f"papershelf-kept-{os.getuid()}"
    planted = fallback / _library_subdir(Path("/shared/library")) / "papershelf-unsaved-note-k-x.md"
    planted.parent.mkdir(parents=True)
    planted.write_text("theirs")
    fallback.chmod(0o777)
    assert unsaved_notes(Path("/shared/library")) == []
    fallback.chmod(0o700)
    assert unsaved_notes(Path("/shared/library")) == [planted]
