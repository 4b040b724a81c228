"""manage.py export_prometheus_rules: recording rules and burn-rate alerts for every SLO whose
SLI comes from Prometheus; alerts carry service, slo and severity labels. An SLO whose rules
would not be valid (one saved before Keel checked queries) is left out and named, so the
file always loads."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...choices import SliSource
from ...models import SLO
from ...promql import QueryError
from ...rules import RuleSlo, check_rules, rules_yaml


class Command(BaseCommand):
    help = "Write Prometheus rules (recording + multi-window burn-rate alerts) for the SLOs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="File to write (default: standard output)")
        parser.add_argument("--service", help="Only this service's SLOs")

    def handle(self, *args: Any, output: str | None, service: str | None, **options: Any) -> None:
        slos = SLO.objects.filter(source=SliSource.PROMETHEUS).select_related("service")
        if service:
            slos = slos.filter(service__slug=service)
        exported = []
        for slo in slos:
            rule_slo = RuleSlo(
                service=slo.service.slug,
                name=slo.name,
                objective=slo.objective,
                window_days=slo.window_days,
                bad_query=slo.bad_query,
                good_query=slo.good_query,
                total_query=slo.total_query,
                windows=slo.windows(),
                alerting=slo.alerting if isinstance(slo.alerting, dict) else {},
            )
            try:
                check_rules(rule_slo)
            except QueryError as error:
                self.stderr.write(f"left out {slo}: {error}; fix it on /slos/{slo.pk}/edit/")
                continue
            exported.append(rule_slo)
        text = rules_yaml(exported)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"wrote rules for {len(exported)} SLO(s) to {output}")
        else:
            self.stdout.write(text)
