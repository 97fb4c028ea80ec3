"""The demo's events: upcoming ones across wards (a series), one full with a waiting list, a past
one with who came and its published outcome, and a cancelled one; running the seeder twice gives
the same rows."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from events.models import Event, EventSeries, Outcome, Registration
from tests.pages import assert_page

pytestmark = pytest.mark.django_db


def _rows() -> list[tuple]:
    return sorted(
        (event.title, event.status, event.kind, event.area_id, event.registrations.count())
        for event in Event.objects.all()
    )


def test_seed_demo_makes_every_kind_of_event_and_is_safe_to_run_twice():
    call_command("seed_demo", stdout=io.StringIO())
    first = _rows()
    call_command("seed_demo", stdout=io.StringIO())
    assert _rows() == first
    events = Event.objects.all()
    assert EventSeries.objects.get().events.count() == 3
    assert len({event.area_id for event in events if event.area_id}) == 3
    assert events.filter(status=Event.Status.CANCELLED).count() == 1
    assert any(event.stage_at() == Event.Stage.PAST for event in events)
    full = Event.objects.get(title="Neighbourhood budget workshop")
    confirmed = full.registrations.filter(status=Registration.Status.CONFIRMED)
    assert sum(confirmed.values_list("places", flat=True)) <= full.in_person_capacity
    waiting = list(full.registrations.waiting().values_list("arrival", flat=True))
    assert waiting and waiting == sorted(waiting)
    assert min(waiting) > max(confirmed.values_list("arrival", flat=True))


def test_the_past_meeting_has_who_came_and_its_outcome_on_show(client):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    past = Event.objects.get(title="High street public meeting")
    assert past.stage_at() == Event.Stage.PAST
    came = past.registrations.filter(checked_in_at__isnull=False)
    assert 0 < came.count() < past.registrations.count()
    assert came.filter(walk_in=True).count() == 1
    outcome = Outcome.objects.get()
    assert outcome.event == past and outcome.published_at is not None
    html = assert_page(client.get(f"/events/{past.pk}/"), heading=past.title)
    assert "What came of it" in html
    assert "six-month trial" in html
    upcoming = Event.objects.upcoming().filter(status=Event.Status.PUBLISHED)
    assert upcoming.exclude(area=None).values("area").distinct().count() >= 2
