"""manage.py deploy_gate SERVICE: exit 0 to deploy (allow or warn), 1 when blocked, 2 on error."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...api.views import gate_body
from ...models import Service
from ...services import gate_check


class Command(BaseCommand):
    help = "Ask the deployment gate; exit 0 allow/warn, 1 block, 2 error. One line for any CI."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("service", help="Service slug")

    def handle(self, *args: Any, service: str, **options: Any) -> None:
        try:
            found = Service.objects.get(slug=service)
            body = gate_body(gate_check(service=found))
        except Service.DoesNotExist:
            self.stderr.write(f"gate error: no service {service!r}")
            sys.exit(2)
        except Exception as error:  # any failure to decide is an error, never a pass
            self.stderr.write(f"gate error: {error}")
            sys.exit(2)
        reasons = "; ".join(body["reasons"]) or "all SLOs within budget"
        self.stdout.write(f"{body['decision']} {service} (tier {body['tier']}): {reasons}")
        sys.exit(1 if body["decision"] == "block" else 0)
