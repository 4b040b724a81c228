"""Pure postmortem modules: Markdown sanitizing, blameless language, drafts, policy, charts."""

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postmortems import blameless, charts, draft, export, markdown, policy
from postmortems.sections import SECTION_KEYS, default_template

T0 = datetime(2026, 11, 21, 16, 0, tzinfo=UTC)


# --- Markdown ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="#" onclick="steal()">x</a>',
        "<iframe src=https://evil.example></iframe>",
        '<p style="background:url(https://evil.example/x)">x</p>',
    ],
)
def test_markdown_never_lets_scripts_or_handlers_through(source):
    tags = _elements(markdown.render(source))
    assert not [t for t, _ in tags if t in ("script", "iframe")]
    attributes = [(name, value or "") for _, attrs in tags for name, value in attrs]
    assert not [n for n, _ in attributes if n.startswith("on")]
    assert not [v for _, v in attributes if v.lower().startswith("javascript:")]
    assert not [v for n, v in attributes if n == "style" and "url(" in v]


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(html)
    return found


def test_sanitize_strips_script_and_event_attributes_from_html():
    html = markdown.sanitize('<p onclick="x()">ok</p><script>bad()</script><img src=a onload=b()>')
    assert html == '<p>ok</p><img src="a">'


def test_markdown_keeps_the_formatting_people_write():
    html = markdown.render(
        "## Trigger\n\n- **bold** and `code`\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n"
        "[runbook](https://runbooks.example/x)"
    )
    assert "<h2>Trigger</h2>" in html
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    # Alignment is a class (static/keel/postmortem.css): the CSP refuses style attributes.
    assert '<td class="pm-align-right">2</td>' in html
    assert "style=" not in html
    assert 'href="https://runbooks.example/x"' in html and "noopener" in html


def test_raw_html_in_markdown_keeps_harmless_tags_only():
    html = markdown.render('Before <img src="/static/a.png" onerror="x()"> after')
    assert _elements(html) == [("p", []), ("img", [("src", "/static/a.png")])]


@pytest.mark.parametrize(
    "source",
    [
        "![pixel](https://tracker.example/p.gif?u=1)",
        '<img src="https://tracker.example/p.gif" alt="pixel">',
        '<img src="//tracker.example/p.gif" alt="pixel">',
        '<img src="/\\tracker.example/p.gif" alt="pixel">',
        '<img src="HTTP://TRACKER.example/p.gif" alt="pixel">',
        '<img src=" https://tracker.example/p.gif" alt="pixel">',
        '<img src="https://img.example.com.tracker.example/p.gif" alt="pixel">',
    ],
)
def test_remote_images_become_links_that_load_nothing(source):
    html = markdown.render(source, image_hosts=["img.example.com"])
    elements = _elements(html)
    assert not [t for t, _ in elements if t == "img"]
    links = [dict(attrs) for t, attrs in elements if t == "a"]
    assert len(links) == 1 and "tracker.example" in links[0]["href"].lower()
    assert links[0]["class"] == "pm-remote-image"
    assert "Image: " in html


@pytest.mark.parametrize(
    ("source", "hosts"),
    [
        ("![logo](/static/keel/logo.png)", []),
        ("![dot](data:image/png;base64,iVBORw0KGgo=)", []),
        ("![graph](https://grafana.example.com/render/x.png)", ["https://grafana.example.com"]),
        ("![graph](https://a.grafana.example.com/x.png)", ["*.grafana.example.com"]),
    ],
)
def test_images_from_keel_or_allowed_hosts_stay_images(source, hosts):
    elements = _elements(markdown.render(source, image_hosts=hosts))
    assert [t for t, _ in elements] == ["p", "img"]


def test_an_allowed_host_is_matched_on_scheme_and_port_too():
    assert markdown.is_remote("http://grafana.example.com/x.png", ["https://grafana.example.com"])
    assert markdown.is_remote("https://grafana.example.com:8443/x", ["grafana.example.com"])
    assert not markdown.is_remote(
        "https://grafana.example.com:8443/x", ["grafana.example.com:8443"]
    )


