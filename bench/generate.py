"""Deterministic synthetic papers made from the words of the sample pages.

``python bench/generate.py pages N OUT.txt`` writes a page dump of N papers;
``python bench/generate.py bib N OUT.bib`` writes a .bib of N entries;
``python bench/generate.py library N DIR`` builds a library of N papers.
The same N and seed always give the same papers.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from papershelf.importers.pages import parse_page_dump  # noqa: E402
from papershelf.model import Entry, Source  # noqa: E402
from papershelf.text import normalize_title  # noqa: E402

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]+")


def _vocabulary() -> tuple[list[str], list[str], list[str]]:
    """Title words, abstract words (with their frequencies) and CamelCase names."""
    titles: list[str] = []
    abstracts: list[str] = []
    names: list[str] = []
    for path in sorted((ROOT / "sample_data").glob("*.txt")):
        for entry in parse_page_dump(path.read_text(encoding="utf-8"), path.name).entries:
            head, sep, rest = entry.title.partition(": ")
            if sep and len(head.split()) == 1:
                names.append(head)
            titles += _WORD.findall(rest or entry.title)
            abstracts += _WORD.findall(entry.abstract)
    return titles, abstracts, sorted(set(names))


def papers(n: int, seed: int = 1) -> Iterator[tuple[str, str]]:
    """``n`` distinct (title, abstract) pairs."""
    titles, abstracts, names = _vocabulary()
    rng = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < n:
        words = rng.choices(titles, k=rng.randint(5, 12))
        title = " ".join(words)
        title = title[0].upper() + title[1:]
        if rng.random() < 0.4:
            name = rng.choice(names) + rng.choice(["", "-2", "X", "v2", "++", "-Lite"])
            title = f"{name}: {title}"
        norm = normalize_title(title)
        if norm in seen:
            continue
        seen.add(norm)
        sentences = []
        for _ in range(rng.randint(7, 11)):
            sentence = " ".join(rng.choices(abstracts, k=rng.randint(14, 30)))
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
        if rng.random() < 0.4:
            sentences.append(f"Code is available at https://github.com/lab{rng.randint(1, 999)}/"
                             f"{words[0].lower()}.")
        yield title, " ".join(sentences)


def page_dump(n: int, seed: int = 1) -> str:
    """A page dump (blank-line layout with chrome) of ``n`` papers."""
    parts = ["new", "Get trending papers in your email inbox!", "Subscribe",
             "byAK and the research community", "Mar 14"]
    for title, abstract in papers(n, seed):
        parts += [title, abstract]
    return "\n\n".join(parts) + "\n"


def bibtex(n: int, seed: int = 2) -> str:
    """A .bib file of ``n`` @article entries with authors, years and abstracts."""
    rng = random.Random(seed)
    surnames = ["Smith", "Wang", "Li", "Müller", "García", "Kumar", "Chen", "Ivanov", "Sato", "Okafor"]
    out = []
    for i, (title, abstract) in enumerate(papers(n, seed)):
        authors = " and ".join(f"{rng.choice(surnames)}, {chr(65 + rng.randint(0, 25))}."
                               for _ in range(rng.randint(1, 5)))
        year = rng.randint(2015, 2026)
        abstract = abstract.replace("{", "").replace("}", "").replace("%", "\\%")
        out.append(f"@article{{paper{i:06d},\n  title = {{{title}}},\n  author = {{{authors}}},\n"
                   f"  journal = {{arXiv preprint}},\n  year = {{{year}}},\n"
                   f"  abstract = {{{abstract}}},\n}}\n")
    return "\n".join(out)


def entries(n: int, seed: int = 1) -> list[Entry]:
    """``n`` import entries (what the page-dump importer would return)."""
    source = Source("synthetic.txt", "Mar 14")
    return [Entry(title=t, abstract=a, source=source) for t, a in papers(n, seed)]


def build_library(n: int, directory: Path, seed: int = 1) -> None:
    """A library of ``n`` papers in ``directory`` (imported in batches of 10,000)."""
    from papershelf.library import Library

    library = Library(directory)
    batch = entries(n, seed)
    for start in range(0, n, 10_000):
        library.add(batch[start:start + 10_000])
    library.catalog().load_indexes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["pages", "bib", "library"])
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.kind == "pages":
        args.out.write_text(page_dump(args.n, args.seed), encoding="utf-8")
    elif args.kind == "bib":
        args.out.write_text(bibtex(args.n, args.seed), encoding="utf-8")
    else:
        build_library(args.n, args.out, args.seed)


if __name__ == "__main__":
    main()
