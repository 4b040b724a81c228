"""What Keel's own error-budget burn alerts mean, whichever path reports them (pure).

Keel evaluates burn rates itself and also exports them as Prometheus rules whose
`KeelErrorBudgetBurn` alerts come back through Alertmanager. Both paths describe the same
burn, so both give it the same severity, and a ticket-level burn is never paged.
"""

from collections.abc import Iterable, Mapping

BURN_ALERT_NAME = "KeelErrorBudgetBurn"
# Every burn alert Keel exports carries this label, whatever its alert name (an SLO file's
# `alerting.name` renames the alert; the label is Keel's and a file cannot set it).
BURN_WINDOW_LABEL = "burn_window"
PAGE = "page"
TICKET = "ticket"
# The severity of the incident a page-level burn opens, from either path.
BURN_SEVERITY = "SEV2"


def burn_alert_slo(labels: Mapping[str, str]) -> tuple[str, str] | None:
    """(service slug, SLO name) of a Keel burn alert; None for any other alert."""
    if labels.get("alertname") != BURN_ALERT_NAME and BURN_WINDOW_LABEL not in labels:
        return None
    service, slo = labels.get("service", "").strip(), labels.get("slo", "").strip()
    return (service, slo) if service and slo else None


def burn_alert_level(labels: Mapping[str, str]) -> str:
    """ "page" or "ticket" for a Keel burn alert (an unknown level counts as a page, so
    that nothing is silently dropped); "" for any other alert."""
    if burn_alert_slo(labels) is None:
        return ""
    return TICKET if labels.get("severity", "").strip().lower() == TICKET else PAGE


def burn_alert_severity(labels: Mapping[str, str]) -> str | None:
    """The incident severity of a page-level Keel burn alert; None for any other alert
    (whose severity the integration's mapping decides)."""
    return BURN_SEVERITY if burn_alert_level(labels) == PAGE else None


def is_ticket_burn_alert(labels: Mapping[str, str]) -> bool:
    """A ticket-level Keel burn alert: recorded, never an incident of its own (not paged)."""
    return burn_alert_level(labels) == TICKET


def burn_alert_slos(labels: Iterable[Mapping[str, str]]) -> list[tuple[str, str]]:
    """The SLOs named by the page-level Keel burn alerts among `labels`, sorted."""
    found = {
        pair
        for one in labels
        if burn_alert_level(one) == PAGE and (pair := burn_alert_slo(one)) is not None
    }
    return sorted(found)
