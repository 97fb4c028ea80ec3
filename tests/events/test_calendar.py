"""Events in residents' calendars: each event's `.ics` and the feeds of every event, a council's
and an area's, read back by the library that draws them and by a second parser; UIDs that stay
across an officer's edit while SEQUENCE grows; times right on both sides of a change of clock;
cancelled events marked so; drafts, the joining link and everything about who registered never
there."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from events.models import Event
from events.services import event_cancel
from tests.events.calendars import read_twice, unfolded
from tests.events.conftest import make_event
from tests.events.factories import RegistrationFactory
from tests.factories import AreaFactory
from tests.pages import ANY_HEADING, assert_page

pytestmark = pytest.mark.django_db
Stage = Event.Stage
LONDON = ZoneInfo("Europe/London")


def _last_sunday(month: int, after: date) -> date:
    """The last Sunday of `month` in the first year it falls after `after`: the day the clocks
    change in the UK (March forward, October back)."""
    for year in (after.year, after.year + 1):
        day = date(year, month + 1, 1) - timedelta(days=1)
        day -= timedelta(days=(day.weekday() - 6) % 7)
        if day > after:
            return day
    raise AssertionError("unreachable")


def _made_days_ago(event: Event, days: int) -> Event:
    """As if the event was made and last saved `days` ago, so that a change now is seconds
    later (calendars keep whole seconds)."""
    then = timezone.now() - timedelta(days=days)
    Event.objects.filter(pk=event.pk).update(created_at=then, updated_at=then, published_at=then)
    event.refresh_from_db()
    return event


def _ics(path: str) -> bytes:
    response = Client().get(path)
    assert response.status_code == 200, path
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response.content


def test_an_events_calendar_file_reads_back_with_its_details_in_both_parsers(cast, settings):
    settings.CIVIC_SITE_URL = "https://consult.northbridge.example"
    event = make_event(cast, title="Riverside drop-in")
    method, [read] = read_twice(_ics(f"/events/{event.pk}/event.ics"))
    assert method == "PUBLISH"
    assert read.uid == f"event-{event.pk}@consult.northbridge.example"
    assert read.summary == "Riverside drop-in"
    assert read.status == "CONFIRMED"
    assert read.location == "Ancoats Library, 1 Old Mill Street, Northbridge, M4 6AA"
    assert read.url == f"https://consult.northbridge.example/events/{event.pk}/"
    assert read.description.startswith("Talk to the team about the plans for the high street.")
    assert (read.starts, read.ends) == (
        event.starts_at.replace(microsecond=0),
        event.ends_at.replace(microsecond=0),
    )


@pytest.mark.parametrize("month", [3, 10])
def test_times_are_right_on_the_day_the_clocks_change(cast, month):
    """10am on the last Sunday of March is 9am UTC (summer time has begun at 1am); on the last
    Sunday of October it is 10am UTC (summer time ended at 2am)."""
    day = _last_sunday(month, timezone.now().date() + timedelta(days=30))
    starts = datetime(day.year, day.month, day.day, 10, tzinfo=LONDON)
    event = make_event(cast, starts_at=starts, ends_at=starts + timedelta(hours=2))
    content = _ics(f"/events/{event.pk}/event.ics")
    _method, [read] = read_twice(content)
    expected_utc_hour = 9 if month == 3 else 10
    assert read.starts.astimezone(UTC) == datetime(
        day.year, day.month, day.day, expected_utc_hour, tzinfo=UTC
    )
    assert read.ends - read.starts == timedelta(hours=2)
    assert f"DTSTART:{day:%Y%m%d}T{expected_utc_hour:02}0000Z" in unfolded(content)


def test_an_officers_edit_keeps_the_uid_and_raises_the_sequence(cast):
    event = _made_days_ago(make_event(cast, Stage.REGISTERING), 2)
    opens = timezone.localtime(event.registration_opens_at, LONDON)
    _method, [before] = read_twice(_ics(f"/events/{event.pk}/event.ics"))

    officer = Client()
    officer.force_login(cast.officer)
    local_start = timezone.localtime(event.starts_at + timedelta(hours=1), LONDON)
    local_end = local_start + timedelta(hours=2)
    response = officer.post(
        f"/admin/events/event/{event.pk}/change/",
        {
            "department": cast.department.pk,
            "title": "Riverside drop-in (new time)",
            "summary": event.summary,
            "description": event.description,
            "kind": Event.Kind.IN_PERSON,
            "starts_at_0": f"{local_start:%Y-%m-%d}",
            "starts_at_1": f"{local_start:%H:%M}",
            "ends_at_0": f"{local_end:%Y-%m-%d}",
            "ends_at_1": f"{local_end:%H:%M}",
            "venue_name": event.venue_name,
            "address": event.address,
            "postcode": event.postcode,
            "in_person_capacity": "30",
            "places_limit": "2",
            "registration_opens_at_0": f"{opens:%Y-%m-%d}",
            "registration_opens_at_1": "09:00",
            "questions-TOTAL_FORMS": "0",
            "questions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]

    _method, [after] = read_twice(_ics(f"/events/{event.pk}/event.ics"))
    assert after.uid == before.uid
    assert after.sequence > before.sequence
    assert after.last_modified > before.last_modified
    assert after.summary == "Riverside drop-in (new time)"
    assert after.starts == local_start.replace(second=0, microsecond=0)


def test_a_cancelled_event_stays_in_the_feed_marked_cancelled(cast):
    event = _made_days_ago(make_event(cast, title="Market hall meeting"), 1)
    _method, [before] = read_twice(_ics("/events/calendar.ics"))
    event_cancel(actor=cast.officer, event=event, reason="The hall flooded.")

    _method, [after] = read_twice(_ics("/events/calendar.ics"))
    assert after.uid == before.uid
    assert after.status == "CANCELLED"
    assert after.summary == "Cancelled: Market hall meeting"
    assert after.description.startswith("This event is cancelled.\n\nThe hall flooded.")
    assert after.sequence >= before.sequence
    assert after.last_modified > before.last_modified
    _method, [alone] = read_twice(_ics(f"/events/{event.pk}/event.ics"))
    assert alone.status == "CANCELLED"


def test_drafts_are_never_in_a_calendar_even_for_those_who_run_them(cast):
    draft = make_event(cast, Stage.DRAFT, title="Secret plans")
    shown = make_event(cast, title="Open meeting")
    officer = Client()
    officer.force_login(cast.officer)
    assert officer.get(f"/events/{draft.pk}/event.ics").status_code == 404
    for path in ("/events/calendar.ics", f"/events/calendar/councils/{cast.council.pk}.ics"):
        content = _ics(path)
        _method, events = read_twice(content)
        assert [read.summary for read in events] == ["Open meeting"], path
        assert "Secret plans" not in unfolded(content)
    assert shown.pk != draft.pk


def test_no_joining_link_and_nothing_about_who_registered_is_in_a_calendar(cast):
    event = make_event(
        cast,
        kind=Event.Kind.HYBRID,
        online_capacity=20,
        joining_link="https://meet.example.org/j/8437-riverside",
    )
    registration = RegistrationFactory(
        event=event,
        name="Priya Flintstone",
        email="priya.flintstone@example.org",
        postcode="M1 1AE",
        check_in_code="KX7P3Q",
    )
    for path in (f"/events/{event.pk}/event.ics", "/events/calendar.ics"):
        content = _ics(path)
        _method, [read] = read_twice(content)
        text = unfolded(content)
        assert read.location.endswith("M4 6AA, or online")
        for private in (
            event.joining_link,
            "meet.example.org",
            registration.name,
            registration.email,
            registration.postcode,
            registration.check_in_code,
        ):
            assert private not in text, (path, private)


def test_feeds_hold_a_councils_or_an_areas_events_upcoming_and_lately_past(cast):
    ancoats = AreaFactory(organisation=cast.council, name="Ancoats")
    here = make_event(cast, title="Ancoats drop-in", area=ancoats)
    elsewhere = make_event(cast, title="Town hall meeting")
    lately = make_event(cast, Stage.PAST, title="Last month's meeting", area=ancoats)
    long_ago = make_event(
        cast,
        Stage.PAST,
        title="Last year's meeting",
        starts_at=timezone.now() - timedelta(days=200),
        ends_at=timezone.now() - timedelta(days=200) + timedelta(hours=2),
        registration_opens_at=timezone.now() - timedelta(days=230),
    )
    other = make_event(
        cast, title="Eastmoor market meeting", department=cast.other_council_department
    )

    def titles(path: str) -> list[str]:
        return [read.summary for read in read_twice(_ics(path))[1]]

    assert titles("/events/calendar.ics") == [
        lately.title,
        here.title,
        elsewhere.title,
        other.title,
    ]
    assert long_ago.title not in titles("/events/calendar.ics")
    assert set(titles(f"/events/calendar/councils/{cast.council.pk}.ics")) == {
        lately.title,
        here.title,
        elsewhere.title,
    }
    assert set(titles(f"/events/calendar/areas/{ancoats.pk}.ics")) == {lately.title, here.title}
    for path in ("/events/calendar/councils/999999.ics", "/events/calendar/areas/999999.ics"):
        assert Client().get(path).status_code == 404


def test_the_list_and_an_events_page_link_to_the_calendars_in_plain_words(cast, settings):
    settings.CIVIC_SITE_URL = "https://consult.northbridge.example"
    ancoats = AreaFactory(organisation=cast.council, name="Ancoats")
    event = make_event(cast, area=ancoats)
    html = assert_page(Client().get(f"/events/{event.pk}/"), heading=event.title)
    assert f'href="/events/{event.pk}/event.ics"' in html
    assert "Add to your calendar" in html
    assert (
        f"webcal://consult.northbridge.example/events/calendar/councils/{cast.council.pk}.ics"
        in (html)
    )
    html = assert_page(Client().get("/events/"), heading=ANY_HEADING)
    assert "Subscribe to these events" in html
    assert "webcal://consult.northbridge.example/events/calendar.ics" in html
    html = assert_page(Client().get(f"/events/?area={ancoats.pk}"), heading=ANY_HEADING)
    assert f"webcal://consult.northbridge.example/events/calendar/areas/{ancoats.pk}.ics" in html
