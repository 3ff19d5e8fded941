"""What a library operation did (and, for an import, which papers were new), and how to
undo it at the level of fields.

Undo is a three-way merge, field by field, of what the change found (``before``), what
it wrote (``after``) and what is stored now, which another process may have changed
since: a field nobody changed since goes back; a set-like list (tags, links, sources)
loses what the change added and regains what it removed, keeping everything else; any
other field changed since keeps its later value.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from papershelf.shard import Record, copy_record
from papershelf.tags import tag_fold

Image = tuple[Record | None, Record | None]


@dataclass(frozen=True, slots=True)
class Change:
    """What one library operation did, with enough to undo it.

    ``before`` and ``after`` hold, for every paper the operation touched, its small
    record and its text record before and after (``None`` where the paper did not
    exist; operations that never change text -- tag, read, note -- leave both text
    images ``None`` rather than read the shard's texts). Undo restores only what the
    operation changed, so later changes to the same papers survive (see the module).

    ``kept`` is for the change an undo made: the papers where it left something as a
    later change (by another process) made it, instead of restoring it. So is
    ``moved``: the deleted papers it brought back under another key (another paper took
    theirs, or they joined the same paper imported again), each to that key.

    ``gone`` names the papers asked for that another process had deleted, which an
    operation told to skip them (``skip_gone``) left out; for the change an undo made,
    the papers it found deleted (or given another key) since, with nothing left to undo.
    """

    description: str
    keys: tuple[str, ...]
    before: Mapping[str, Image] = field(default_factory=dict)
    after: Mapping[str, Image] = field(default_factory=dict)
    kept: tuple[str, ...] = ()
    moved: Mapping[str, str] = field(default_factory=dict)
    gone: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether the operation changed nothing."""
        return not self.keys

    @property
    def deleted(self) -> tuple[str, ...]:
        """The papers the operation deleted (a deletion also changes the papers whose
        ``crossref`` named them: :meth:`~papershelf.library.Library.remove`)."""
        return tuple(key for key in self.keys if self.after.get(key, (None, None))[0] is None
                     and self.before.get(key, (None, None))[0] is not None)

    def inherited_note(self) -> str | None:
        """For a deletion, which papers took the fields they inherited by ``crossref``
        from a deleted paper, as a sentence (``None``: no paper did)."""
        deleted = set(self.deleted)
        heirs = [key for key in self.keys if key not in deleted]
        if not deleted or not heirs:
            return None
        names = ", ".join(heirs[:3]) + (f" and {len(heirs) - 3} more" if len(heirs) > 3 else "")
        one = len(heirs) == 1
        return (f"{names} took the fields {'it' if one else 'they'} inherited by crossref "
                f"from {'a' if len(deleted) == 1 else 'the'} deleted "
                f"paper{'' if len(deleted) == 1 else 's'}")


@dataclass(slots=True)
class ImportReport:
    """The outcome of an import: which papers are new, which were already there."""

    new: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    #: ``.bib`` keys that are another key here, each to that key: of new papers that
    #: could not have theirs (invalid or taken), and of entries merged into a paper
    #: already in the library (:attr:`merged`).
    renamed: dict[str, str] = field(default_factory=dict)
    #: The keys of :attr:`renamed` whose entry was merged into a paper with its title.
    merged: set[str] = field(default_factory=set)
    #: ``.bib`` keys of :attr:`renamed` that name more entries of the input (which
    #: BibTeX reports as repeated), each to the keys of those after the first renamed.
    renamed_again: dict[str, list[str]] = field(default_factory=dict)
    #: Papers whose ``crossref`` names a key neither the file nor the library holds,
    #: each to that key: BibTeX reports "A bad cross reference" unless another ``.bib``
    #: of the document holds it.
    missing_crossrefs: dict[str, str] = field(default_factory=dict)
    #: Entries merged into a paper of their title whose ``.bib`` fields differ from the
    #: paper's own (another version: a preprint and its journal article, an edition),
    #: each (by ``.bib`` key) to those fields' names: the paper kept its fields and took
    #: none of the entry's, which would have mixed the two.
    differing: dict[str, list[str]] = field(default_factory=dict)
    #: Papers with a note of their own whose entry brought another (``annote``), each once:
    #: the paper's stays; the other is still in the file.
    notes_kept: list[str] = field(default_factory=list)
    #: Papers of a ``.bib`` that took what their re-imported entry says of them
    #: (``import --update``: :func:`papershelf.records.take_entry`).
    updated: list[str] = field(default_factory=list)
    change: Change | None = None

    def summary(self) -> str:
        """The SPEC's one-line summary: ``N new, M already in library, K failed``."""
        return f"{len(self.new)} new, {len(self.existing)} already in library, {len(self.failed)} failed"

    def note_key(self, bib_key: str | None, key: str) -> None:
        """Record that the entry with ``bib_key`` became the new paper ``key``."""
        # (a key repeated in the input: its later entries are named too)
        if bib_key and bib_key != key and self.renamed.setdefault(bib_key, key) != key:
            self.renamed_again.setdefault(bib_key, []).append(key)

    def renamed_keys(self, bib_key: str) -> str:
        """The key, or keys, the entries with ``bib_key`` of :attr:`renamed` are here."""
        keys = [self.renamed[bib_key], *self.renamed_again.get(bib_key, ())]
        return ", ".join(map(repr, keys))

    def note_merged(self, bib_key: str, key: str) -> None:
        """Record that the entry with ``bib_key`` was merged into the paper ``key``."""
        if bib_key not in self.renamed:
            self.renamed[bib_key] = key
            self.merged.add(bib_key)

    def why_renamed(self, bib_key: str) -> str:
        """Why the ``.bib`` key ``bib_key`` of :attr:`renamed` is another key here."""
        if bib_key in self.merged:
            return "it has that paper's title, and one title is one paper here"
        from papershelf.model import why_key_changed

        return why_key_changed(bib_key)

    def why_differing(self, bib_key: str) -> str:
        """What happened to the entry with ``bib_key`` of :attr:`differing`."""
        from papershelf.errors import quoted

        key = self.renamed.get(bib_key, bib_key)
        into = f" (merged into {key!r}, of the same title)" if key != bib_key else ""
        return (f".bib entry {quoted(bib_key)}{into} differs in {', '.join(self.differing[bib_key])}: "
                "the paper kept its own fields, taking none of another version's (papershelf "
                "import --update takes them)")

    def missing_crossref(self, key: str) -> str:
        """What is wrong with the ``crossref`` of ``key`` (of :attr:`missing_crossrefs`)."""
        return (f"the crossref of {key} names {self.missing_crossrefs[key]}, which neither the "
                "file nor the library holds (BibTeX reports a bad cross reference unless "
                "another .bib of the document does)")


class ChangeBuilder:
    """Collects before-images while an operation runs and after-images at its end."""

    def __init__(self, image: Callable[[str], Image]) -> None:
        self._image = image
        self.before: dict[str, Image] = {}
        self.result = Change("nothing", ())

    def remember(self, key: str, image: Image | None = None) -> None:
        """Record ``key`` as it is now (``image``, or looked up), before the operation
        changes it."""
        if key not in self.before:
            self.before[key] = self._image(key) if image is None else image

    def done(self, description: str, keys: Iterable[str], kept: Iterable[str] = (),
             images: Mapping[str, Image] | None = None,
             moved: Mapping[str, str] | None = None, gone: Iterable[str] = ()) -> None:
        """Seal the change: ``keys`` are the papers the operation touched (``kept`` as
        for :attr:`Change.kept`, ``moved`` for :attr:`Change.moved`, ``gone`` for
        :attr:`Change.gone`). ``images`` holds
        after-images the caller already has, used as given: those of papers new in the
        change, which the library cannot look up before it commits (an import of
        100,000 papers passes the small records it stored, no texts), or the records a
        bulk change just wrote."""
        keys = tuple(dict.fromkeys(keys))
        images = images or {}
        before = {k: self.before.get(k, (None, None)) for k in keys}
        after = {k: images[k] if k in images else self._image(k) for k in keys}
        self.result = Change(description, keys, before, after, tuple(dict.fromkeys(kept)),
                             dict(moved or {}), tuple(dict.fromkeys(gone)))


def _by_value(value: Any) -> Hashable:
    """What makes two links or two sources the same."""
    if isinstance(value, dict):
        return repr(sorted(value.items()))
    return value if isinstance(value, str) else repr(value)


def _tag_identity(tag: Any) -> Hashable:
    return tag_fold(tag) if isinstance(tag, str) else repr(tag)


#: The list fields that hold sets, with what makes two members the same.
SET_FIELDS: dict[str, Callable[[Any], Hashable]] = {
    "tags": _tag_identity, "links": _by_value, "sources": _by_value,
}
#: Fields that only make sense together: undo keeps or restores them as one.
FIELD_GROUPS = (("read", "read_at"),)
#: Fields of a paper imported again whose new values stand without a word when its
#: deleted record is brought back into it: they say when and where it was imported.
IMPORT_FIELDS = frozenset({"title", "added", "seq", "batch"})

_MISSING: Any = object()
Values = tuple[Any, ...]


def _groups(names: Iterable[str]) -> Iterator[tuple[str, ...]]:
    """``names`` in field groups (every member of a group, if one is named), sorted."""
    names = set(names)
    for group in FIELD_GROUPS:
        if names.intersection(group):
            names.difference_update(group)
            yield group
    for name in sorted(names):
        yield (name,)


def _pick(record: Record, names: tuple[str, ...]) -> Values:
    return tuple(record.get(name, _MISSING) for name in names)


def _put(record: Record, names: tuple[str, ...], values: Values) -> None:
    for name, value in zip(names, values, strict=True):
        if value is _MISSING:
            record.pop(name, None)
        else:
            record[name] = copy_record({"v": value})["v"]


def _as_set(names: tuple[str, ...], *values: Values) -> list[list[Any]] | None:
    """The lists of a set-like field (a missing or null list is empty), or ``None`` if
    ``names`` is not one or a value is not a list (a hand edit)."""
    if len(names) != 1 or names[0] not in SET_FIELDS:
        return None
    lists = [[] if v[0] is _MISSING or v[0] is None else v[0] for v in values]
    return lists if all(isinstance(v, list) for v in lists) else None


def _unapplied(current: list[Any], before: list[Any], after: list[Any],
               same: Callable[[Any], Hashable]) -> list[Any]:
    """``current`` without the members that went from ``before`` to ``after``: those
    added removed, those removed added back (at the end), a respelling (a tag renamed
    to another case) spelt as before again; the members added since stay."""
    was = {same(v): v for v in before}
    did = {same(v) for v in after}
    respelt = set(map(repr, after)) - set(map(repr, before))
    out: list[Any] = []
    seen: set[Hashable] = set()
    for value in current:
        name = same(value)
        if name in seen or (name in did and name not in was):
            continue
        seen.add(name)
        out.append(was[name] if name in was and repr(value) in respelt else value)
    out += [v for name, v in was.items() if name not in did and name not in seen]
    return out


def reverted(current: Record, before: Record | None, after: Record | None) -> tuple[Record, bool]:
    """``current`` with what went from ``before`` to ``after`` taken back, and whether
    some of it was kept because it changed again since (the later change wins)."""
    out = dict(current)  # shallow: stored values are never changed in place
    before, after = before or {}, after or {}
    kept = False
    # A field the change left alone holds the very same value in both images (they are
    # the stored records): skipping those makes undoing a tag of 100,000 papers cheap.
    touched = {name for name in before.keys() | after.keys()
               if before.get(name, _MISSING) is not after.get(name, _MISSING)}
    for names in _groups(touched):
        was, did, now = _pick(before, names), _pick(after, names), _pick(current, names)
        if was in (did, now):  # the change did nothing here, or it was undone since
            continue
        if now == did:
            _put(out, names, was)
        elif (lists := _as_set(names, now, was, did)) is not None:
            _put(out, names, (_unapplied(lists[0], lists[1], lists[2], SET_FIELDS[names[0]]),))
        else:
            kept = True
    return out, kept


def restored(current: Record, deleted: Record) -> tuple[Record, bool]:
    """``deleted``, the record of a paper a change deleted, brought back into
    ``current``, the same paper imported again since: lists are united (the old
    members first), a field the new record leaves empty takes the old value, and any
    other keeps the new one. Also whether an old value was left out for a new one."""
    out = dict(current)  # shallow: stored values are never changed in place
    kept = False
    for names in _groups(deleted):
        old, now = _pick(deleted, names), _pick(current, names)
        if (lists := _as_set(names, now, old)) is not None:
            same = SET_FIELDS[names[0]]
            new, was = lists
            known = {same(v) for v in was}
            out[names[0]] = copy_record({"v": was})["v"] + [v for v in new if same(v) not in known]
        elif _empty(now):
            _put(out, names, old)
        elif now != old and not _empty(old) and not IMPORT_FIELDS.issuperset(names):
            kept = True
    return out, kept


def _empty(values: Values) -> bool:
    """Whether a field holds nothing (missing, empty, false): what a new paper has."""
    return all(v is _MISSING or not v for v in values)
