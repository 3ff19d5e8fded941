"""The papershelf Textual app: opens the library and shows the main screen."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.theme import Theme

from papershelf import settings
from papershelf.tui.screens.main import MainScreen
from papershelf.tui.shelf import Shelf


class PapershelfApp(App[None]):
    """A keyboard-driven reading list for research papers."""

    CSS_PATH = "app.tcss"
    TITLE = "papershelf"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+p", "command_palette", "Palette", show=False, priority=True,
                tooltip="Every action, searchable"),
    ]

    def __init__(self, library_dir: str | Path, demo: bool = False) -> None:
        """Open the library at ``library_dir`` (raises ``PapershelfError`` if it cannot)."""
        super().__init__()
        self.shelf = Shelf(Path(library_dir))
        self.demo = demo
        saved = settings.load().get("theme")
        if isinstance(saved, str) and saved in self.available_themes:
            self.theme = saved

    def get_default_screen(self) -> Screen[None]:
        """The main screen on the library."""
        return MainScreen(self.shelf, demo=self.demo)

    def on_mount(self) -> None:
        """Remember the theme whenever it changes."""
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: Theme) -> None:
        settings.save(theme=theme.name)
