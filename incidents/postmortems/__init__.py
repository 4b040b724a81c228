"""Postmortems: pure helpers for sections, Markdown, blameless language, drafts and charts."""
