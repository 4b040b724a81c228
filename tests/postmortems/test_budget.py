"""A postmortem drafted for an incident on a service with an SLO fed by pushed counts: the
budget sentence and the burn-down chart, on the page and in the PDF (pdftotext)."""

import re
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from core.actors import Actor
from postmortems import services as pm
from postmortems.render import render_html
from tests.factories import SLOFactory, push_history, resolved_incident

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# 99.9% over 30 days in one-minute slices allows 43.2 bad minutes. Ten bad minutes two days
# earlier, then 20 bad minutes in the incident: 20 / 43.2 = 46.3%, 13.2 minutes left.
SENTENCE = (
    "consumed 46.3% of the budget of the 30-day window ending 2026-11-20 09:20 UTC "
    "(frozen at resolution); 13.2 min remain"
)


@pytest.fixture
def postmortem(checkout, responder):
    slo = SLOFactory(
        service=checkout,
        name="checkout-availability",
        budgeting_method="timeslices",
        slice_target=Decimal("0.99"),
    )
    start = NOW - timedelta(hours=3)
    end = start + timedelta(minutes=20)
    push_history(
        slo,
        first=NOW - timedelta(days=3),
        start=start,
        minutes=180,
        now=NOW,
        earlier=(NOW - timedelta(days=2), 10, 750),
        during=(20, 900),
    )
    incident = resolved_incident(
        checkout,
        responder,
        start,
        end,
        title="Checkout returns 502s",
        declared_after=timedelta(minutes=2),
    )
    return pm.postmortem_draft(
        incident=incident, actor=Actor.of(responder), at=end + timedelta(minutes=5)
    )


def test_draft_facts_carry_the_sentence_and_the_burn_down(postmortem):
    [impact] = postmortem.facts["budget_impact"]
    assert impact["slo"] == "checkout-availability"
    assert impact["text"] == SENTENCE
    assert impact["remaining_minutes"] == pytest.approx(13.2)
    burn = impact["burn"]
    started = (NOW - timedelta(hours=3)).isoformat()
    ended = (NOW - timedelta(hours=2, minutes=40)).isoformat()
    values = dict((at, value) for at, value in burn)
    assert values[started] == pytest.approx(1 - 10 / 43.2)
    assert values[ended] == pytest.approx(1 - 30 / 43.2)
    # the 46% debit makes the postmortem required, with a P0 action before publication
    assert postmortem.required and postmortem.requires_p0_action


def test_page_shows_the_sentence_and_the_burn_down_chart(postmortem, responder):
    client = Client()
    client.force_login(responder)
    url = reverse("postmortems:document", kwargs={"number": postmortem.incident.number})
    page = client.get(url).content.decode()
    assert SENTENCE in page
    section = page[page.index('id="budget"') :]
    chart = section[section.index('id="budget-burn-down"') :]
    assert chart.index("<svg") < chart.index("</figure>")
    assert "Error budget remaining around the incident" in chart
    assert 'class="incident-window"' in chart
    # one line through the points, falling over the incident
    points = re.search(r'<polyline points="([^"]+)"', chart)
    assert points is not None
    ys = [float(p.split(",")[1]) for p in points.group(1).split()]
    assert ys[-1] > ys[0]  # lower on the page: less budget left


def test_pdf_text_holds_the_sentence_and_the_chart_is_drawn(postmortem, tmp_path):
    from postmortems.render import render_pdf

    html = render_html(pm.postmortem_document(postmortem=postmortem))
    assert 'class="incident-window"' in html
    path = tmp_path / "postmortem.pdf"
    path.write_bytes(render_pdf(html))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    flat = " ".join(text.split())
    # the table cell wraps beside the SLO's name: the sentence reads in two pieces
    head, tail = SENTENCE.split(" ending ")
    assert f"{head} ending" in flat
    assert tail in flat
    # the chart is drawn: its axis labels (an hour either side of 09:00-09:20) are in the PDF
    assert "Nov 20 08:00" in flat
    assert "Nov 20 10:20 UTC" in flat
    assert "Error budget remaining around the incident (shaded)" in flat


def test_burn_down_chart_breaks_at_gaps_shades_the_incident_and_floors_an_overspent_budget():
    from postmortems.charts import burn_down_chart

    t0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    burn = [
        [(t0 + timedelta(minutes=10 * i)).isoformat(), value]
        for i, value in enumerate([0.9, 0.9, None, 0.8, 0.2, -0.5])
    ]
    svg = burn_down_chart(
        [{"slo": "availability", "burn": burn}],
        incident=(t0 + timedelta(minutes=30), t0 + timedelta(minutes=40)),
    )
    lines = re.findall(r'<polyline points="([^"]+)"', svg)
    assert len(lines) == 2  # no line drawn across the minutes without data
    shade = re.search(r'<rect x="([\d.]+)" y="10" width="([\d.]+)"[^>]*incident-window', svg)
    assert shade is not None
    # 30 to 40 minutes of a 50-minute span on a 580-pixel axis starting at 50
    assert float(shade.group(1)) == pytest.approx(50 + 580 * 30 / 50, abs=0.1)
    assert float(shade.group(2)) == pytest.approx(580 * 10 / 50, abs=0.1)
    last_y = float(lines[1].split()[-1].split(",")[1])
    assert last_y == pytest.approx(170.0)  # the 0% line: -50% is drawn at the floor
