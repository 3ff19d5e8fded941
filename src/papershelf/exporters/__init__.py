"""Exporters: papers to BibTeX, Markdown and JSON."""
