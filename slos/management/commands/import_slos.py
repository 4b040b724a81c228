"""manage.py import_slos FILE...: SLOs as code (Sloth, OpenSLO v1/v1alpha, plain list),
upserted; says what it rewrote, read in another spelling or left out."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from catalog import selectors as catalog_selectors
from catalog.services import service_create, service_set_owner
from core.actors import Actor
from core.errors import KeelError

from ...services import slo_upsert
from ...slo_files import SloFileError, SloSpec, read


class DryRun(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Create or update SLOs from Sloth, OpenSLO (v1, v1alpha) or plain YAML files, by "
        "(service, name). Every query is checked; a file with an SLO Keel cannot evaluate "
        "is refused whole."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="YAML files")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report, change nothing."
        )

    def handle(self, *args: Any, files: list[str], dry_run: bool, **options: Any) -> None:
        self._told: set[int] = set()
        specs: list[SloSpec] = []
        notes: list[str] = []
        errors: list[str] = []
        for name in files:
            path = Path(name)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as error:
                errors.append(f"{name}: {error.strerror}")
                continue
            try:
                reading = read(name, text)
            except SloFileError as error:
                errors += error.lines
                continue
            specs += reading.specs
            notes += reading.notes
        if errors:
            raise CommandError("\n".join(errors))
        for note in notes:
            self.stdout.write(f"note: {note}")
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
        service = catalog_selectors.service_by_slug(user=None, slug=spec.service)
        if service is None:
            service = service_create(slug=spec.service, name=spec.service)
            self.stdout.write(f"created service {service.slug}")
        if spec.service_owner:
            team = catalog_selectors.team_by_slug(user=None, slug=spec.service_owner)
            if team is None and spec.owner_required:
                raise CommandError(
                    f"{spec.owner_location}: no team {spec.service_owner!r} in Keel; create "
                    "it first (the owner is the team paged for the service)"
                )
            if team is None:
                if service.pk not in self._told:
                    self._told.add(service.pk)
                    self.stdout.write(
                        f"note: {spec.owner_location}: no team {spec.service_owner!r} in Keel, "
                        f"so {service.slug} gets no owner; create the team and import again"
                    )
            elif service.owner_id is None:
                service = service_set_owner(service=service, team=team)
                self.stdout.write(f"{service.slug} is now owned by {team.slug}")
            elif service.owner_id != team.pk and service.pk not in self._told:
                self._told.add(service.pk)
                self.stdout.write(
                    f"note: {spec.owner_location}: {service.slug} stays owned by "
                    f"{service.owner.slug if service.owner else '?'}; "
                    f"change the owner on the service page to give it to {team.slug}"
                )
        try:
            slo, created = slo_upsert(actor=actor, service=service, name=spec.name, **spec.fields())
        except KeelError as error:
            raise CommandError(f"{spec.where(error.field)}: {error.message}") from error
        self.stdout.write(f"{'created' if created else 'updated'} {slo}")
