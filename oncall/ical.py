"""iCal (RFC 5545) feeds of the final schedule, overrides included."""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from icalendar import Calendar, Event

from . import rotation
from .models import CalendarFeed, LayerParticipant, Override, Schedule
from .selectors import ScheduleError, schedule_list, schedule_resolve

PAST = timedelta(days=30)
AHEAD = timedelta(days=180)


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Keel//On-call//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(schedule: Schedule, shift: rotation.Shift, name: str, at: datetime) -> Event:
    event = Event()
    event.add("uid", f"keel-oncall-{schedule.pk}-{shift.who}-{shift.start:%Y%m%dT%H%M%SZ}@keel")
    event.add("dtstamp", at)
    event.add("dtstart", shift.start)
    event.add("dtend", shift.end)
    event.add(
        "summary", f"On call: {name} ({schedule})" + (" — override" if shift.is_override else "")
    )
    event.add("transp", "TRANSPARENT")
    return event


def _error_event(error: ScheduleError, at: datetime) -> Event:
    """A broken layer shows in calendar apps as a day-long event from now: its shifts
    are missing from the feed until it is fixed."""
    event = Event()
    layer = error.layer.pk if error.layer is not None else "overrides"
    event.add("uid", f"keel-oncall-{error.schedule.pk}-error-{layer}-{at:%Y%m%d}@keel")
    event.add("dtstamp", at)
    event.add("dtstart", at)
    event.add("dtend", at + timedelta(days=1))
    event.add("summary", f"Schedule error: {error.schedule} (shifts missing)")
    event.add("description", error.text)
    event.add("transp", "TRANSPARENT")
    return event


def schedule_calendar(
    schedules: list[Schedule], *, title: str, only_user: int | None, at: datetime
) -> bytes:
    calendar = _calendar(title)
    start, end = at - PAST, at + AHEAD
    people: dict[int, str] = {}
    for schedule in schedules:
        final = schedule_resolve(schedule, start, end)
        for error in final.errors:
            calendar.add_component(_error_event(error, at))
        shifts = rotation.merge_people(final.shifts)
        wanted = [s for s in shifts if only_user is None or s.who == only_user]
        missing = {int(s.who) for s in wanted} - people.keys()
        if missing:
            people.update(
                {u.pk: u.get_username() for u in get_user_model().objects.filter(pk__in=missing)}
            )
        for shift in wanted:
            calendar.add_component(_event(schedule, shift, people.get(int(shift.who), "?"), at))
    return calendar.to_ical()


def feed_calendar(feed: CalendarFeed, *, at: datetime) -> bytes:
    if feed.schedule_id is not None:
        schedules = list(schedule_list(user=None).filter(pk=feed.schedule_id))
        return schedule_calendar(
            schedules, title=f"On call: {feed.schedule}", only_user=None, at=at
        )
    user = feed.user
    assert user is not None  # a feed is for a schedule or a user (a DB constraint)
    ids = set(
        LayerParticipant.objects.filter(user=user).values_list("layer__schedule_id", flat=True)
    )
    ids |= set(Override.objects.filter(user=user).values_list("schedule_id", flat=True))
    schedules = list(schedule_list(user=None).filter(pk__in=ids))
    return schedule_calendar(schedules, title=f"My on-call ({user})", only_user=user.pk, at=at)
