"""PostgreSQL keeps timeline entries append-only: only `pinned` (and the actor references,
which become NULL when a user or integration is deleted) may change after insert."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION incidents_timeline_append_only() RETURNS trigger AS $$
BEGIN
    IF (NEW.id, NEW.incident_id, NEW.at, NEW.kind, NEW.actor_name, NEW.text, NEW.data,
        NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.incident_id, OLD.at, OLD.kind, OLD.actor_name, OLD.text, OLD.data,
        OLD.created_at) THEN
        RAISE EXCEPTION 'timeline entries are append-only; only pinned may change'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER incidents_timeline_append_only
    BEFORE UPDATE ON incidents_timelineentry
    FOR EACH ROW EXECUTE FUNCTION incidents_timeline_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS incidents_timeline_append_only ON incidents_timelineentry;
DROP FUNCTION IF EXISTS incidents_timeline_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_incident_number_sequence")]
    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
