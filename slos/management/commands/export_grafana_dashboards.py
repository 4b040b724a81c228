"""manage.py export_grafana_dashboards: one importable Grafana dashboard per service, for
the SLOs export_prometheus_rules exports, built on the series those rules record (with
`--compat sloth`, on the rules `export_prometheus_rules --compat sloth` writes)."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...exports import exported_slos
from ...grafana import DashboardSlo, dashboard
from ...rule_names import SCHEMES


class Command(BaseCommand):
    help = "Write a Grafana dashboard (JSON) per service for the SLOs whose SLI is Prometheus."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service", help="Only this service (its slug)")
        parser.add_argument(
            "--out", default=".", help="Directory to write <service>.json files in (default: .)"
        )
        parser.add_argument(
            "--compat",
            choices=sorted(set(SCHEMES) - {"keel"}),
            help="Query the series of `export_prometheus_rules --compat` with the same value",
        )

    def handle(
        self, *args: Any, service: str | None, out: str, compat: str | None, **options: Any
    ) -> None:
        names = SCHEMES[compat or "keel"]
        export = exported_slos(service=service, names=names)
        for reason in export.left_out:
            self.stderr.write(reason)
        by_service: dict[str, list[Any]] = {}
        for slo, rule_slo in export.slos:
            by_service.setdefault(slo.service.slug, []).append((slo, rule_slo))
        if not by_service:
            raise CommandError(
                f"no SLO of {service or 'any service'} reads its SLI from Prometheus: "
                "there is nothing to draw"
            )
        directory = Path(out)
        directory.mkdir(parents=True, exist_ok=True)
        for slug, slos in by_service.items():
            board = dashboard(
                service=slug,
                title=slos[0][0].service.name or slug,
                slos=[
                    DashboardSlo(
                        slo=rule_slo, policy=slo.budget_policy(), description=slo.description
                    )
                    for slo, rule_slo in slos
                ],
                names=names,
            )
            path = directory / f"{slug}.json"
            path.write_text(json.dumps(board, indent=2) + "\n", encoding="utf-8")
            self.stdout.write(f"wrote {path} ({len(slos)} SLO(s))")
