"""manage.py export_prometheus_rules: recording rules and burn-rate alerts for every SLO whose
SLI comes from Prometheus; alerts carry service, slo and severity labels. An SLO whose rules
would not be valid (one saved before Keel checked queries) is left out and named, so the
file always loads. `--compat sloth` names and labels the rules as Sloth does."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...exports import exported_slos
from ...rule_names import SCHEMES
from ...rules import rules_yaml


class Command(BaseCommand):
    help = "Write Prometheus rules (recording + multi-window burn-rate alerts) for the SLOs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="File to write (default: standard output)")
        parser.add_argument("--service", help="Only this service's SLOs")
        parser.add_argument(
            "--compat",
            choices=sorted(set(SCHEMES) - {"keel"}),
            help="Name and label the rules as this tool does (sloth: Sloth's slo:sli_error:* "
            "series, sloth_* labels and metadata recordings)",
        )

    def handle(
        self,
        *args: Any,
        output: str | None,
        service: str | None,
        compat: str | None,
        **options: Any,
    ) -> None:
        names = SCHEMES[compat or "keel"]
        export = exported_slos(service=service, names=names)
        for reason in export.left_out:
            self.stderr.write(reason)
        text = rules_yaml(export.rule_slos, names)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"wrote rules for {len(export.slos)} SLO(s) to {output}")
        else:
            self.stdout.write(text)
