from django.apps import AppConfig


class SlosConfig(AppConfig):
    name = "slos"
    verbose_name = "Services and SLOs"

    def ready(self) -> None:
        from incidents.signals import incident_changed

        from .receivers import incident_changed as on_incident_changed

        incident_changed.connect(on_incident_changed, dispatch_uid="slos-budget-impact")

        from django.core import checks

        from .checks import report_webhook_allowed

        checks.register(report_webhook_allowed)
