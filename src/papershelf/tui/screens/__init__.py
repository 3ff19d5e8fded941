"""Screens and dialogs of the papershelf TUI."""
