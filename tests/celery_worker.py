"""A real Celery worker on Redis for the tests that go through the broker, and a poll for
what it does. The `worker` fixture itself is in tests/conftest.py."""

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from config.celery import app as celery_app

needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs REDIS_URL: the broker of the real worker"
)

DEADLINE_SECONDS = 20


@contextmanager
def running_worker(django_settings: Any) -> Iterator[None]:
    """A worker thread consuming from Redis (tasks no longer run in-process meanwhile);
    stopped, and its database connection let go, before the tables are flushed."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    django_settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        celery_app.control.purge()  # leftovers of an interrupted run must not leak in
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            yield
    finally:
        celery_app.conf.task_always_eager = eager
        gc.collect()


def wait_for(condition: Callable[[], bool], what: str, seconds: float = DEADLINE_SECONDS) -> None:
    """Poll until condition() holds; fail with `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"after {seconds} s: {what}")
        time.sleep(0.1)
