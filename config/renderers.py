"""The API's renderers: JSON, and DRF's browsable pages for people exploring the API."""

from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BrowsableAPIRenderer as DRFBrowsableAPIRenderer


class BrowsableAPIRenderer(DRFBrowsableAPIRenderer):
    """DRF's HTML pages use inline style rules and attributes (no inline script): only those
    pages are allowed inline styles by the Content-Security-Policy."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> Any:
        response = (renderer_context or {}).get("response")
        if response is not None:
            response._csp_update = {"style-src": ["'unsafe-inline'"]}
        return super().render(data, accepted_media_type, renderer_context)
