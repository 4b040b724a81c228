"""A bad KEEL_OUTBOUND_ALLOW entry stops Keel at start with the entry named."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _start(allow: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "sqlite://:memory:",
        "REDIS_URL": "",
        "DJANGO_DEBUG": "1",
        "KEEL_OUTBOUND_ALLOW": allow,
    }
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.KEEL_OUTBOUND_ALLOW)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_a_bad_allow_entry_stops_keel_with_its_name():
    done = _start("10.0.0.0/8,not a host")
    assert done.returncode != 0
    assert "KEEL_OUTBOUND_ALLOW: 'not a host' is neither a network" in done.stderr


def test_good_entries_are_read_as_a_list():
    done = _start("10.0.0.0/8, chat.corp.example")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['10.0.0.0/8', 'chat.corp.example']"
