"""Every form that takes a time uses the same picker: `<input type="datetime-local">`,
read in the viewer's zone (named next to it), ISO order only, never a past example."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import Profile
from core.datetime_fields import INVALID, LocalDateTimeField
from incidents.forms import CorrectTimeForm
from oncall.forms import OverrideForm
from slos.forms import BypassForm, CorrectionForm
from slos.models import GateBypass

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def _input(html: str, name: str) -> str:
    found = re.search(rf'<input [^>]*name="{name}"[^>]*>', html)
    assert found, name
    return found.group(0)


@pytest.fixture
def tokyo_responder(responder):
    Profile.objects.create(user=responder, time_zone="Asia/Tokyo")
    client = Client()
    client.force_login(responder)
    return client


def test_the_bypass_form_offers_the_picker_in_my_zone_starting_in_the_future(
    tokyo_responder, checkout
):
    page = tokyo_responder.get("/slos/services/checkout/bypasses/new/").content.decode()
    field = _input(page, "expires_at")
    assert 'type="datetime-local"' in field
    assert "In Asia/Tokyo. At most 7 days ahead." in page
    assert "e.g. 2026" not in page
    value = re.search(r'value="([^"]+)"', field)
    assert value, field
    starts = datetime.fromisoformat(value.group(1)).replace(tzinfo=TOKYO)
    assert timezone.now() < starts < timezone.now() + timedelta(days=7)


def test_the_bypass_form_reads_the_time_in_my_zone(tokyo_responder, checkout):
    local = (timezone.now() + timedelta(days=1)).astimezone(TOKYO)
    local = local.replace(hour=9, minute=30, second=0, microsecond=0)
    answer = tokyo_responder.post(
        "/slos/services/checkout/bypasses/new/",
        {"kind": "hotfix", "reason": "rounding", "expires_at": local.strftime("%Y-%m-%dT%H:%M")},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert GateBypass.objects.get().expires_at == local


def test_the_bypass_form_refuses_a_us_order_date(tokyo_responder, checkout):
    soon = (timezone.now() + timedelta(days=2)).astimezone(TOKYO)
    answer = tokyo_responder.post(
        "/slos/services/checkout/bypasses/new/",
        {"kind": "hotfix", "reason": "rounding", "expires_at": soon.strftime("%m/%d/%Y %H:%M")},
    )
    assert answer.status_code == 400
    assert INVALID in answer.content.decode()
    assert not GateBypass.objects.exists()


FORMS = {
    "gate bypass": (BypassForm, ["expires_at"]),
    "SLO correction": (CorrectionForm, ["start", "end"]),
    "incident time correction": (CorrectTimeForm, ["value"]),
    "on-call override": (OverrideForm, ["starts_at", "ends_at"]),
}


@pytest.mark.parametrize("form", FORMS)
def test_every_time_field_is_the_same_picker_and_refuses_us_order(form):
    cls, names = FORMS[form]
    for name in names:
        field = cls.base_fields[name]
        assert isinstance(field, LocalDateTimeField), (form, name)
        assert 'type="datetime-local"' in field.widget.render(name, None)
        with pytest.raises(ValidationError) as refused:
            field.clean("11/12/2026 09:00")
        assert INVALID in refused.value.messages


def test_the_zone_named_is_the_one_the_page_is_drawn_in():
    field = BypassForm.base_fields["expires_at"]
    with timezone.override(TOKYO):
        assert str(field.help_text) == "In Asia/Tokyo. At most 7 days ahead."
    with timezone.override(zoneinfo.ZoneInfo("Europe/Berlin")):
        assert str(field.help_text) == "In Europe/Berlin. At most 7 days ahead."
        assert field.clean("2026-07-01T12:00") == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
