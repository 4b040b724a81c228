"""Postmortems: drafts, editing, review, action items and published documents."""
