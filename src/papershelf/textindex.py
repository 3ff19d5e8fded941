"""Word index over the immutable text of one shard: titles, abstracts and keys.

For every distinct word of a shard the index lists the papers holding it and in which
fields (a bit set: title, abstract, key), as compressed sparse rows in NumPy arrays.
It is derived data: saved under the library's ``.cache/`` and rebuilt whenever the
shard's text changes (checked by a digest of the keys and titles and by the identity
of the texts file), so deleting the cache only costs time.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from papershelf.model import fold

TITLE, ABSTRACT, KEY = 1, 2, 4
FORMAT_VERSION = 1

_ASCII_SPLIT = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The words of ``text``, folded: runs of letters and digits."""
    folded = fold(text)
    if folded.isascii():
        return folded.translate(_ASCII_SPLIT).split()
    return _WORD.findall(folded)


def key_words(key: str) -> list[str]:
    """The words of a citation key plus the key itself (``clip-ebc`` -> clip, ebc, clip-ebc)."""
    parts = words(key)
    whole = key.lower()
    return parts if parts == [whole] else [*parts, whole]


class TextIndex:
    """The word index of one shard. Ordinals are positions in :attr:`keys`."""

    def __init__(self, keys: list[str], vocab: list[str], indptr: npt.NDArray[np.int64],
                 docs: npt.NDArray[np.int32], fields: npt.NDArray[np.uint8], digest: str) -> None:
        self.keys = keys
        self.vocab = vocab
        self.indptr = indptr
        self.docs = docs
        self.fields = fields
        self.digest = digest
        self._ids: dict[str, int] | None = None

    @classmethod
    def build(cls, keys: Sequence[str], titles: Sequence[str], abstracts: Sequence[str],
              digest: str) -> TextIndex:
        """Index the given papers (parallel sequences)."""
        postings: dict[str, dict[int, int]] = {}
        for ordinal, (key, title, abstract) in enumerate(zip(keys, titles, abstracts, strict=True)):
            for field, tokens in ((ABSTRACT, words(abstract)), (TITLE, words(title)),
                                  (KEY, key_words(key))):
                for token in set(tokens):
                    docs = postings.get(token)
                    if docs is None:
                        postings[token] = {ordinal: field}
                    else:
                        docs[ordinal] = docs.get(ordinal, 0) | field
        vocab = sorted(postings)
        counts = np.fromiter((len(postings[t]) for t in vocab), dtype=np.int64, count=len(vocab))
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        total = int(indptr[-1])
        doc_arr = np.fromiter((d for t in vocab for d in postings[t]), dtype=np.int32, count=total)
        field_arr = np.fromiter((f for t in vocab for f in postings[t].values()), dtype=np.uint8,
                                count=total)
        return cls(list(keys), vocab, indptr, doc_arr, field_arr, digest)

    def token_id(self, token: str) -> int:
        """The row of ``token``, or -1 when no paper of this shard holds it."""
        if self._ids is None:
            self._ids = {t: i for i, t in enumerate(self.vocab)}
        return self._ids.get(token, -1)

    def postings(self, token_id: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]]:
        """Ordinals holding the token and the field bits for each."""
        start, end = self.indptr[token_id], self.indptr[token_id + 1]
        return self.docs[start:end], self.fields[start:end]

    # ------------------------------------------------------------ persistence

    def save(self, path: Path) -> None:
        """Write the index atomically (a crash leaves the old file or none)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            np.savez(
                handle,
                version=np.array([FORMAT_VERSION]),
                digest=np.frombuffer(self.digest.encode(), dtype=np.uint8),
                keys=np.frombuffer("\n".join(self.keys).encode(), dtype=np.uint8),
                vocab=np.frombuffer("\n".join(self.vocab).encode(), dtype=np.uint8),
                indptr=self.indptr,
                docs=self.docs,
                fields=self.fields,
            )
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, digest: str) -> TextIndex | None:
        """The saved index if it exists and matches ``digest``, else ``None``."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["version"][0]) != FORMAT_VERSION:
                    return None
                if data["digest"].tobytes().decode() != digest:
                    return None
                keys_blob = data["keys"].tobytes().decode()
                vocab_blob = data["vocab"].tobytes().decode()
                return cls(
                    keys_blob.split("\n") if keys_blob else [],
                    vocab_blob.split("\n") if vocab_blob else [],
                    data["indptr"],
                    data["docs"],
                    data["fields"],
                    digest,
                )
        except (OSError, ValueError, KeyError, UnicodeDecodeError, zipfile.BadZipFile, EOFError):
            return None


def digest_of(keys: Sequence[str], titles: Sequence[str], texts_stamp: object) -> str:
    """A fingerprint of what an index was built from."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr(texts_stamp).encode())
    for key, title in zip(keys, titles, strict=True):
        h.update(key.encode())
        h.update(b"\x00")
        h.update(title.encode())
        h.update(b"\x01")
    return h.hexdigest()
