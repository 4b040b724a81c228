"""Teams' fallback contacts, and escalation runs that page the fallback."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("oncall", "0007_schedule_bounds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="team",
            name="fallback_contacts",
            field=models.ManyToManyField(
                blank=True,
                help_text="Paged when Keel cannot work out who is on call for the team, or an "
                "incident of its services would page nobody (else Keel's admins are).",
                related_name="fallback_for_teams",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="escalation",
            name="fallback_reason",
            field=models.CharField(
                blank=True,
                help_text="Set on a run without a policy: why the incident would have paged "
                "nobody (the run paged the fallback contacts or Keel's admins instead).",
                max_length=500,
            ),
        ),
    ]
