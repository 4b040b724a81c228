"""Django settings, read from the environment (12-factor); see README for every variable."""

import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from core import bounds
from core.outbound_policy import Allowlist

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="keel-insecure-development-key-change-me")
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "core.api_errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "csp",
    "accounts",
    "catalog",
    "incidents",
    "slos",
    "oncall",
    "postmortems",
    "demo",
    "assistants",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.middleware.RequestBoundsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.TimezoneMiddleware",
    # Last, as django-axes asks: it turns a lock-out into the sign-in page with a message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- Database -------------------------------------------------------------------------
# SQLite file by default (the embedded, zero-setup mode); PostgreSQL in production.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'keel.sqlite3'}"),
}
# Persistent connections: opening a PostgreSQL connection per request or task costs more
# than the queries of a webhook delivery.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache --------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "keel",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Each web process keeps the integrations it has authenticated for a few seconds: a
# webhook storm then costs no database or Redis round trip for authentication.
CACHES["integrations"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "keel-integrations",
}

# Without a broker, tasks run eagerly in-process (the embedded default).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("KEEL_TASKS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("KEEL_WORKER_PREFETCH", default=4)
CELERY_TASK_IGNORE_RESULT = True
# Reuse the worker's database connection across tasks (opening one per task costs more
# than a delivery's queries); config/celery.py replaces broken or expired ones.
CELERY_DB_REUSE_MAX = env.int("KEEL_WORKER_DB_REUSE_MAX", default=1000)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A webhook must answer even when the broker is down: publish fails fast, and the
# periodic sweep re-enqueues the stored delivery later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 5}
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "slos-evaluate": {
        "task": "slos.tasks.evaluate_all",
        "schedule": env.float("KEEL_SLO_EVALUATION_INTERVAL_SECONDS", default=60.0),
    },
    "slos-weekly-report": {
        "task": "slos.tasks.weekly_report_if_due",
        "schedule": 900.0,
    },
    "incidents-sweep": {
        "task": "incidents.tasks.sweep",
        "schedule": env.float("KEEL_SWEEP_INTERVAL_SECONDS", default=60.0),
    },
    "postmortem-reminders": {
        "task": "postmortems.tasks.postmortem_reminders",
        "schedule": env.float("KEEL_POSTMORTEM_REMINDER_INTERVAL_SECONDS", default=3600.0),
    },
    "oncall-escalations-due": {
        "task": "oncall.tasks.escalations_due",
        "schedule": env.float("KEEL_ESCALATION_TICK_SECONDS", default=30.0),
    },
    "oncall-handoffs": {
        "task": "oncall.tasks.handoffs_tick",
        "schedule": env.float("KEEL_HANDOFF_TICK_SECONDS", default=300.0),
    },
}

