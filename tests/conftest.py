"""Shared fixtures: sample files, temporary libraries and a CLI runner.

Tests never touch the user's real library or config: every fixture points papershelf
at a directory under ``tmp_path``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# As the command line does (cli.main): no OpenBLAS threads, so that this process may fork
# workers (tests/test_forked.py). Set before anything imports NumPy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import papershelf.library as library_module
from papershelf.importers.pages import parse_page_dump
from papershelf.library import Library
from papershelf.model import Entry

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "sample_data").glob("*.txt"))

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(autouse=True)
def _isolate(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the default library, config and kept notes at throwaway directories."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("PAPERSHELF_LIBRARY", str(home / "library"))
    monkeypatch.setenv("PAPERSHELF_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))


@pytest.fixture(autouse=True, scope="session")
def _interrupt_as_python_sets_it() -> None:
    """Python installs its ^C handler only when SIGINT is not ignored at its start, and
    it is in a job a shell without job control started in the background (``pytest &``
    in a script): the tests that interrupt themselves need the handler."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def sample_entries() -> list[Entry]:
    """Every entry of the five sample pages, in file order."""
    entries: list[Entry] = []
    for path in SAMPLES:
        entries += parse_page_dump(path.read_text(encoding="utf-8"), path.name).entries
    return entries


@pytest.fixture
def library(tmp_path: Path) -> Library:
    """An empty library in a temporary directory."""
    return Library(tmp_path / "lib")


@pytest.fixture
def sample_library(tmp_path: Path) -> Library:
    """A library holding the five sample pages."""
    lib = Library(tmp_path / "lib")
    lib.add(sample_entries())
    return lib


@pytest.fixture
def sharded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Library:
    """The sample papers in shards of 100 (four shards)."""
    monkeypatch.setattr(library_module, "SHARD_CAPACITY", 100)
    lib = Library(tmp_path / "lib")
    lib.add(sample_entries())
    assert len(lib.shards) == 4
    return lib


@pytest.fixture
def run_cli(tmp_path: Path) -> RunCli:
    """Run ``python -m papershelf --library TMP ...`` in a subprocess."""
    lib_dir = tmp_path / "cli-lib"

    def run(*args: str, input: str | bytes | None = None, library: Path | None = None,
            env: dict[str, str] | None = None, check: bool = False
            ) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, **(env or {})}
        cmd = [sys.executable, "-m", "papershelf", "--library", str(library or lib_dir), *args]
        data = input.decode() if isinstance(input, bytes) else input
        result = subprocess.run(cmd, input=data, capture_output=True, text=True, env=full_env,
                                timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"{cmd} failed ({result.returncode}): {result.stderr}")
        return result

    run.library = lib_dir  # type: ignore[attr-defined]
    return run


def forked_pools_on_two_cores(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make this machine look like two free cores; the list returned gets the number of
    workers of each pool of forked workers started (skips the test off Linux)."""
    from papershelf import forked

    if sys.platform != "linux":
        pytest.skip("workers are forked on Linux only")
    monkeypatch.setattr(forked.os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(forked, "cpu_quota", lambda: None)
    pools: list[int] = []
    real = forked.forked_map

    def counted(work: object, items: list[object], workers: int) -> object:
        pools.append(workers)
        return real(work, items, workers)  # type: ignore[arg-type]

    monkeypatch.setattr(forked, "forked_map", counted)
    return pools


def words_by_names(folded: str) -> list[str]:
    """What :func:`papershelf.text.words` gives for ``folded`` text, found another way
    (for property tests): the runs of letters and digits, where a run of Chinese or
    Japanese letters (told by their Unicode names) gives its pairs of letters side by
    side, or its one letter."""
    import re
    import unicodedata

    spaceless = ("CJK UNIFIED", "CJK COMPATIBILITY", "HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA",
                 "IDEOGRAPHIC", "VERTICAL IDEOGRAPHIC")
    found: list[str] = []
    for run in re.findall(r"[^\W_]+", folded):
        pieces = re.findall(".", run)  # each a letter, then joined again by kind
        kinds = [unicodedata.name(ch, "").startswith(spaceless) for ch in pieces]
        start = 0
        for i in range(1, len(pieces) + 1):
            if i == len(pieces) or kinds[i] != kinds[start]:
                part = "".join(pieces[start:i])
                if kinds[start] and len(part) > 1:
                    found += [part[j:j + 2] for j in range(len(part) - 1)]
                else:
                    found.append(part)
                start = i
    return found
