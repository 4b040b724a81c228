"""The shared chart drawing: a line chart's gaps and a burn-down's clamped, shaded period."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from core.charts import Series, TimeSeries, burn_down, line_chart, runs

NS = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_a_gap_splits_a_line_into_runs():
    assert runs([(1, 2), None, None, (3, 4), (5, 6)]) == [["1.0,2.0"], ["3.0,4.0", "5.0,6.0"]]
    assert runs([None]) == []


def test_a_plain_line_chart_reads_its_numbers_on_a_round_axis():
    svg = line_chart(title="Pages", labels=["W1", "W2"], series=[Series("pages", [3, 7])])
    root = ET.fromstring(svg)
    assert root.find(f"{NS}desc").text == "pages: W1 3, W2 7"
    assert ">10<" in svg  # 7 rounds up to an axis of 0 to 10


def test_a_burn_down_stays_between_full_and_empty_and_shades_the_period():
    points = [(T0 + timedelta(hours=h), v) for h, v in enumerate([1.0, 0.5, -0.4])]
    svg = burn_down(
        title="Budget",
        series=[TimeSeries("availability", points)],
        period=(T0 + timedelta(hours=1), None),
        period_label="incident",
    )
    root = ET.fromstring(svg)
    line = root.find(f"{NS}polyline").get("points").split()
    assert [float(p.split(",")[1]) for p in line] == [10.0, 90.0, 170.0]  # 100%, 50%, 0%
    shaded = root.find(f"{NS}rect")
    assert shaded.get("class") == "incident-window" and float(shaded.get("x")) == 340.0


def test_a_burn_down_without_two_known_points_draws_nothing():
    assert burn_down(title="Budget", series=[TimeSeries("a", [(T0, 0.5), (T0, None)])]) == ""
