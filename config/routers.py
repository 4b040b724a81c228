"""The API's router lives in core (core/routers.py); this name stays for the modules that
still import it from here."""

from core.routers import INTEGER_ID, SLUG, Router

__all__ = ["INTEGER_ID", "SLUG", "Router"]
