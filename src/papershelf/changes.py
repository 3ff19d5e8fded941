"""What a library operation did (and, for an import, which papers were new), and how to
undo it at the level of fields."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from papershelf.shard import Record, copy_record

Image = tuple[Record | None, Record | None]


@dataclass(frozen=True, slots=True)
class Change:
    """What one library operation did, with enough to undo it.

    ``before`` and ``after`` hold, for every paper the operation touched, its small
    record and its text record before and after (``None`` where the paper did not
    exist; operations that never change text -- tag, read, note -- leave both text
    images ``None`` rather than read the shard's texts). Undo restores only the fields
    the operation changed, so later changes to other fields of the same paper survive.
    """

    description: str
    keys: tuple[str, ...]
    before: Mapping[str, Image] = field(default_factory=dict)
    after: Mapping[str, Image] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Whether the operation changed nothing."""
        return not self.keys


@dataclass(slots=True)
class ImportReport:
    """The outcome of an import: which papers are new, which were already there."""

    new: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    change: Change | None = None

    def summary(self) -> str:
        """The SPEC's one-line summary: ``N new, M already in library, K failed``."""
        return f"{len(self.new)} new, {len(self.existing)} already in library, {len(self.failed)} failed"


class ChangeBuilder:
    """Collects before-images while an operation runs and after-images at its end."""

    def __init__(self, image: Callable[[str], Image]) -> None:
        self._image = image
        self.before: dict[str, Image] = {}
        self.result = Change("nothing", ())

    def remember(self, key: str) -> None:
        """Record ``key`` as it is now, before the operation changes it."""
        if key not in self.before:
            self.before[key] = self._image(key)

    def done(self, description: str, keys: Iterable[str]) -> None:
        """Seal the change: ``keys`` are the papers the operation touched."""
        keys = tuple(dict.fromkeys(keys))
        before = {k: self.before.get(k, (None, None)) for k in keys}
        after = {k: self._image(k) for k in keys}
        self.result = Change(description, keys, before, after)


def reverted(current: Record, before: Record | None, after: Record | None) -> Record:
    """``current`` with every field that went from ``before`` to ``after`` put back."""
    out = copy_record(current)
    before, after = before or {}, after or {}
    for name in before.keys() | after.keys():
        if before.get(name) != after.get(name):
            if name in before:
                out[name] = copy_record({"v": before[name]})["v"]
            else:
                out.pop(name, None)
    return out
