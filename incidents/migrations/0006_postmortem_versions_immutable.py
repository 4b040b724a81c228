"""PostgreSQL keeps published postmortem versions immutable: no update, no delete."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION incidents_postmortem_version_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'published postmortem versions are immutable'
        USING ERRCODE = 'check_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER incidents_postmortem_version_immutable
    BEFORE UPDATE OR DELETE ON incidents_postmortemversion
    FOR EACH ROW EXECUTE FUNCTION incidents_postmortem_version_immutable();
"""

DROP = """
DROP TRIGGER IF EXISTS incidents_postmortem_version_immutable ON incidents_postmortemversion;
DROP FUNCTION IF EXISTS incidents_postmortem_version_immutable();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("incidents", "0005_postmortems")]
    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
