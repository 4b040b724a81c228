"""The API's router: a viewset looked up by its primary key takes only digits in the URL,
so `/api/v1/<things>/abc/` is a 404 like any unknown object, whatever the viewset does with
the id (a lookup of "abc" in an integer column would otherwise be a 500); one looked up by
its slug takes only a slug's characters (a NUL byte reached PostgreSQL, a 500). Viewsets
looked up by another field (an incident number) say so with `lookup_value_regex`."""

from typing import Any

from rest_framework.routers import SimpleRouter

INTEGER_ID = "[0-9]+"
SLUG = "[-a-zA-Z0-9_]+"  # Django's validate_slug, which SlugField columns hold to


class Router(SimpleRouter):
    def get_lookup_regex(self, viewset: Any, lookup_prefix: str = "") -> str:
        lookup_field = getattr(viewset, "lookup_field", "pk")
        pattern = {"pk": INTEGER_ID, "id": INTEGER_ID, "slug": SLUG}.get(lookup_field)
        if pattern is None or getattr(viewset, "lookup_value_regex", None):
            return super().get_lookup_regex(viewset, lookup_prefix)
        lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or lookup_field
        return f"(?P<{lookup_prefix}{lookup_url_kwarg}>{pattern})"