@given(st.text(alphabet=st.sampled_from(list("<>/=\"' scriptonerlad&#:j()")), max_size=200))
def test_no_markdown_produces_a_script_tag_or_handler(text):
    for tag, attrs in _elements(markdown.render(text)):
        assert tag != "script"
        assert not [n for n, _ in attrs if n.startswith("on")]


# --- blameless language -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("The outage was caused by human error.", "human error"),
        ("It was Bob's fault that the cache was cold.", "Bob's fault"),
        ("It was Bob\u2019s fault.", "Bob\u2019s fault"),
        ("Rita should have known the flag was on.", "should have known"),
        ("The on-call engineer failed to notice the page.", "failed to"),
        ("A careless change went out.", "careless"),
        ("Bob broke the deploy.", "Bob broke"),
        ("Then @rita deleted the index.", "@rita deleted"),
        ("The operator just had to restart it.", "just had to"),
    ],
)
def test_blaming_phrases_are_flagged_with_a_reason(text, phrase):
    found = blameless.check(text)
    assert [s.phrase for s in found] == [phrase]
    s = found[0]
    assert text[s.start : s.end] == phrase
    assert s.reason and s.instead


def test_names_of_responders_are_found_as_subjects_of_a_failure():
    found = blameless.check("At 10:02 rita misconfigured the pool.", names=["rita"])
    assert [s.phrase for s in found] == ["rita misconfigured"]


@pytest.mark.parametrize(
    "text",
    [
        "The deploy broke checkout.",
        "Traffic dropped sharply after the failover.",
        "The connection pool was limited to 10; requests queued.",
        "We restarted the workers and the error rate fell.",
    ],
)
def test_blameless_descriptions_get_no_suggestions(text):
    assert blameless.check(text) == []


# --- drafts and policy ------------------------------------------------------------------


def _facts(**overrides):
    incident = draft.IncidentFacts(
        number=7,
        title="Checkout errors",
        severity="SEV2",
        status="resolved",
        kind="alert",
        services=["Checkout"],
        commander="rita",
        responders=["rita", "sam"],
        started_at=T0,
        detected_at=T0 + timedelta(minutes=3),
        acknowledged_at=T0 + timedelta(minutes=7),
        resolved_at=T0 + timedelta(hours=2, minutes=5),
    )
    entries = [
        draft.EntryFact(T0 + timedelta(minutes=3), "opened", "am", "Opened"),
        draft.EntryFact(T0 + timedelta(minutes=3), "alert_fired", "am", "A fired"),
        draft.EntryFact(T0 + timedelta(minutes=4), "alert_fired", "am", "B fired"),
        draft.EntryFact(T0 + timedelta(minutes=5), "note", "sam", "looking"),
        draft.EntryFact(T0 + timedelta(minutes=6), "note", "sam", "found it", pinned=True),
        draft.EntryFact(T0 + timedelta(minutes=7), "acknowledged", "rita", "Ack"),
        draft.EntryFact(T0 + timedelta(hours=2, minutes=5), "resolved", "rita", "Resolved"),
    ]
    return draft.compose_facts(incident, entries=entries, **overrides)


def test_timeline_is_pinned_entries_key_events_and_the_first_alert():
    texts = [e["text"] for e in _facts()["timeline"]]
    assert texts == ["Opened", "A fired", "found it", "Ack", "Resolved"]


def test_durations_are_measured_from_the_incident_times():
    durations = {d["key"]: d["text"] for d in _facts()["durations"]}
    assert durations == {
        "time_to_detect": "3 min",
        "time_to_acknowledge": "4 min",
        "time_to_resolve": "2 h 05 min",
    }


def test_budget_impact_reads_as_a_sentence():
    facts = _facts(
        impacts=[draft.ImpactFact("avail", "Checkout", 0.326, "30-day", remaining_minutes=68)]
    )
    assert facts["budget_impact"][0]["text"] == "consumed 32.6% of the 30-day budget; 68 min remain"
    assert draft.largest_budget_fraction(facts) == pytest.approx(0.326)


