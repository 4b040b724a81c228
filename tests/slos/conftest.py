"""SLO test fixtures."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import api_token_create
from slos.services import slo_evaluate
from tests.factories import SLOFactory, push_minutes


@pytest.fixture
def evaluated(checkout):
    """checkout's availability SLO: three hours of pushed minutes, ten of them at 99.5%,
    evaluated now."""
    now = timezone.now().replace(second=0, microsecond=0)
    slo = SLOFactory(service=checkout, name="availability")
    push_minutes(
        slo,
        now - timedelta(hours=3),
        181,
        good=1000,
        total=1000,
        now=now,
        worse=(now - timedelta(hours=3), 10, 995),
    )
    slo_evaluate(slo=slo, at=now)
    return slo


@pytest.fixture
def viewer_token(viewer) -> str:
    """A viewer's API token, as a pipeline holds it: reading the gate needs no more."""
    return api_token_create(user=viewer, name="pipeline")[1]
