"""Browser tests: plain HTTP on loopback (the live server and the tab are shared fixtures in
tests/conftest.py)."""


def pytest_configure(config):
    # The live server builds its middleware once, when it starts, which may be before any
    # function-scoped settings fixture runs: a browser must not be redirected to HTTPS.
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
