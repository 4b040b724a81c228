"""manage.py export_prometheus_rules: recording rules and burn-rate alerts for every SLO whose
SLI comes from Prometheus; alerts carry service, slo and severity labels."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...choices import SliSource
from ...models import SLO
from ...rules import RuleSlo, rules_yaml


class Command(BaseCommand):
    help = "Write Prometheus rules (recording + multi-window burn-rate alerts) for the SLOs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="File to write (default: standard output)")
        parser.add_argument("--service", help="Only this service's SLOs")

    def handle(self, *args: Any, output: str | None, service: str | None, **options: Any) -> None:
        slos = SLO.objects.filter(source=SliSource.PROMETHEUS).select_related("service")
        if service:
            slos = slos.filter(service__slug=service)
        text = rules_yaml(
            [
                RuleSlo(
                    service=slo.service.slug,
                    name=slo.name,
                    objective=slo.objective,
                    window_days=slo.window_days,
                    bad_query=slo.bad_query,
                    good_query=slo.good_query,
                    total_query=slo.total_query,
                    windows=slo.windows(),
                )
                for slo in slos
            ]
        )
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"wrote rules for {len(slos)} SLO(s) to {output}")
        else:
            self.stdout.write(text)
