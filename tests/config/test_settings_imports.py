"""Every dotted path in the settings imports on its own in a fresh process, whatever was
imported before it. Django runs its system checks in no fixed order, so the CSRF failure
view may be the first thing to import core.api_errors; a circular import there made
`manage.py check` fail on some runs and pass on others."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PATHS = [
    "CSRF_FAILURE_VIEW",
    "REST_FRAMEWORK.EXCEPTION_HANDLER",
    "REST_FRAMEWORK.DEFAULT_PARSER_CLASSES",
    "REST_FRAMEWORK.DEFAULT_AUTHENTICATION_CLASSES",
    "REST_FRAMEWORK.DEFAULT_PERMISSION_CLASSES",
    "REST_FRAMEWORK.DEFAULT_SCHEMA_CLASS",
    "REST_FRAMEWORK.DEFAULT_FILTER_BACKENDS",
    "REST_FRAMEWORK.DEFAULT_THROTTLE_CLASSES",
    "REST_FRAMEWORK.DEFAULT_RENDERER_CLASSES",
    "AUTHENTICATION_BACKENDS",
    "AXES_LOCKOUT_CALLABLE",
    "AXES_CLIENT_IP_CALLABLE",
    "MIDDLEWARE",
]

IMPORT_FIRST = """
import sys
import django
from django.conf import settings
from django.utils.module_loading import import_string

django.setup()
name = sys.argv[1]
value = settings
for part in name.split("."):
    value = value[part] if isinstance(value, dict) else getattr(value, part)
for dotted in [value] if isinstance(value, str) else value:
    import_string(dotted)
    print("imported", dotted)
"""


@pytest.mark.parametrize("name", PATHS)
def test_a_settings_path_imports_first_in_a_fresh_process(name):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "sqlite://:memory:",
        "REDIS_URL": "",
        "DJANGO_DEBUG": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_FIRST, name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "imported" in done.stdout
