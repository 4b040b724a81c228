"""Sign-in lock-outs, API rate limits, cookies and security headers, and templates that a
Content-Security-Policy without inline script or style lets through."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client

from tests.incidents import payloads

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parent.parent


def _sign_in(client: Client, username: str, password: str, *, address: str = "10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- Sign-in lock-outs (django-axes) ---------------------------------------------------


def test_wrong_passwords_lock_the_user_out_and_then_the_right_one_is_refused(responder):
    client = Client()
    limit = django_settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = _sign_in(client, "rita", "wrong")
        assert response.status_code == 200
        assert b"Please enter a correct username and password" in response.content
    locked = _sign_in(client, "rita", "wrong")
    assert locked.status_code == 429

    response = _sign_in(client, "rita", PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(client)
    html = response.content.decode()
    assert 'data-testid="lockout"' in html and "Too many failed sign-ins" in html
    assert "15 minutes" in html
    assert '<form method="post" action="/login/">' in html  # the sign-in page, not a bare text


@pytest.mark.parametrize("path", ["/login/", "/admin/login/?next=/admin/"])
def test_a_sign_in_with_a_huge_user_name_is_refused_and_counted(path, responder):
    """A 1 MiB user name was a 500 (axes records the name in 255 characters): now the form
    comes back, and the failure counts against the name cut to a user name's length."""
    from axes.models import AccessAttempt

    huge = "rita" + "x" * (1024 * 1024)
    response = Client().post(path, {"username": huge, "password": "wrong"}, REMOTE_ADDR="10.0.6.1")
    assert response.status_code == 200
    assert b"correct username and password" in response.content
    [attempt] = AccessAttempt.objects.all()
    assert attempt.username == huge[:150] and attempt.failures_since_start == 1


def test_the_lock_is_per_user_from_any_address(responder):
    limit = django_settings.AXES_FAILURE_LIMIT
    for n in range(limit):
        _sign_in(Client(), "rita", "wrong", address=f"10.0.1.{n}")
    client = Client()
    assert _sign_in(client, "rita", PASSWORD, address="10.0.2.1").status_code == 429
    assert not _signed_in(client)


def test_the_lock_is_per_address_for_any_user(responder, viewer):
    limit = django_settings.AXES_FAILURE_LIMIT
    for n in range(limit):
        _sign_in(Client(), f"nobody{n}", "wrong", address="10.0.3.3")
    from_there, elsewhere = Client(), Client()
    assert _sign_in(from_there, "vic", PASSWORD, address="10.0.3.3").status_code == 429
    assert not _signed_in(from_there)
    # The address's lock leaves the same people signing in from elsewhere alone.
    assert _sign_in(elsewhere, "vic", PASSWORD, address="10.0.3.4").status_code == 302
    assert _signed_in(elsewhere)


def test_the_admin_sign_in_counts_and_is_locked_too(admin_user):
    limit = django_settings.AXES_FAILURE_LIMIT
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    for _ in range(limit):
        Client().post(
            "/admin/login/?next=/admin/",
            {"username": "ada", "password": "wrong"},
            REMOTE_ADDR="10.0.4.4",
        )
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "ada", "password": PASSWORD},
        REMOTE_ADDR="10.0.4.5",
    )
    assert response.status_code == 429 and not _signed_in(client)
    assert _sign_in(Client(), "ada", PASSWORD, address="10.0.4.6").status_code == 429


def test_admins_see_lockouts_and_a_reset_lifts_them(responder, admin_user):
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), "rita", "wrong", address="10.0.5.5")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save(update_fields=["is_staff", "is_superuser"])
    admin = Client()
    admin.force_login(admin_user)
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert b"rita" in listing.content and b"10.0.5.5" in listing.content

    call_command("axes_reset", verbosity=0)
    client = Client()
    assert _sign_in(client, "rita", PASSWORD, address="10.0.5.5").status_code == 302
    assert _signed_in(client)


