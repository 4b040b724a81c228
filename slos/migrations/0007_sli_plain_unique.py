"""Unique (slo, minute) and (slo, day) on every database (SQLite creates no unique index
with non-key columns, and pushes upsert on it); on PostgreSQL the same unique index also
carries good and total, so budget sums read the index alone."""

from django.db import migrations, models

COVERED = (
    ("slos_slibucket", "slibucket_one_per_minute", "slo_id, minute"),
    ("slos_sliday", "sliday_one_per_day", "slo_id, day"),
)


def covering(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, columns in COVERED:
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        schema_editor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE ({columns}) INCLUDE (good, total)"
        )


def plain(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, columns in COVERED:
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        schema_editor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE ({columns})")


class Migration(migrations.Migration):

    dependencies = [
        ('slos', '0006_sli_day_rollup'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='slibucket',
            name='slibucket_one_per_minute',
        ),
        migrations.RemoveConstraint(
            model_name='sliday',
            name='sliday_one_per_day',
        ),
        migrations.AddConstraint(
            model_name='slibucket',
            constraint=models.UniqueConstraint(fields=('slo', 'minute'), name='slibucket_one_per_minute'),
        ),
        migrations.AddConstraint(
            model_name='sliday',
            constraint=models.UniqueConstraint(fields=('slo', 'day'), name='sliday_one_per_day'),
        ),
        migrations.RunPython(covering, plain),
    ]
