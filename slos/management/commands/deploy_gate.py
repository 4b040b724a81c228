"""manage.py deploy_gate SERVICE: exit 0 to deploy (allow or warn), 1 when the budget blocks,
2 when the gate cannot decide (no data, stale data, Prometheus down, unknown service).

With `--url URL --token TOKEN` it asks that Keel's /api/v1/gate/ over HTTP instead of
reading the database (for a CI runner that has no access to it): same line, same codes,
and no answer, a timeout, a refused token or an unknown service all exit 2."""

import os
import ssl
import sys
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser

from catalog import selectors as catalog_selectors
from catalog.models import Service

from ...api.views import gate_body
from ...gate_answer import CANNOT_DECIDE, GateUnreadable, exit_code, verdict_line
from ...gate_remote import DEFAULT_TIMEOUT_SECONDS, gate_ask
from ...services import gate_check

TOKEN_VARIABLE = "KEEL_API_TOKEN"


class Command(BaseCommand):
    help = (
        "Ask the deployment gate; exit 0 allow/warn, 1 blocked by the budget, 2 cannot decide "
        "(both non-zero codes block). One line for any CI. With --url, ask a Keel over HTTP."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("service", help="Service slug")
        parser.add_argument(
            "--url", help="Ask the Keel at this URL (its root) instead of the database"
        )
        parser.add_argument(
            "--token",
            help=f"API token for --url (default: ${TOKEN_VARIABLE}, which keeps it out of "
            "the process list)",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_TIMEOUT_SECONDS,
            help="Seconds to wait for Keel's whole answer (with --url)",
        )
        parser.add_argument(
            "--cacert", help="PEM file of the CA that signed Keel's certificate (with --url)"
        )

    def _cannot_decide(self, reason: str) -> NoReturn:
        self.stderr.write(f"gate cannot decide: {reason}")
        sys.exit(CANNOT_DECIDE)

    def handle(self, *args: Any, service: str, **options: Any) -> None:
        if options["url"]:
            body = self._remote(service, options)
        else:
            if options["token"]:
                self._cannot_decide("--token is for --url; without --url the database is read")
            try:
                found = catalog_selectors.service_get(user=None, slug=service)
                body = gate_body(gate_check(service=found))
            except Service.DoesNotExist:
                self._cannot_decide(f"no service {service!r}")
            except Exception as error:  # any failure to decide blocks, never a pass
                self._cannot_decide(str(error))
        self.stdout.write(verdict_line(body))
        sys.exit(exit_code(body))

    def _remote(self, service: str, options: dict[str, Any]) -> dict[str, Any]:
        token = options["token"] or os.environ.get(TOKEN_VARIABLE, "")
        if not token.strip():
            self._cannot_decide(f"no API token: pass --token or set ${TOKEN_VARIABLE}")
        if not options["timeout"] > 0:
            self._cannot_decide("--timeout must be a positive number of seconds")
        context = None
        if options["cacert"]:
            try:
                context = ssl.create_default_context(cafile=options["cacert"])
            except (OSError, ssl.SSLError) as error:
                self._cannot_decide(f"cannot read --cacert {options['cacert']}: {error}")
        try:
            return gate_ask(
                url=options["url"],
                token=token.strip(),
                service=service,
                timeout=options["timeout"],
                tls_context=context,
            )
        except GateUnreadable as error:
            self._cannot_decide(error.message)