# --- Auth, i18n ------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed sign-ins (the sign-in page, the admin's, anything calling authenticate()) are
# counted per user name and per address by django-axes: either one reaching the limit
# locks it out for the cool-off time. `manage.py axes_reset` lifts every lock-out; the
# admin lists them under "Axes".
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("KEEL_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("KEEL_LOGIN_LOCKOUT_MINUTES", default=15))
if not (1 <= AXES_FAILURE_LIMIT <= 1000 and 1 <= AXES_COOLOFF_TIME.total_seconds() // 60 <= 10080):
    raise ImproperlyConfigured(
        "KEEL_LOGIN_FAILURE_LIMIT must be 1-1000 and KEEL_LOGIN_LOCKOUT_MINUTES 1-10080 (a week)."
    )
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_USERNAME_CALLABLE = "accounts.lockout.client_username"
AXES_HTTP_RESPONSE_CODE = 429
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security (production defaults; `manage.py check --deploy` is clean with DEBUG off) -
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The CSRF cookie stays readable by no script: forms carry the token in a hidden field and
# htmx requests in the X-CSRFToken header the page writes from the template.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Alertmanager and health probes often speak plain HTTP inside the cluster; a redirect
# would turn their POST into a GET.
SECURE_REDIRECT_EXEMPT = [r"^hooks/", r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
KEEL_BEHIND_TLS_PROXY = env.bool("DJANGO_BEHIND_TLS_PROXY", default=False)
if KEEL_BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Content-Security-Policy (django-csp): scripts, styles, fonts and fetches only from Keel
# itself, no inline script or style; images from Keel (and data: URIs, which load nothing)
# plus the hosts an admin lists in KEEL_CSP_IMG_HOSTS (e.g. https://grafana.example.com).
# Postmortem Markdown shows other remote images as links (postmortems/markdown.py).
KEEL_CSP_IMG_HOSTS = env.list("KEEL_CSP_IMG_HOSTS", default=[])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *KEEL_CSP_IMG_HOSTS],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- REST API ------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsViewer"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["config.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.KeelAutoSchema",
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "config.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per API token (or signed-in user, or address for anonymous calls); over the limit
    # the API answers 429 with Retry-After. Webhook intake (/hooks/) is not DRF and is
    # never throttled: an Alertmanager storm is legitimate.
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.ApiTokenRateThrottle"],
    "NUM_PROXIES": 1 if KEEL_BEHIND_TLS_PROXY else None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Keel API",
    "DESCRIPTION": "Incidents, alerts, integrations and services.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set (several serializers share fields named kind/severity/status).
    "ENUM_NAME_OVERRIDES": {
        "SeverityEnum": "incidents.choices.Severity",
        "IncidentStatusEnum": "incidents.choices.Status",
        "IncidentKindEnum": "incidents.choices.Kind",
        "DeclaredKindEnum": [("manual", "Declared"), ("drill", "Drill")],
        "AlertStatusEnum": "incidents.choices.AlertStatus",
        "IntegrationKindEnum": "incidents.choices.IntegrationKind",
        "ResolvePolicyEnum": "incidents.choices.ResolvePolicy",
        "DeliveryStateEnum": "incidents.choices.DeliveryState",
        "TimelineEntryKindEnum": "incidents.choices.EntryKind",
        "BudgetingMethodEnum": "slos.choices.BudgetingMethod",
        "GateBypassKindEnum": "slos.choices.BypassKind",
        "EscalationTargetKindEnum": "oncall.choices.TargetKind",
        "ContactChannelEnum": "oncall.choices.Channel",
        "PostmortemStatusEnum": "postmortems.models.PostmortemStatus",
        "ActionItemStatusEnum": "postmortems.models.ActionStatus",
        "ActionItemKindEnum": "postmortems.models.ActionKind",
        "ActionItemPriorityEnum": "postmortems.models.ActionPriority",
    },
}

# --- Keel ------------------------------------------------------------------------------
# API requests allowed per token (per signed-in user for the browser, per address without
# credentials): "<n>/<second|minute|hour|day>"; "off" for no limit.
KEEL_API_RATE_LIMIT = env.str("KEEL_API_RATE_LIMIT", default="1200/minute").strip()
if not re.fullmatch(r"(?i)off|[1-9][0-9]{0,8}/(second|minute|hour|day)", KEEL_API_RATE_LIMIT):
    raise ImproperlyConfigured(
        f"KEEL_API_RATE_LIMIT={KEEL_API_RATE_LIMIT!r}: expected <n>/second|minute|hour|day "
        "(n from 1) or off."
    )

# What any request may carry (core/bounds.py): its query string, and its body (forms and
# API calls; the webhooks have their own limit below). Django reads no larger form body.
KEEL_MAX_QUERY_BYTES = env.int("KEEL_MAX_QUERY_BYTES", default=bounds.MAX_QUERY_BYTES)
KEEL_MAX_BODY_BYTES = env.int("KEEL_MAX_BODY_BYTES", default=bounds.MAX_BODY_BYTES)
DATA_UPLOAD_MAX_MEMORY_SIZE = KEEL_MAX_BODY_BYTES
KEEL_MAX_WEBHOOK_BYTES = env.int("KEEL_MAX_WEBHOOK_BYTES", default=5 * 1024 * 1024)
# Deliveries still unprocessed this long after arrival are enqueued again by the sweep.
KEEL_REQUEUE_AFTER_SECONDS = env.int("KEEL_REQUEUE_AFTER_SECONDS", default=60)
# How long a web process trusts its cached view of an integration's token: disabling an
# integration or rotating its token takes effect at once in the process that did it, and
# within this many seconds in the others.
KEEL_INTEGRATION_CACHE_SECONDS = env.int("KEEL_INTEGRATION_CACHE_SECONDS", default=5)
KEEL_BASE_URL = env.str("KEEL_BASE_URL", default="http://127.0.0.1:8000")

# Email (pages, handoff reminders, SLO reports, postmortem reminders): an EMAIL_URL such
# as smtp+tls://user:password@mail.example:587; with debug, mail is printed to the console.
vars().update(
    env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
)
DEFAULT_FROM_EMAIL = env.str("KEEL_EMAIL_FROM", default="Keel <keel@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Error budgets: the Prometheus SLIs are read from, how long a query may take, how old
# pushed data may be before the deployment gate fails closed, and the weekly SLO report.
KEEL_PROMETHEUS_URL = env.str("KEEL_PROMETHEUS_URL", default="")
KEEL_PROMETHEUS_TIMEOUT_SECONDS = env.float("KEEL_PROMETHEUS_TIMEOUT_SECONDS", default=5.0)
KEEL_GATE_MAX_DATA_AGE_SECONDS = env.int("KEEL_GATE_MAX_DATA_AGE_SECONDS", default=300)
KEEL_SLO_REPORT_DAY = env.int("KEEL_SLO_REPORT_DAY", default=0)  # 0 = Monday
KEEL_SLO_REPORT_TIME = env.str("KEEL_SLO_REPORT_TIME", default="09:00")
KEEL_SLO_REPORT_TIME_ZONE = env.str("KEEL_SLO_REPORT_TIME_ZONE", default="UTC")
KEEL_SLO_REPORT_EMAILS = env.list("KEEL_SLO_REPORT_EMAILS", default=[])
KEEL_SLO_REPORT_WEBHOOK_URL = env.str("KEEL_SLO_REPORT_WEBHOOK_URL", default="")
KEEL_SLO_REPORT_WEBHOOK_TIMEOUT_SECONDS = env.float(
    "KEEL_SLO_REPORT_WEBHOOK_TIMEOUT_SECONDS", default=10.0
)
KEEL_SLO_REPORT_WEBHOOK_ATTEMPTS = env.int("KEEL_SLO_REPORT_WEBHOOK_ATTEMPTS", default=5)
KEEL_SLO_REPORT_WEBHOOK_RETRY_SECONDS = env.float(
    "KEEL_SLO_REPORT_WEBHOOK_RETRY_SECONDS", default=300.0
)
# The demo (`make run`): beat pushes the demo SLO's traffic every minute.
KEEL_DEMO_SLI = env.bool("KEEL_DEMO_SLI", default=False)
# The MCP server's write tools (declare, acknowledge, note, gate bypass): off by default.
KEEL_MCP_WRITE = env.bool("KEEL_MCP_WRITE", default=False)
if KEEL_DEMO_SLI:
    CELERY_BEAT_SCHEDULE["slos-demo-sli"] = {"task": "slos.tasks.demo_sli_push", "schedule": 60.0}
# Days after resolution by which a required postmortem (SEV1/SEV2, or >20% of an SLO
# budget spent) is due.
KEEL_POSTMORTEM_DUE_DAYS = env.int("KEEL_POSTMORTEM_DUE_DAYS", default=5)
# Paging: webhook timeout, delivery attempts and backoff (base * 2^n seconds), how long
# the one-click acknowledge link in a page stays valid, and plain-http webhooks (tests).
KEEL_PAGE_WEBHOOK_TIMEOUT_SECONDS = env.float("KEEL_PAGE_WEBHOOK_TIMEOUT_SECONDS", default=5.0)
KEEL_PAGE_MAX_ATTEMPTS = env.int("KEEL_PAGE_MAX_ATTEMPTS", default=4)
KEEL_PAGE_RETRY_BASE_SECONDS = env.float("KEEL_PAGE_RETRY_BASE_SECONDS", default=30.0)
KEEL_PAGE_ACK_LINK_MAX_AGE_SECONDS = env.int("KEEL_PAGE_ACK_LINK_MAX_AGE_SECONDS", default=86400)
KEEL_PAGE_WEBHOOK_ALLOW_HTTP = env.bool("KEEL_PAGE_WEBHOOK_ALLOW_HTTP", default=DEBUG)
# Outbound requests (webhooks): loopback, private, link-local, metadata and other
# non-public addresses are refused unless listed here (comma-separated CIDRs, addresses or
# host names; ".corp.example" allows a whole domain), e.g. for on-premises chat servers.
KEEL_OUTBOUND_ALLOW = [e.strip() for e in env.list("KEEL_OUTBOUND_ALLOW", default=[]) if e.strip()]
KEEL_OUTBOUND_TIMEOUT_SECONDS = env.float("KEEL_OUTBOUND_TIMEOUT_SECONDS", default=10.0)
KEEL_OUTBOUND_MAX_RESPONSE_BYTES = env.int("KEEL_OUTBOUND_MAX_RESPONSE_BYTES", default=65536)
try:
    Allowlist.parse(KEEL_OUTBOUND_ALLOW)
except ValueError as _bad_entry:
    raise ImproperlyConfigured(f"KEEL_OUTBOUND_ALLOW: {_bad_entry}") from None
# Handoffs: how long before a shift change the incoming person is reminded.
KEEL_HANDOFF_REMIND_BEFORE_MINUTES = env.int("KEEL_HANDOFF_REMIND_BEFORE_MINUTES", default=60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("KEEL_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
