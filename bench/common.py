"""What the Django benchmarks share: a log line with the time, a database of their own
(its name must contain "bench"), migrated, and percentiles."""

import sys
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def ensure_database(url: str) -> None:
    """Create the database named in `url` if it is missing; refuse any name without "bench"."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing database {name!r}: its name must contain 'bench'")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_database(url: str) -> None:
    """Ensure the benchmark's database exists, set Django up and migrate it."""
    ensure_database(url)

    import django

    django.setup()

    from django.core.management import call_command

    log("migrating")
    call_command("migrate", verbosity=0, interactive=False)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def copy_rows(model: type[Any], rows: Iterable[Any]) -> int:
    """Write unsaved model instances (primary keys set) with one COPY (psycopg 3)."""
    from django.db import connection

    fields = list(model._meta.concrete_fields)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in rows:
                copy.write_row(
                    [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
                )
                count += 1
    return count


def reset_sequences(*model_list: type[Any]) -> None:
    """Move the id sequences past the rows written with explicit ids."""
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(model_list)):
            cursor.execute(statement)
