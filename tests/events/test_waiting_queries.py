"""The events listing, an event's page and a booking's page keep to a fixed number of queries
however many events and registrations (confirmed, offered, waiting, cancelled) there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Event, Registration
from events.services.registering import manage_token
from tests.events.conftest import make_event
from tests.events.factories import RegistrationFactory

pytestmark = pytest.mark.django_db
Status = Registration.Status
EVERY_STATE = [Status.CONFIRMED, Status.OFFERED, Status.WAITING, Status.CANCELLED]


def queries(client, path: str) -> int:
    client.get(path)  # warm: the site's settings and the like, cached per process
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, {"drawn": "1"}).status_code == 200
    return len(captured)


def fill(event: Event, count: int) -> None:
    for number in range(count):
        RegistrationFactory(event=event, status=EVERY_STATE[number % 4],
                            attendance=Registration.Attendance.values[number % 2])  # fmt: skip


def test_the_listing_takes_the_same_queries_for_few_or_many_events_with_bookings(client, cast):
    for _number in range(2):
        fill(make_event(cast, kind=Event.Kind.HYBRID, online_capacity=5), 4)
    few = queries(client, "/events/")
    for _number in range(25):
        fill(make_event(cast, kind=Event.Kind.HYBRID, online_capacity=5), 4)
    assert queries(client, "/events/") == few == 3


def test_an_event_page_takes_the_same_queries_for_few_or_many_bookings(client, cast):
    event = make_event(cast, kind=Event.Kind.HYBRID, online_capacity=50, in_person_capacity=50)
    fill(event, 4)
    few = queries(client, f"/events/{event.pk}/")
    fill(event, 60)
    assert queries(client, f"/events/{event.pk}/") == few == 2


def test_a_booking_page_takes_the_same_queries_for_few_or_many_bookings(client, cast):
    event = make_event(cast, in_person_capacity=2)
    offered = RegistrationFactory(
        event=event, status=Status.OFFERED, offer_expires_at=event.starts_at
    )
    path = f"/events/bookings/{manage_token(offered)}/"
    few = queries(client, path)
    fill(event, 60)
    assert queries(client, path) == few
