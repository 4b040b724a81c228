"""Authentication backends: django-axes' lock-out check in front of Django's own."""

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out sign-in over HTTP. A call without a request (the test client's
    login(), a script) cannot be sent from outside and is passed on to the next backend,
    where axes would otherwise refuse it outright."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
