"""Reactions to incident changes: keep each incident's budget impact current, and link
incidents opened by Keel's own burn-rate alerts (labels `service` and `slo`) to their SLO."""

from typing import Any

from django.db.models import Exists, OuterRef


def incident_changed(sender: Any, incident_id: int, change: str, **kwargs: Any) -> None:
    from incidents.models import Incident

    from .models import SLO
    from .services import slo_burn_incident_link
    from .tasks import incident_impacts_update

    if change == "opened":
        slo_burn_incident_link(incident_id=incident_id)
    has_slos = Incident.objects.filter(
        pk=incident_id,
    ).filter(Exists(SLO.objects.filter(service__incidents=OuterRef("pk"))))
    if has_slos.exists():
        incident_impacts_update.delay(incident_id, change)