def test_a_successful_sign_in_forgets_earlier_failures(responder):
    limit = django_settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        _sign_in(Client(), "rita", "wrong")
    assert _sign_in(Client(), "rita", PASSWORD).status_code == 302
    for _ in range(limit - 1):
        _sign_in(Client(), "rita", "wrong")
    client = Client()
    assert _sign_in(client, "rita", PASSWORD).status_code == 302 and _signed_in(client)


def test_api_tokens_keep_working_while_the_password_is_locked(responder, responder_api):
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), "rita", "wrong")
    assert _sign_in(Client(), "rita", PASSWORD).status_code == 429
    # A token is its own credential, not guessable like a password: scripts keep running.
    assert responder_api.get("/api/v1/incidents/").status_code == 200


def test_signing_in_without_a_request_still_works(responder):
    """The test client's login() (and scripts) call authenticate() without a request."""
    client = Client()
    assert client.login(username="rita", password=PASSWORD)
    assert client.get("/").status_code == 200


def test_behind_the_proxy_the_address_is_the_one_the_proxy_saw(settings, responder):
    settings.KEEL_BEHIND_TLS_PROXY = True
    for n in range(django_settings.AXES_FAILURE_LIMIT):
        # The client forges the first hop; the proxy appends the real address last.
        Client().post(
            "/login/",
            {"username": f"nobody{n}", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 10.0.6.6",
            REMOTE_ADDR="10.0.0.254",
        )
    locked = Client().post(
        "/login/",
        {"username": "rita", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="9.9.9.9, 10.0.6.6",
        REMOTE_ADDR="10.0.0.254",
    )
    assert locked.status_code == 429
    other = Client().post(
        "/login/",
        {"username": "rita", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="10.0.6.7",
        REMOTE_ADDR="10.0.0.254",
    )
    assert other.status_code == 302


# --- API rate limits -------------------------------------------------------------------


def test_each_api_token_has_a_rate_limit_answered_with_429_and_retry_after(
    settings, responder_api, viewer_api
):
    settings.KEEL_API_RATE_LIMIT = "3/minute"
    for _ in range(3):
        assert responder_api.get("/api/v1/incidents/").status_code == 200
    refused = responder_api.get("/api/v1/incidents/")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused["Content-Type"].startswith("application/json")
    assert "throttled" in refused.json()["message"].lower()
    assert set(refused.json()) == {"message"}
    # Another token has its own budget.
    assert viewer_api.get("/api/v1/incidents/").status_code == 200


def test_the_default_rate_limit_is_configured_and_can_be_turned_off(settings, responder_api):
    assert re.fullmatch(r"\d+/(second|minute|hour|day)", django_settings.KEEL_API_RATE_LIMIT)
    settings.KEEL_API_RATE_LIMIT = "off"
    for _ in range(5):
        assert responder_api.get("/api/v1/incidents/").status_code == 200


def test_browser_sessions_on_the_api_are_limited_per_user(settings, responder):
    settings.KEEL_API_RATE_LIMIT = "2/minute"
    client = Client()
    client.force_login(responder)
    assert [client.get("/api/v1/incidents/").status_code for _ in range(3)] == [200, 200, 429]


def test_webhook_intake_is_never_rate_limited(settings, integration_and_token):
    settings.KEEL_API_RATE_LIMIT = "2/minute"
    _, token = integration_and_token
    client = Client()
    statuses = [
        client.post(
            "/hooks/alertmanager/",
            data=payloads.body(
                payloads.notification(
                    [payloads.alert(alertname=f"Storm{n}", fingerprint=f"{n:016x}")]
                )
            ),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        ).status_code
        for n in range(6)
    ]
    assert statuses == [200] * 6


# --- Cookies and headers ---------------------------------------------------------------


def test_session_and_csrf_cookies_are_secure_httponly_and_samesite(responder):
    client = Client()
    form = client.get("/login/")
    csrf = form.cookies[django_settings.CSRF_COOKIE_NAME]
    response = _sign_in(client, "rita", PASSWORD)
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    for cookie in (csrf, session):
        assert cookie["secure"] is True, cookie.key
        assert cookie["httponly"] is True, cookie.key
        assert cookie["samesite"] == "Lax", cookie.key


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/login/", "/", "/incidents/", "/oncall/", "/admin/login/"])
def test_pages_carry_a_strict_content_security_policy_and_security_headers(client, responder, path):
    client.force_login(responder)
    response = client.get(path)
    assert response.status_code in (200, 302)
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_api_errors_and_webhook_answers_carry_the_policy_too(client, integration_and_token):
    assert "script-src 'self'" in client.get("/api/v1/incidents/")["Content-Security-Policy"]
    assert "default-src 'self'" in client.post("/hooks/alertmanager/")["Content-Security-Policy"]


def _settings_in_a_fresh_process(**variables: str):
    """Settings read from the environment at start-up, in a process of their own."""
    import subprocess
    import sys

    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": "sqlite://:memory:",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_admins_can_allow_image_hosts_in_the_policy():
    out = _settings_in_a_fresh_process(
        KEEL_CSP_IMG_HOSTS="https://grafana.example.com,*.img.example.com"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "[\"'self'\", 'data:', 'https://grafana.example.com', '*.img.example.com']"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KEEL_API_RATE_LIMIT", "lots"),
        ("KEEL_API_RATE_LIMIT", "0/minute"),
        ("KEEL_API_RATE_LIMIT", "10/fortnight"),
        ("KEEL_LOGIN_FAILURE_LIMIT", "0"),
        ("KEEL_LOGIN_LOCKOUT_MINUTES", "-5"),
    ],
)
def test_a_bad_limit_stops_start_up_with_a_message(name, value):
    out = _settings_in_a_fresh_process(**{name: value})
    assert out.returncode != 0
    assert "ImproperlyConfigured" in out.stderr and name in out.stderr


# --- Templates need no inline script or style ------------------------------------------

# The PDF's standalone HTML is read by WeasyPrint, not a browser: its style stays inline.
PDF_ONLY = {"postmortems/pdf.html", "postmortems/_document_style.html"}
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"hx-on|hx-vars|js:", re.I), "htmx script attribute"),
    (re.compile(r'hx-trigger="[^"]*\[', re.I), "htmx trigger filter (evaluated as script)"),
]


