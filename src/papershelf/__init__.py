"""papershelf: a keyboard-driven terminal reading-list manager for research papers."""

__version__ = "0.1.0"
