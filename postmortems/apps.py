from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "postmortems"
    verbose_name = "Postmortems"

    def ready(self) -> None:
        from incidents import flows

        from . import receivers

        flows.listen(receivers.on_incident_changed, dispatch_uid="postmortems.incident_changed")