@pytest.mark.parametrize(
    ("severity", "fraction", "required", "p0"),
    [
        ("SEV1", 0.0, True, False),
        ("SEV2", 0.0, True, False),
        ("SEV3", 0.0, False, False),
        ("SEV4", 0.20, False, False),
        ("SEV4", 0.2001, True, True),
        ("SEV1", 0.5, True, True),
    ],
)
def test_policy_requires_postmortems_by_severity_and_budget(severity, fraction, required, p0):
    need = policy.requirement(
        severity=severity, largest_budget_fraction=fraction, resolved_at=T0, due_days=5
    )
    assert (need.required, need.requires_p0_action) == (required, p0)
    assert need.due_at == (T0 + timedelta(days=5) if required else None)


def test_drills_never_require_a_postmortem():
    need = policy.requirement(
        severity="SEV1", largest_budget_fraction=0.9, resolved_at=T0, due_days=5, drill=True
    )
    assert (need.required, need.requires_p0_action, need.due_at) == (False, False, None)


def test_publish_blockers_name_the_missing_p0_and_approval():
    assert policy.publish_blockers(requires_p0_action=True, action_priorities=["P1"], approvals=1)
    assert policy.publish_blockers(requires_p0_action=False, action_priorities=[], approvals=0)
    assert not policy.publish_blockers(
        requires_p0_action=True, action_priorities=["P1", "P0"], approvals=1
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (45, "45 s"),
        (600, "10 min"),
        (630, "10 min 30 s"),
        (7500, "2 h 05 min"),
        (90000, "1 d 1 h 00 min"),
    ],
)
def test_format_duration(seconds, text):
    assert draft.format_duration(seconds) == text


def test_template_covers_every_section():
    assert set(default_template()) == set(SECTION_KEYS)


# --- charts and export ------------------------------------------------------------------


def test_charts_are_svg_with_escaped_labels():
    facts = _facts(
        impacts=[
            draft.ImpactFact(
                "<b>avail</b>",
                "Checkout",
                0.3,
                "30-day",
                burn=[(T0, 0.9), (T0 + timedelta(hours=1), 0.6)],
            )
        ]
    )
    burn = charts.burn_down_chart(facts["budget_impact"])
    assert burn.startswith("<svg") and "<polyline" in burn
    assert "&lt;b&gt;avail&lt;/b&gt;" in burn and "<b>" not in burn
    assert "<rect" in charts.durations_chart(facts["durations"])
    assert "<rect" in charts.activity_chart(facts["timeline"])
    assert charts.burn_down_chart([]) == ""


def test_markdown_export_has_header_sections_timeline_and_actions():
    snapshot = {
        "version": None,
        "facts": _facts(),
        "sections": [{"key": "summary", "title": "Summary", "body": "It broke | badly."}],
        "figures": {"users_affected": 1200},
        "action_items": [
            {
                "priority": "P0",
                "title": "Pool alert",
                "kind": "detect",
                "owner": "sam",
                "due_on": "2026-12-01",
                "status": "open",
            }
        ],
        "authors": ["rita"],
    }
    text = export.to_markdown(snapshot)
    assert text.startswith("# Postmortem: INC-7 Checkout errors")
    assert "| Time to resolve | 2 h 05 min |" in text
    assert "## Summary\n\n- Users affected" not in text
    assert "It broke | badly." in text
    assert "| P0 | Pool alert | detect | sam | 2026-12-01 | open |" in text


def test_css_string_cannot_end_the_string_or_the_style_element():
    from postmortems.templatetags.postmortem_tags import css_string

    escaped = css_string('INC-7 "} body { display: none } </style><script>')
    assert '"' not in escaped and "<" not in escaped and "}" not in escaped
    assert escaped.startswith("INC-7 \\22 ")
