"""Widgets of the papershelf TUI."""
