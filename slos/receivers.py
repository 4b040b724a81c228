"""Reactions to incident changes: keep each incident's budget impact current, and link
incidents opened by Keel's own burn-rate alerts (labels `service` and `slo`) to their SLO."""

from typing import Any

from django.db.models import Exists, OuterRef


def link_alerted_slos(incident_id: int) -> int:
    """An incident opened from a `KeelErrorBudgetBurn` alert becomes the SLO's burn incident,
    so the per-minute evaluation joins it instead of opening a second one."""
    from incidents.models import Alert

    from .models import SLO, SloStatus

    linked = 0
    for labels in Alert.objects.filter(incident_id=incident_id).values_list("labels", flat=True):
        service, name = labels.get("service"), labels.get("slo")
        if not service or not name:
            continue
        slo = SLO.objects.filter(service__slug=service, name=name).first()
        if slo is None:
            continue
        status = SloStatus.objects.filter(slo=slo).select_related("burn_incident").first()
        if status is None:
            continue
        if status.burn_incident is None or not status.burn_incident.is_open:
            status.burn_incident_id = incident_id
            status.save(update_fields=["burn_incident"])
            linked += 1
    return linked


def incident_changed(sender: Any, incident_id: int, change: str, **kwargs: Any) -> None:
    from incidents.models import Incident

    from .models import SLO
    from .tasks import incident_impacts_update

    if change == "opened":
        link_alerted_slos(incident_id)
    has_slos = Incident.objects.filter(
        pk=incident_id,
    ).filter(Exists(SLO.objects.filter(service__incidents=OuterRef("pk"))))
    if has_slos.exists():
        incident_impacts_update.delay(incident_id, change)
