"""The one budget window function: what evaluation and an incident's debit each ask of it."""

from datetime import UTC, datetime, timedelta

from slos.choices import WindowKind
from slos.models import SLO
from slos.services.figures import slo_window

STARTED = datetime(2026, 1, 31, 23, 0, tzinfo=UTC)
ENDED = datetime(2026, 2, 1, 2, 0, tzinfo=UTC)


def test_a_rolling_window_ends_at_the_given_instant_whatever_the_month():
    slo = SLO(window_kind=WindowKind.ROLLING, window_days=30, time_zone="UTC")
    assert slo_window(slo, ENDED) == (ENDED - timedelta(days=30), ENDED)
    assert slo_window(slo, ENDED, month_of=STARTED) == (ENDED - timedelta(days=30), ENDED)


def test_an_incident_across_a_month_end_is_debited_to_the_month_it_started_in():
    slo = SLO(window_kind=WindowKind.CALENDAR_MONTH, window_days=30, time_zone="UTC")
    january = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    february = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    assert slo_window(slo, ENDED) == february
    assert slo_window(slo, ENDED, month_of=STARTED) == january
