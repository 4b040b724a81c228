"""The SVG chart module."""

import xml.etree.ElementTree as ET

from incidents.charts import Series, human_duration, line_chart


def test_chart_is_valid_svg_with_a_title_a_line_per_series_and_escaped_names():
    svg = line_chart(
        title="MTTR <weekly>",
        labels=["W1", "W2", "W3"],
        series=[Series("p50", [60, None, 120]), Series("a&b", [30, 40, 50])],
    )
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    title = root.find(f"{ns}title")
    assert title is not None and title.text == "MTTR <weekly>"
    # the gap splits p50 into two segments; a&b is one line
    assert len(root.findall(f"{ns}polyline")) == 3
    assert "a&amp;b" in svg
    desc = root.find(f"{ns}desc")
    assert desc is not None and "p50: W1 1m, W2 —, W3 2m" in (desc.text or "")


def test_chart_without_data_says_so():
    svg = line_chart(title="Empty", labels=["W1"], series=[Series("p50", [None])])
    assert "No data in this period" in svg
    ET.fromstring(svg)


def test_human_duration():
    assert [human_duration(v) for v in (None, 5, 600, 5400, 200000)] == [
        "—",
        "5s",
        "10m",
        "1.5h",
        "2.3d",
    ]


def test_duration_axis_uses_round_steps():
    svg = line_chart(title="MTTR", labels=["W1"], series=[Series("p50", [5.6 * 3600])])
    # 5.6 h fits under four steps of 2 h: the axis reads 0s, 2.0h, 4.0h, 6.0h, 8.0h
    for label in (">2.0h<", ">4.0h<", ">6.0h<", ">8.0h<"):
        assert label in svg
