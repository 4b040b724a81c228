from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "oncall"
    verbose_name = "On-call"

    def ready(self) -> None:
        from incidents.signals import incident_changed

        from .receivers import on_incident_changed

        incident_changed.connect(on_incident_changed, dispatch_uid="oncall.paging")
