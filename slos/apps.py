from django.apps import AppConfig


class SlosConfig(AppConfig):
    name = "slos"
    verbose_name = "Services and SLOs"

    def ready(self) -> None:
        from django.core import checks

        from incidents import flows

        from . import receivers
        from .checks import report_webhook_allowed
        from .grouping import BurnAlertGrouping

        flows.listen(receivers.on_incident_changed, dispatch_uid="slos.incident_changed")
        flows.grouping_register(BurnAlertGrouping())
        checks.register(report_webhook_allowed)
