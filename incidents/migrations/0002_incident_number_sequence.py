from django.db import migrations


def create_sequence(apps, schema_editor):
    apps.get_model("incidents", "NumberSequence").objects.get_or_create(
        name="incident", defaults={"value": 0}
    )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(create_sequence, migrations.RunPython.noop)]
