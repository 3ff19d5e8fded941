"""Deterministic generation of a large papershelf library for benchmarks.

The words come from the bundled sample page dumps, so titles and abstracts look like
the real thing to the search index (same vocabulary, same word lengths).
"""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

from papershelf.library import Library
from papershelf.model import Entry, Source
from papershelf.samples import sample_paths

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,}")


def sample_words() -> list[str]:
    """Distinct words of the sample dumps, sorted (so the output is deterministic)."""
    found: set[str] = set()
    for path in sample_paths():
        found.update(_WORD.findall(path.read_text(encoding="utf-8-sig")))
    return sorted(found)


def make_entries(count: int, seed: int = 20261122) -> list[Entry]:
    """``count`` distinct papers with titles and abstracts made of sample words."""
    rng = random.Random(seed)
    vocab = sample_words()
    entries = []
    for n in range(count):
        title_words = rng.sample(vocab, rng.randint(5, 11))
        title = " ".join(title_words).capitalize() + f" ({n})"
        abstract = " ".join(rng.choices(vocab, k=rng.randint(40, 80))) + "."
        links = (f"https://example.org/paper/{n}",) if n % 3 else ()
        entries.append(Entry(title=title, abstract=abstract, links=links,
                             source=Source("generated.txt", None)))
    return entries


def generate(root: Path, count: int) -> tuple[Library, float]:
    """Create a library of ``count`` papers at ``root``; returns it and the seconds taken."""
    start = time.perf_counter()
    library = Library(root)
    if len(library) < count:
        library.add(make_entries(count))
    return library, time.perf_counter() - start
