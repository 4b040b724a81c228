"""How Keel's own error-budget burn alerts group, registered into ingestion's grouping hook
(incidents/flows.py) by the slos app: a ticket-level burn is recorded, never an incident; a
page-level burn has Keel's burn severity and joins its SLO's open burn incident, and the
incident it opens becomes that SLO's burn incident."""

from collections.abc import Mapping, Sequence

from incidents.models import Incident

from . import burns
from .services.burns import burn_incident_previous, burn_incident_to_join, slo_burn_incident_link


class BurnAlertGrouping:
    """The AlertGrouping of incidents/flows.py for `KeelErrorBudgetBurn` alerts."""

    def recorded_only(self, labels: Mapping[str, str]) -> bool:
        return burns.is_ticket_burn_alert(labels)

    def severity(self, labels: Mapping[str, str]) -> str | None:
        return burns.burn_alert_severity(labels)

    def incident_to_join(self, *, labels: Sequence[Mapping[str, str]]) -> Incident | None:
        return burn_incident_to_join(labels=list(labels))

    def previous(
        self, *, labels: Sequence[Mapping[str, str]], group_previous: Incident | None
    ) -> Incident | None:
        return burn_incident_previous(labels=list(labels), group_previous=group_previous)

    def grouped(self, *, incident_id: int, labels: Sequence[Mapping[str, str]]) -> None:
        # Linked before the transaction ends, so that no evaluation opens a second incident.
        if burns.burn_alert_slos(labels):
            slo_burn_incident_link(incident_id=incident_id)
