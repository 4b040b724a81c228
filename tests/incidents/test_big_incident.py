"""An incident with more alerts and timeline entries than a page: the API detail and the
room show the first page with exact counts, the next pages hold the rest, and the queries
stay the same whatever the incident's size."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.actors import Actor
from incidents.choices import EntryKind, Severity
from incidents.models import Alert, Incident, TimelineEntry
from incidents.services import incident_declare

pytestmark = pytest.mark.django_db

INCIDENTS = "/api/v1/incidents/"


def _big(integration, responder, *, alerts: int, firing: int, entries: int) -> Incident:
    """An incident with `alerts` alerts (the first `firing` of them firing, and older than
    the resolved ones, so that "firing first" differs from "newest first") and `entries`
    timeline entries besides the declaration, the oldest of them pinned."""
    incident = incident_declare(actor=Actor.of(responder), title="Storm", severity=Severity.SEV1)
    now = timezone.now()
    Alert.objects.bulk_create(
        Alert(
            integration=integration,
            fingerprint=f"{n:016x}",
            starts_at=now - timedelta(hours=2) + timedelta(seconds=n),
            ends_at=None if n < firing else now,
            status="firing" if n < firing else "resolved",
            labels={"alertname": "Storm", "instance": f"web-{n:04d}"},
            group_hash="g",
            first_seen_at=now,
            last_seen_at=now,
            incident=incident,
        )
        for n in range(alerts)
    )
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            incident=incident,
            kind=EntryKind.ALERT_FIRED,
            at=now + timedelta(seconds=n),
            actor_name="integration:am",
            text=f"entry {n:04d}",
            pinned=n == 0,
        )
        for n in range(entries)
    )
    return incident


@pytest.fixture
def as_viewer(client, viewer):
    client.force_login(viewer)
    return client


def test_api_detail_shows_the_first_page_of_alerts_with_exact_counts_and_the_next_pages(
    responder_api, responder, integration
):
    incident = _big(integration, responder, alerts=120, firing=40, entries=0)
    body = responder_api.get(f"{INCIDENTS}{incident.number}/").json()
    assert body["alert_count"] == 120
    assert body["alert_counts"] == {"firing": 40, "resolved": 80, "total": 120}
    assert len(body["alerts"]) == 50
    assert [a["status"] for a in body["alerts"]] == ["firing"] * 40 + ["resolved"] * 10
    seen = [a["id"] for a in body["alerts"]]
    url = body["alerts_next"]
    assert url and url.endswith(f"/api/v1/incidents/{incident.number}/alerts/?page=2")
    while url:
        page = responder_api.get(url).json()
        assert page["count"] == 120
        seen += [a["id"] for a in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(Alert.objects.values_list("id", flat=True))
    assert len(seen) == len(set(seen))
    # The paged list is the detail's order: page 1 is the detail's alerts.
    first = responder_api.get(body["alerts_url"]).json()["results"]
    assert [a["id"] for a in first] == [a["id"] for a in body["alerts"]]
    firing = responder_api.get(body["alerts_url"], {"status": "firing"}).json()
    assert firing["count"] == 40
    bad = responder_api.get(body["alerts_url"], {"status": "exploded"})
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


def test_api_detail_shows_the_newest_timeline_entries_and_pages_to_the_older(
    responder_api, responder, integration
):
    incident = _big(integration, responder, alerts=0, firing=0, entries=130)
    body = responder_api.get(f"{INCIDENTS}{incident.number}/").json()
    assert body["timeline_count"] == 131  # with the declaration
    assert [e["text"] for e in body["timeline"]] == [f"entry {n:04d}" for n in range(80, 130)]
    older = responder_api.get(body["timeline_next"]).json()
    assert older["count"] == 131
    assert [e["text"] for e in older["results"]] == [f"entry {n:04d}" for n in range(79, 29, -1)]
    pinned = responder_api.get(body["timeline_url"], {"pinned": "true"}).json()
    assert [e["text"] for e in pinned["results"]] == ["entry 0000"]
    oldest = responder_api.get(body["timeline_url"], {"order": "oldest"}).json()
    assert oldest["results"][0]["kind"] == "declared"
    assert responder_api.get(body["timeline_url"], {"order": "sideways"}).status_code == 400


@pytest.mark.parametrize("size", [3, 300])
def test_api_detail_reads_the_same_queries_and_rows_whatever_the_incident_size(
    responder_api, responder, integration, size, django_assert_max_num_queries
):
    incident = _big(integration, responder, alerts=size, firing=size // 3, entries=size)
    with django_assert_max_num_queries(12):
        response = responder_api.get(f"{INCIDENTS}{incident.number}/")
    body = response.json()
    assert body["alert_count"] == size and body["timeline_count"] == size + 1
    assert len(body["alerts"]) == min(size, 50)
    assert len(body["timeline"]) == min(size + 1, 50)


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr class="alert-row" data-fingerprint="([0-9a-f]+)"', page)


def _link(page: str, text: str) -> str:
    found = re.search(r'<a href="([^"]+)"[^>]*>' + re.escape(text), page)
    assert found, f"a link {text!r}"
    return found.group(1).replace("&amp;", "&")


def test_room_shows_the_first_alerts_firing_first_with_exact_counts_and_pages_without_js(
    as_viewer, responder, integration
):
    incident = _big(integration, responder, alerts=120, firing=40, entries=0)
    room = reverse("ui:incident-room", args=[incident.number])
    page = as_viewer.get(room).content.decode()
    assert "Alerts (120, 40 firing)" in page
    assert "40 firing, 80 resolved." in page
    first = _rows(page)
    assert len(first) == 50
    firing = set(Alert.objects.filter(status="firing").values_list("fingerprint", flat=True))
    assert set(first[:40]) == firing
    second_page = as_viewer.get(_link(page, "Show more alerts")).content.decode()
    assert "Alerts (120, 40 firing)" in second_page
    second = _rows(second_page)
    third = _rows(as_viewer.get(_link(second_page, "Show more alerts")).content.decode())
    assert (len(second), len(third)) == (50, 20)
    assert set(first) | set(second) | set(third) == set(
        Alert.objects.values_list("fingerprint", flat=True)
    )
    assert "Show more alerts" not in as_viewer.get(room, {"alerts": 3}).content.decode()
    for junk in ("abc", "99999999999999999999", "-1", "0"):
        assert as_viewer.get(room, {"alerts": junk}).status_code == 200


def test_room_shows_the_newest_timeline_entries_and_pinned_ones_with_older_pages(
    as_viewer, responder, integration
):
    incident = _big(integration, responder, alerts=0, firing=0, entries=120)
    room = reverse("ui:incident-room", args=[incident.number])
    response = as_viewer.get(room)
    page = response.content.decode()
    assert "Timeline (121)" in page
    shown = [e.text for e in response.context["timeline"]]
    assert shown == [f"entry {n:04d}" for n in range(119, 69, -1)]
    assert "entry 0000" in page  # pinned: always shown
    assert [e.text for e in response.context["pinned_elsewhere"]] == ["entry 0000"]
    older = as_viewer.get(_link(page, "Older entries"))
    assert [e.text for e in older.context["timeline"]] == [
        f"entry {n:04d}" for n in range(69, 19, -1)
    ]
    oldest = as_viewer.get(_link(page, "Oldest entries"))
    assert [e.kind for e in oldest.context["timeline"]][-1] == "declared"
    # The pinned entry on its own page is shown once, in its place.
    assert oldest.context["pinned_elsewhere"] == []
    assert oldest.content.decode().count('id="entry-') == 21


@pytest.mark.parametrize("size", [3, 300])
def test_room_and_its_live_part_read_the_same_queries_whatever_the_incident_size(
    as_viewer, responder, integration, size, django_assert_max_num_queries
):
    incident = _big(integration, responder, alerts=size, firing=size // 2, entries=size)
    room = reverse("ui:incident-room", args=[incident.number])
    as_viewer.get(room)
    with django_assert_max_num_queries(24):
        response = as_viewer.get(room)
    assert len(response.context["alerts"]) == min(size, 50)
    assert len(response.context["timeline"]) == min(size + 1, 50)
    assert f"Timeline ({size + 1})" in response.content.decode()
    live = re.search(r'<div id="live" hx-get="([^"]+)"', response.content.decode())
    assert live
    with django_assert_max_num_queries(14):
        part = as_viewer.get(live.group(1).replace("&amp;", "&").split("&v=")[0])
    assert part.status_code == 200
    assert len(_rows(part.content.decode())) == min(size, 50)
    assert len(part.context["timeline"]) == min(size + 1, 50)


def test_live_part_keeps_the_page_it_was_drawn_for(as_viewer, responder, integration):
    incident = _big(integration, responder, alerts=120, firing=40, entries=250)
    room = reverse("ui:incident-room", args=[incident.number])
    page = as_viewer.get(room, {"alerts": 2, "timeline": 2}).content.decode()
    live = re.search(r'<div id="live" hx-get="([^"]+)"', page)
    assert live
    url = live.group(1).replace("&amp;", "&")
    assert as_viewer.get(url).status_code == 204  # unchanged
    part = as_viewer.get(url.split("&v=")[0])
    assert _rows(part.content.decode()) == _rows(page)
    assert [e.pk for e in part.context["timeline"]] == [
        int(pk) for pk in re.findall(r'<li id="entry-(\d+)"', page)
    ][-50:]
