"""manage.py import_slos FILE...: SLOs as code (Sloth, OpenSLO v1, plain list), upserted."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from incidents.actors import Actor
from incidents.errors import IncidentError
from oncall.models import Team

from ...models import Service
from ...services import service_create, service_set_owner, slo_upsert
from ...slo_files import SloFileError, SloSpec, parse


class DryRun(Exception):
    pass


class Command(BaseCommand):
    help = "Create or update SLOs from Sloth, OpenSLO v1 or plain YAML files, by (service, name)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="YAML files")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report, change nothing."
        )

    def handle(self, *args: Any, files: list[str], dry_run: bool, **options: Any) -> None:
        specs: list[SloSpec] = []
        for name in files:
            path = Path(name)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as error:
                raise CommandError(f"{name}: {error.strerror}") from error
            try:
                specs += parse(name, text)
            except SloFileError as error:
                raise CommandError(str(error)) from error
        try:
            with transaction.atomic():
                for spec in specs:
                    self._apply(spec)
                if dry_run:
                    raise DryRun
        except DryRun:
            self.stdout.write(f"dry run: {len(specs)} SLO(s) checked; nothing changed.")
            return
        self.stdout.write(self.style.SUCCESS(f"{len(specs)} SLO(s) imported."))

    def _apply(self, spec: SloSpec) -> None:
        actor = Actor.system()
        service = Service.objects.filter(slug=spec.service).first()
        if service is None:
            service = service_create(slug=spec.service, name=spec.service)
            self.stdout.write(f"created service {service.slug}")
        if spec.service_owner and service.owner_id is None:
            team = Team.objects.filter(slug=spec.service_owner).first()
            if team is None:
                raise CommandError(f"{spec.location}: owner: no team {spec.service_owner!r}")
            service = service_set_owner(service=service, team=team)
        try:
            slo, created = slo_upsert(actor=actor, service=service, name=spec.name, **spec.fields())
        except IncidentError as error:
            raise CommandError(
                f"{spec.location}: {error.field or 'slo'}: {error.message}"
            ) from error
        self.stdout.write(f"{'created' if created else 'updated'} {slo}")