def test_no_template_needs_inline_script_or_style():
    found = []
    folder = ROOT / "templates"
    for path in sorted(folder.rglob("*.html")):
        name = path.relative_to(folder).as_posix()
        if name in PDF_ONLY:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{name}:{line}: {what}")
    assert found == []


# --- Remote images in postmortems ------------------------------------------------------


def test_postmortem_pages_show_remote_images_as_links(integration, responder):
    from core.actors import Actor
    from postmortems import services as pm
    from tests.factories import realistic_incident

    story = realistic_incident(integration, responder)
    pm.postmortem_draft(incident=story.incident, actor=Actor.of(responder))
    client = Client()
    client.force_login(responder)
    base = f"/incidents/{story.incident.number}/postmortem/"
    body = "Graph: ![pixel](https://tracker.example/p.gif) and <img src=//tracker.example/q.gif>"
    saved = client.post(base + "sections/trigger/", {"body": body, "base_revision": "0"})
    assert saved.status_code == 302

    preview = client.post(
        base + "sections/trigger/preview/", {"body": body}, headers={"HX-Request": "true"}
    ).content.decode()
    editor = client.get(base).content.decode()
    document = client.get(base + "document/").content.decode()
    for html in (preview, editor, document):
        assert not re.search(r"<img[^>]+tracker\.example", html)
        assert 'href="https://tracker.example/p.gif"' in html
        assert 'href="//tracker.example/q.gif"' in html
        assert "Image: pixel" in html
