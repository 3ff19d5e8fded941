"""The order BibTeX needs entries in: one a ``crossref`` names after those naming it.

Kept apart from the renderer so that an export from the cache, which renders nothing,
does not import it (and bibtexparser and pylatexenc with it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def crossref_order(keys: Sequence[str], crossrefs: Mapping[str, str]) -> Sequence[str]:
    """``keys`` with every entry that a ``crossref`` of another one names moved after
    it, as BibTeX needs ("A bad cross reference" otherwise), the rest in their order.
    ``crossrefs`` maps keys to the key their ``crossref`` names (BibTeX matches it up
    to case); it may hold keys not in ``keys``. Returns ``keys`` itself when no entry
    moves."""
    if not crossrefs:
        return keys
    present = {key.casefold(): key for key in keys}
    exported = set(keys)
    parent_of = {child: parent for child, target in crossrefs.items()
                 if child in exported
                 and (parent := present.get(target.casefold())) not in (None, child)}
    if not parent_of:
        return keys
    # Each entry goes after every entry that points at it, however many steps away; a
    # cycle (which BibTeX cannot resolve either) stops once the depth exceeds its length.
    depth = dict.fromkeys(parent_of.values(), 0)
    changed = True
    while changed:
        changed = False
        for child, parent in parent_of.items():
            wanted = depth.get(child, 0) + 1
            if depth[parent] < wanted <= len(parent_of):
                depth[parent], changed = wanted, True
    return sorted(keys, key=lambda key: depth.get(key, 0))
