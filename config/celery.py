"""The Celery application; tasks run eagerly in-process when no broker is configured."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("keel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(**kwargs: Any) -> None:
    """Keep a worker's database connection across tasks, as web requests do.

    Celery's Django fix-up would close it after every task (CELERY_DB_REUSE_MAX raises
    that to many tasks); Django's own rule, CONN_MAX_AGE with health checks, decides
    here instead, so a broken or expired connection is replaced before the next task.
    """
    task = kwargs.get("task")
    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()
