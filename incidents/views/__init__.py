"""The web UI for incident commanders: thin views over the selectors and services."""
