"""On PostgreSQL, refuse overlapping overrides on one schedule (SQLite relies on the service)."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE oncall_override ADD CONSTRAINT override_no_overlap_in_schedule
    EXCLUDE USING gist (schedule_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&);
"""
DROP = "ALTER TABLE oncall_override DROP CONSTRAINT IF EXISTS override_no_overlap_in_schedule;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("oncall", "0002_schedules_escalation_paging")]

    operations = [migrations.RunPython(forwards, backwards)]
