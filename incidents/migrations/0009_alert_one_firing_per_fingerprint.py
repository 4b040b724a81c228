"""An alert is its fingerprint while it fires: at most one firing instance per
(integration, fingerprint). Existing duplicates (the same alert reported with another
startsAt) are merged into the earliest, which keeps their starts, sightings and incident;
an incident that loses its copy gets a timeline note saying where the alert went."""

import hashlib
import json

from django.db import migrations, models
from django.db.models import Count
from django.utils import timezone

OTHER_STARTS_KEPT = 20


def merge_firing_duplicates(apps, schema_editor):
    Alert = apps.get_model("incidents", "Alert")
    Incident = apps.get_model("incidents", "Incident")
    TimelineEntry = apps.get_model("incidents", "TimelineEntry")
    now = timezone.now()
    groups = (
        Alert.objects.filter(status="firing")
        .values("integration_id", "fingerprint")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by()
    )
    for group in list(groups):
        rows = list(
            Alert.objects.filter(
                status="firing",
                integration_id=group["integration_id"],
                fingerprint=group["fingerprint"],
            ).order_by("starts_at", "id")
        )
        keep, others = rows[0], rows[1:]
        newest = max(rows, key=lambda r: (r.last_seen_at, r.id))
        keep.labels = newest.labels
        keep.annotations = newest.annotations
        keep.generator_url = newest.generator_url
        keep.first_seen_at = min(r.first_seen_at for r in rows)
        keep.last_seen_at = max(r.last_seen_at for r in rows)
        keep.times_seen = sum(r.times_seen for r in rows)
        starts = set(keep.other_starts or [])
        for other in others:
            starts.add(other.starts_at.isoformat())
            starts.update(other.other_starts or [])
        starts.discard(keep.starts_at.isoformat())
        keep.other_starts = sorted(starts)[:OTHER_STARTS_KEPT]
        if keep.incident_id is None:
            keep.incident_id = next((o.incident_id for o in others if o.incident_id), None)
        target = Incident.objects.filter(pk=keep.incident_id).first()
        name = str((keep.labels or {}).get("alertname", "alert"))
        for other in others:
            if other.incident_id is None or other.incident_id == keep.incident_id:
                continue
            where = f"INC-{target.number}" if target is not None else "its first instance"
            TimelineEntry.objects.create(
                incident_id=other.incident_id,
                at=now,
                kind="note",
                actor_name="keel",
                text=(
                    f"{name} (fingerprint {other.fingerprint}, started "
                    f"{other.starts_at:%Y-%m-%d %H:%M:%S.%f} UTC) was a second firing copy of "
                    f"the alert that started {keep.starts_at:%Y-%m-%d %H:%M:%S.%f} UTC; it was "
                    f"merged into that one, in {where}: an alert is its fingerprint while it "
                    "fires."
                ),
                data={
                    "merged_into": keep.pk,
                    "fingerprint": other.fingerprint,
                    "starts_at": other.starts_at.isoformat(),
                    "incident": target.number if target is not None else None,
                },
            )
        Alert.objects.filter(pk__in=[o.pk for o in others]).delete()
        keep.save()


def backfill_delivery_groups(apps, schema_editor):
    """Deliveries still waiting get their group, so they are processed in arrival order."""
    Delivery = apps.get_model("incidents", "Delivery")
    for delivery in Delivery.objects.exclude(state="processed").only("id", "body").iterator():
        try:
            key = json.loads(delivery.body).get("groupKey")
        except (ValueError, AttributeError):
            continue
        if isinstance(key, str):
            Delivery.objects.filter(pk=delivery.pk).update(
                group_hash=hashlib.sha256(key.encode()).hexdigest()
            )


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0008_incident_last_acknowledged'),
    ]

    operations = [
        migrations.AddField(
            model_name='alert',
            name='other_starts',
            field=models.JSONField(blank=True, default=list, help_text='Other startsAt values reported for this instance (ISO 8601), oldest first.'),
        ),
        migrations.AddField(
            model_name='delivery',
            name='group_hash',
            field=models.CharField(blank=True, help_text="The alert group's hash, so a group's deliveries are processed in the order they arrived.", max_length=64),
        ),
        migrations.AddIndex(
            model_name='delivery',
            index=models.Index(condition=models.Q(('state', 'processed'), _negated=True), fields=['integration', 'group_hash', 'received_at'], name='delivery_group_pending_idx'),
        ),
        migrations.AddIndex(
            model_name='delivery',
            index=models.Index(condition=models.Q(('state', 'failed')), fields=['integration'], name='delivery_failed_idx'),
        ),
        migrations.RunPython(merge_firing_duplicates, migrations.RunPython.noop),
        migrations.RunPython(backfill_delivery_groups, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='alert',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'firing')), fields=('integration', 'fingerprint'), name='alert_one_firing_per_fingerprint'),
        ),
    ]
