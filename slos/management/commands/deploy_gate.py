"""manage.py deploy_gate SERVICE: exit 0 to deploy (allow or warn), 1 when the budget blocks,
2 when the gate cannot decide (no data, stale data, Prometheus down, unknown service)."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from catalog.models import Service

from ...api.views import gate_body
from ...services import gate_check

CANNOT_DECIDE = 2


class Command(BaseCommand):
    help = (
        "Ask the deployment gate; exit 0 allow/warn, 1 blocked by the budget, 2 cannot decide "
        "(both non-zero codes block). One line for any CI."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("service", help="Service slug")

    def handle(self, *args: Any, service: str, **options: Any) -> None:
        try:
            found = Service.objects.get(slug=service)
            report = gate_check(service=found)
            body = gate_body(report)
        except Service.DoesNotExist:
            self.stderr.write(f"gate cannot decide: no service {service!r}")
            sys.exit(CANNOT_DECIDE)
        except Exception as error:  # any failure to decide blocks, never a pass
            self.stderr.write(f"gate cannot decide: {error}")
            sys.exit(CANNOT_DECIDE)
        reasons = "; ".join(body["reasons"]) or "all SLOs within budget"
        verdict = body["decision"] if body["decided"] else f"{body['decision']} (cannot decide)"
        self.stdout.write(f"{verdict} {service} (tier {body['tier']}): {reasons}")
        sys.exit(report.decision.exit_code)
