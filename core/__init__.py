"""Keel's lowest layer: what every app shares (bounds on values that enter)."""
