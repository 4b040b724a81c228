"""`manage.py create_integration NAME [--service SLUG]` prints the new token as its last line."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from catalog import selectors as catalog_selectors
from core.actors import Actor
from core.errors import KeelError
from incidents.choices import ResolvePolicy
from incidents.services import integration_create


class Command(BaseCommand):
    help = "Create an Alertmanager integration and print its token (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--service", help="slug of the default service")
        parser.add_argument(
            "--resolve-policy", choices=ResolvePolicy.values, default=ResolvePolicy.MONITORING
        )
        parser.add_argument(
            "--quiet-minutes", type=int, help="resolve firing alerts silent for this long"
        )

    def handle(self, *args, name, service, resolve_policy, quiet_minutes, **options):
        default_service = None
        if service:
            default_service = catalog_selectors.service_by_slug(user=None, slug=service)
            if default_service is None:
                raise CommandError(f"No service with slug {service!r}.")
        try:
            integration, token = integration_create(
                actor=Actor.system(),
                name=name,
                default_service=default_service,
                resolve_policy=resolve_policy,
                quiet_period=timedelta(minutes=quiet_minutes) if quiet_minutes else None,
            )
        except KeelError as exc:
            raise CommandError(exc.message) from exc
        url = settings.KEEL_BASE_URL.rstrip("/") + reverse("alertmanager-webhook")
        self.stderr.write(f"Integration {integration.name!r} ({integration.token_prefix}…) → {url}")
        self.stderr.write("Token (shown once):")
        self.stdout.write(token)
