"""What an empty library shows: how to fill it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Static

WELCOME = Content.assemble(
    ("Welcome to papershelf", "bold $text-primary"), "\n\n",
    "Your library is empty. Copy a paper listing (for example a Hugging Face Papers page, "
    "selected and copied as plain text) into a file, or keep it on the clipboard, then:\n\n",
    ("  i  ", "bold $text-accent"), "import a file, the clipboard's text, or paste the text\n",
    ("  s  ", "bold $text-accent"), "import the bundled samples (five listings, 356 papers)\n\n",
    "From a shell: ", ("papershelf import listing.txt", "$text-accent"), " or ",
    ("papershelf import --clipboard", "$text-accent"), ".\n"
    "Papers imported from another shell show up here by themselves.",
)


class Welcome(VerticalScroll):
    """The welcome view with the two ways to import."""

    def compose(self) -> ComposeResult:
        """Text and two buttons."""
        yield Static(WELCOME, id="welcome-text")
        with Center(), Horizontal(id="welcome-buttons"):
            yield Button("Import… (i)", id="welcome-import", variant="primary")
            yield Button("Import the samples (s)", id="welcome-samples")
