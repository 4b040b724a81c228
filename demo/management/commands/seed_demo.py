"""`manage.py seed_demo`: demo services, users, an integration, incidents in every state,
an on-call team with a rotation and an escalation policy, and SLOs with a week of data.

Safe to run again: existing demo data is kept, and the demo integration's token is
rotated so that a working token can be printed.
"""

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke
from catalog.models import Service, Team
from catalog.services import team_create
from core.actors import Actor
from incidents import services as incident_services
from incidents.choices import Kind, Severity
from incidents.models import Incident, Integration
from oncall.services.escalation import StepSpec, TargetSpec, policy_create
from oncall.services.schedules import layer_create, schedule_create
from slos.demo import demo_sli_push, demo_slo
from slos.services import slos_evaluate_all

SERVICES = [
    ("checkout", "Checkout", "Cart, payment and order placement."),
    ("search", "Search", "Product search and suggestions."),
    ("auth", "Auth", "Sign-in, sessions and tokens."),
]
USERS = [("admin", "admin"), ("alice", "responder"), ("bob", "responder"), ("viewer", "viewer")]
DEMO_PASSWORD = "keel-demo"


class Command(BaseCommand):
    help = "Load demo data and print the login, an integration token and a curl to try."

    @transaction.atomic
    def handle(self, *args, **options):
        for slug, name, description in SERVICES:
            Service.objects.get_or_create(
                slug=slug, defaults={"name": name, "description": description}
            )
        users = {}
        User = get_user_model()
        for username, role in USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.is_staff = user.is_superuser = role == "admin"
                user.save()
                user.groups.add(Group.objects.get(name=role))
            users[username] = user
        system = Actor.system()
        integration = Integration.objects.filter(name="alertmanager-demo").first()
        if integration is None:
            integration, token = incident_services.integration_create(
                actor=system,
                name="alertmanager-demo",
                default_service=Service.objects.get(slug="checkout"),
            )
        else:
            integration, token = incident_services.integration_rotate_token(
                integration=integration, actor=system
            )
        if not Team.objects.filter(slug="sre").exists():
            self._oncall(users)
        self._slos(users)
        if not Incident.objects.exists():
            self._incidents(users)
        slos_evaluate_all()
        api_token = ApiToken.objects.filter(user=users["admin"], name="demo").first()
        if api_token is not None:
            api_token_revoke(token=api_token)
            api_token.delete()
        _, api_plaintext = api_token_create(user=users["admin"], name="demo")
        self._print(token, api_plaintext)

    def _oncall(self, users):
        """Team SRE owns every demo service; alice and bob swap weekly on Mondays 09:00
        Berlin time; the on-call is paged first, the whole team if nobody acknowledges
        within 10 minutes."""
        admin = users["admin"]
        team = team_create(
            user=admin,
            name="SRE",
            slug="sre",
            time_zone="Europe/Berlin",
            members=[users["alice"], users["bob"]],
        )
        Service.objects.filter(slug__in=[s for s, _, _ in SERVICES]).update(owner=team)
        schedule = schedule_create(user=admin, team=team, name="Primary")
        now = timezone.now().astimezone(ZoneInfo("Europe/Berlin"))
        monday = (now - timedelta(days=now.weekday())).replace(
            hour=9, minute=0, second=0, microsecond=0
        )
        layer_create(
            user=admin,
            schedule=schedule,
            name="Weekly",
            participants=[users["alice"], users["bob"]],
            shift_length=1,
            shift_unit="weeks",
            handoff_at=monday - timedelta(weeks=2),
        )
        policy_create(
            user=admin,
            team=team,
            name="Default",
            steps=[
                StepSpec(10, [TargetSpec(kind="schedule", schedule=schedule)]),
                StepSpec(15, [TargetSpec(kind="team", team=team)]),
            ],
        )

    def _slos(self, users):
        """Checkout availability, whatever other SLOs exist, with its pushed per-minute
        counts up to now: 1,000 requests a minute, 0.05% errors, and 5% errors during the
        payment-provider incident (on the first run). Beat keeps the counts flowing."""
        slo = demo_slo(actor=Actor.of(users["admin"]))
        now = timezone.now().replace(second=0, microsecond=0)
        outage = None
        if not slo.buckets.exists():
            outage = (now - timedelta(days=6, hours=2), now - timedelta(days=6, hours=1))
        demo_sli_push(at=now, outage=outage)

    def _incidents(self, users):
        now = timezone.now()
        alice, bob = Actor.of(users["alice"]), Actor.of(users["bob"])
        checkout, search, auth = (Service.objects.get(slug=s) for s, _, _ in SERVICES)

        old = incident_services.incident_declare(
            actor=alice,
            title="Payment provider timeouts",
            severity=Severity.SEV2,
            summary="Card payments failed for a share of customers.",
            services=[checkout],
            started_at=now - timedelta(days=6, hours=2),
            at=now - timedelta(days=6, hours=1, minutes=52),
        )
        incident_services.incident_acknowledge(
            incident=old, actor=alice, at=now - timedelta(days=6, hours=1, minutes=50)
        )
        incident_services.incident_set_status(
            incident=old,
            status="identified",
            actor=alice,
            at=now - timedelta(days=6, hours=1, minutes=30),
        )
        incident_services.incident_resolve(
            incident=old,
            actor=alice,
            note="Failover to the secondary provider.",
            at=now - timedelta(days=6, hours=1),
        )
        incident_services.incident_close(incident=old, actor=alice, at=now - timedelta(days=5))

        slow = incident_services.incident_declare(
            actor=bob,
            title="Search latency above 2 s",
            severity=Severity.SEV3,
            services=[search],
            started_at=now - timedelta(days=2, minutes=40),
            at=now - timedelta(days=2, minutes=30),
        )
        incident_services.incident_acknowledge(
            incident=slow, actor=bob, at=now - timedelta(days=2, minutes=25)
        )
        incident_services.incident_add_note(
            incident=slow,
            actor=bob,
            text="Index rebuild running; p99 recovering.",
            at=now - timedelta(days=2, minutes=10),
        )
        incident_services.incident_resolve(
            incident=slow, actor=bob, at=now - timedelta(days=1, hours=23)
        )

        watch = incident_services.incident_declare(
            actor=alice,
            title="Elevated sign-in errors",
            severity=Severity.SEV2,
            services=[auth],
            started_at=now - timedelta(hours=3),
            at=now - timedelta(hours=2, minutes=50),
        )
        incident_services.incident_acknowledge(
            incident=watch, actor=alice, at=now - timedelta(hours=2, minutes=45)
        )
        incident_services.incident_add_responder(incident=watch, user=users["bob"], actor=alice)
        incident_services.incident_set_status(
            incident=watch,
            status="monitoring",
            actor=alice,
            note="Rolled back release 2026.11.3.",
            at=now - timedelta(hours=1),
        )

        incident_services.incident_declare(
            actor=alice,
            title="Game day: checkout database failover",
            severity=Severity.SEV4,
            services=[checkout],
            kind=Kind.DRILL,
            at=now - timedelta(minutes=20),
        )

    def _print(self, token: str, api_token: str) -> None:
        base = settings.KEEL_BASE_URL.rstrip("/")
        url = base + reverse("alertmanager-webhook")
        now = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        payload = {
            "receiver": "keel",
            "status": "firing",
            "version": "4",
            "groupKey": '{}:{alertname="HighErrorRate", service="checkout"}',
            "groupLabels": {"alertname": "HighErrorRate", "service": "checkout"},
            "commonLabels": {
                "alertname": "HighErrorRate",
                "service": "checkout",
                "severity": "critical",
            },
            "commonAnnotations": {"summary": "5xx rate above threshold"},
            "externalURL": "http://alertmanager:9093",
            "truncatedAlerts": 0,
            "alerts": [
                {
                    "status": "firing",
                    "labels": {
                        "alertname": "HighErrorRate",
                        "service": "checkout",
                        "severity": "critical",
                    },
                    "annotations": {
                        "summary": "5xx rate above threshold",
                        "runbook_url": "https://runbooks.example/checkout-5xx",
                    },
                    "startsAt": now,
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "",
                    "fingerprint": "7d2d332feada5c59",
                }
            ],
        }
        self.stdout.write(f"""
Keel demo data is loaded.

  Sign in:      {base}/login/   as admin / {DEMO_PASSWORD}
  Users:        alice and bob (responders), viewer (read-only); password {DEMO_PASSWORD}
  API docs:     {base}/api/docs/
  Integration:  alertmanager-demo
  Token:        {token}

Send a test alert:

  curl -sS -X POST {url} \\
    -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\
    -d '{json.dumps(payload)}'

Then see it through the API (admin's API token: {api_token}):

  curl -sS -H 'Authorization: Bearer {api_token}' '{base}/api/v1/incidents/?open=true'

  or sign in at {base}/admin/ and open {base}/api/v1/incidents/ in the browser.

Alertmanager receiver (alertmanager.yml):

  receivers:
    - name: keel
      webhook_configs:
        - url: {url}
          send_resolved: true
          max_alerts: 0
          http_config:
            authorization: {{type: Bearer, credentials: {token}}}
""")
