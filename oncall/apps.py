from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .bounds import SETTING_BOUNDS, settings_problems


def check_settings() -> None:
    """Refuse to start with an on-call setting out of bounds (a reminder lead time of
    99999999999 minutes would stop every handoff), naming the setting."""
    problems = settings_problems({name: getattr(settings, name, None) for name in SETTING_BOUNDS})
    if problems:
        raise ImproperlyConfigured(" ".join(problems))


class OncallConfig(AppConfig):
    name = "oncall"
    verbose_name = "On-call"

    def ready(self) -> None:
        check_settings()

        from incidents import flows

        from . import receivers

        flows.listen(receivers.on_incident_changed, dispatch_uid="oncall.incident_changed")
