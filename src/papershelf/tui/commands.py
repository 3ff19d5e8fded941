"""Every action of the main screen, once: its keys, footer label, help and palette entry.

The main screen's bindings, the help screen and the command palette are all built from
:data:`ACTIONS`, so a key can never be missing from one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True, slots=True)
class PaperAction:
    """One user action of the main screen."""

    action: str
    """Name of the screen's ``action_*`` method."""
    keys: str
    """Binding keys, comma separated (empty: palette only)."""
    label: str
    """Short label for the footer and the palette."""
    help: str
    """One sentence for the help screen, the tooltip and the palette."""
    key_display: str | None = None
    show: bool = True
    priority: bool = False
    """Run when the key reaches the app, before it goes to the focused widget (and
    before the keys behind it do)."""
    about_shown: bool = True
    """Whether it acts on the papers shown (the current one, the marks): then its key
    waits for the results of a filter just typed."""

    def binding(self) -> Binding:
        """The Textual binding for this action."""
        return Binding(self.keys, self.action, self.label, show=self.show,
                       key_display=self.key_display, tooltip=self.help, priority=self.priority)


ACTIONS: tuple[PaperAction, ...] = (
    # First: the footer shows what fits of them in this order, and at 80 columns the
    # one key that tells every other must be among them.
    PaperAction("help", "question_mark", "Help", "Show every key", key_display="?",
                about_shown=False),
    # A priority binding: keys typed in the same burst as "/" ("/unet" over ssh) reach
    # the app together, and without it they were handed to the list before "/" moved
    # the focus, where u undid a change and n opened the note editor.
    PaperAction("focus_filter", "slash", "Filter", "Focus the filter box; typing filters as you type",
                key_display="/", priority=True, about_shown=False),
    PaperAction("toggle_read", "space", "Read", "Toggle read / unread (marked papers, or the current one)"),
    PaperAction("add_tag", "t", "Tag", "Add a tag (completes existing tags)"),
    PaperAction("remove_tag", "T", "Untag", "Remove a tag", key_display="T"),
    PaperAction("edit_note", "n", "Note", "Edit the note (multi-line; ctrl+s saves, escape cancels)"),
    PaperAction("toggle_mark", "v", "Mark",
                "Mark / unmark the current paper for bulk actions, then move down"),
    PaperAction("mark_shown", "V", "Mark all",
                "Mark every paper shown (the filter's results) for bulk actions; again: unmark them",
                key_display="V", show=False),
    PaperAction("undo", "u", "Undo", "Undo the last change (read, tags, note, delete, import)",
                about_shown=False),
    PaperAction("copy_bibtex", "b", "BibTeX", "Copy BibTeX of the marked papers (or the current one)"),
    PaperAction("export", "e", "Export", "Export the marked papers (or all shown) to a .bib file"),
    PaperAction("open_link", "o", "Open", "Open the paper's first link in the browser"),
    PaperAction("import", "i", "Import", "Import a file, the clipboard's text, or the bundled samples",
                about_shown=False),
    PaperAction("scroll_detail_down", "J,shift+down", "Scroll down",
                "Scroll the paper's details (abstract, note) down", key_display="J", show=False),
    PaperAction("scroll_detail_up", "K,shift+up", "Scroll up",
                "Scroll the paper's details up", key_display="K", show=False),
    PaperAction("delete", "delete", "Delete", "Delete the marked papers (or the current one); u undoes",
                key_display="del", show=False),
    # escape in the list (action_back) does it; the palette's entry is this action
    PaperAction("clear_marks", "", "Clear marks", "Unmark every marked paper", key_display="escape",
                show=False),
    # s imports them in the welcome view of an empty library (a binding of its own there)
    PaperAction("import_samples", "", "Import samples", "Import the bundled sample listings",
                key_display="s (empty library)", show=False),
    PaperAction("quit", "q", "Quit", "Quit papershelf", about_shown=False),
)

#: Keys of the paper list (handled by the list widget itself), for the help screen.
LIST_KEYS: tuple[tuple[str, str], ...] = (
    ("j / down", "Next paper"),
    ("k / up", "Previous paper"),
    ("home / end", "First / last paper"),
    ("pgup / pgdn", "Page up / down"),
    ("escape", "Back to the list (from the filter); clears marks in the list"),
    ("enter / down", "From the filter: go to the list"),
    ("ctrl+p", "Command palette: every action"),
    ("ctrl+q", "Quit (from anywhere, a dialog too)"),
)


def screen_bindings() -> list[Binding]:
    """The bindings of the main screen."""
    return [a.binding() for a in ACTIONS if a.keys]


def keys_not_about_shown() -> frozenset[str]:
    """Keys of the main screen's actions that do not act on the papers shown, and the
    app's (the palette, quit)."""
    return frozenset({"ctrl+p", "ctrl+q"}.union(
        *(a.keys.split(",") for a in ACTIONS if a.keys and not a.about_shown)))


def key_label(action: PaperAction) -> str:
    """How the help screen shows the keys of ``action``."""
    if not action.keys:
        return action.key_display or "(palette)"  # no key: run it from ctrl+p
    keys = action.keys.split(",")
    if action.key_display:
        keys[0] = action.key_display
    return " / ".join(keys)


class PaperCommands(Provider):
    """Command palette entries for every action of the main screen."""

    def _commands(self) -> list[tuple[str, str, str]]:
        return [(a.label, a.help, a.action) for a in ACTIONS]

    def _run(self, action: str) -> None:
        self.app.call_later(self.screen.run_action, action)

    async def discover(self) -> Hits:
        """Every action, for the empty palette."""
        for label, help_text, action in self._commands():
            yield DiscoveryHit(label, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        """Actions whose label matches ``query``."""
        matcher = self.matcher(query)
        for label, help_text, action in self._commands():
            score = max(matcher.match(label), matcher.match(help_text) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self._run, action), help=help_text)
