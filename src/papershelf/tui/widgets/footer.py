"""The main screen's footer: Textual's, showing only the keys that fit whole."""

from __future__ import annotations

from textual import events
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: Below this many columns the footer drops its spacing, to show more of the keys (it
#: showed none past "b" at 80 columns with it).
NARROW_FOOTER = 120


class WholeKeysFooter(Footer):
    """Textual's footer, compact below :data:`NARROW_FOOTER` columns, that hides the keys
    it has no room for rather than cutting the last one shown ("b BibT" at 80 columns).

    The keys are in :data:`papershelf.tui.commands.ACTIONS` order, so what goes is the
    least used; ``?`` lists them all.
    """

    def __init__(self, width: int) -> None:
        super().__init__(compact=width < NARROW_FOOTER)

    async def recompose(self) -> None:
        """Compose the keys again (the bindings changed), then hide those cut off."""
        await super().recompose()
        self.call_after_refresh(self._hide_cut_keys)

    def on_resize(self, event: events.Resize) -> None:
        """Show every key again at the new width, then hide those cut off."""
        self.compact = event.size.width < NARROW_FOOTER
        for key in self.query_children(FooterKey):
            key.display = True
        self.call_after_refresh(self._hide_cut_keys)

    def _hide_cut_keys(self, tries: int = 10) -> None:
        keys = list(self.query_children(FooterKey))
        if tries and any(not key.region for key in keys if key.display):
            # Not laid out yet: keys composed again under a dialog (the bindings change
            # as it opens) are placed only some refreshes later.
            self.call_after_refresh(self._hide_cut_keys, tries - 1)
            return
        palette = [key for key in keys if key.has_class("-command-palette")]
        end = palette[0].region.x if palette and palette[0].region else self.region.right
        cut = False
        for key in keys:
            if key not in palette:
                cut = cut or key.region.right > end
                key.display = not cut
