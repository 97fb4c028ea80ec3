"""The waiting list: places that come free (a cancellation, a declined or expired offer, an
officer raising the capacity) are offered to the first in the queue for their way of attending,
a booking of several places only when all fit and nobody behind it jumping ahead; the offer is
accepted from the booking's page before it expires, or beat's sweep ends it and offers the
place to the next; every move is e-mailed once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client

from civic.form_guard import Refused
from events.models import Event, Registration
from events.services import (
    event_cancel,
    offer_accept,
    offers_expire,
    places_offer,
    registration_cancel,
)
from events.services.registering import manage_token, registration_for_token
from mailing.models import Delivery
from tests.concurrency import at_once
from tests.events.conftest import make_event
from tests.events.factories import RegistrationFactory
from tests.events.test_registering import register
from tests.pages import assert_page

pytestmark = pytest.mark.django_db
Status = Registration.Status
IN_PERSON, ONLINE = Registration.Attendance.IN_PERSON, Registration.Attendance.ONLINE


def booking(event, status=Status.WAITING, **fields) -> Registration:
    return RegistrationFactory(event=event, status=status, **fields)


def states(event) -> dict[str, str]:
    return dict(Registration.objects.filter(event=event).values_list("name", "status"))


def subjects(email: str) -> list[str]:
    return list(
        Delivery.objects.filter(to_email=email)
        .order_by("pk")
        .values_list("message__subject", flat=True)
    )


def manage_path(registration: Registration) -> str:
    return f"/events/bookings/{manage_token(registration)}/"


# Offering ----------------------------------------------------------------------------------------


def test_a_cancellation_offers_the_place_to_the_first_waiting_with_time_to_accept(
    cast, clock, settings
):
    settings.CIVIC_EVENT_OFFER_HOURS = 6
    event = make_event(cast, title="Drop-in", in_person_capacity=2)
    ann = booking(event, Status.CONFIRMED, name="Ann")
    booking(event, Status.CONFIRMED, name="Bob")
    cat = booking(event, name="Cat", email="cat@example.org")
    booking(event, name="Dan", email="dan@example.org")

    registration_cancel(registration=ann, now=clock.now)

    assert states(event) == {"Ann": "cancelled", "Bob": "confirmed", "Cat": "offered",
                             "Dan": "waiting"}  # fmt: skip
    cat.refresh_from_db()
    assert cat.offer_expires_at == clock.later(hours=6)
    assert subjects("cat@example.org") == ["A place is free for you: Drop-in"]
    assert subjects("dan@example.org") == []
    text = Delivery.objects.get(to_email="cat@example.org").message["text"]
    # The link names Cat's booking (each link is signed with the second it was made in).
    tokens = set(re.findall(r"/events/bookings/([^/\s]+)/", text))
    assert tokens and all(registration_for_token(token) == cat for token in tokens)
    assert "Accept it by" in text
    # An offered place is held: a newcomer waits behind Dan.
    late = register(event, email="eve@example.org", now=clock.now).registration
    assert late.status == Status.WAITING


def test_an_offer_never_runs_past_the_start_of_the_event(cast, clock):
    event = make_event(cast, in_person_capacity=1, starts_at=clock.later(hours=3),
                       ends_at=clock.later(hours=5))  # fmt: skip
    first = booking(event, Status.CONFIRMED)
    second = booking(event)
    registration_cancel(registration=first, now=clock.now)
    second.refresh_from_db()
    assert (second.status, second.offer_expires_at) == (Status.OFFERED, event.starts_at)


def test_places_are_offered_to_the_waiting_list_of_the_same_way_of_attending(cast, clock):
    event = make_event(cast, kind=Event.Kind.HYBRID, in_person_capacity=1, online_capacity=1,
                       joining_link="https://meet.example.org/room")  # fmt: skip
    online = booking(event, Status.CONFIRMED, name="Online", attendance=ONLINE)
    booking(event, Status.CONFIRMED, name="Room", attendance=IN_PERSON)
    booking(event, name="Waits in person", attendance=IN_PERSON)
    booking(event, name="Waits online", attendance=ONLINE)
    registration_cancel(registration=online, now=clock.now)
    assert states(event)["Waits online"] == "offered"
    assert states(event)["Waits in person"] == "waiting"


def test_a_booking_of_several_places_is_offered_only_whole_and_nobody_jumps_it(cast, clock):
    """Strict order: a smaller booking behind it that would fit waits too."""
    event = make_event(cast, in_person_capacity=3)
    ann = booking(event, Status.CONFIRMED, name="Ann", places=1)
    bob = booking(event, Status.CONFIRMED, name="Bob", places=2)
    booking(event, name="Family", places=3)
    booking(event, name="Single", places=1)

    registration_cancel(registration=ann, now=clock.now)
    assert states(event) == {"Ann": "cancelled", "Bob": "confirmed", "Family": "waiting",
                             "Single": "waiting"}  # fmt: skip
    registration_cancel(registration=bob, now=clock.now)
    assert states(event) == {"Ann": "cancelled", "Bob": "cancelled", "Family": "offered",
                             "Single": "waiting"}  # fmt: skip


def test_more_places_offer_as_many_of_the_queue_as_fit_in_order(cast, clock):
    event = make_event(cast, in_person_capacity=1)
    booking(event, Status.CONFIRMED, name="Ann")
    for name in ("Bob", "Cat", "Dan"):
        booking(event, name=name)
    Event.objects.filter(pk=event.pk).update(in_person_capacity=3)
    offered = places_offer(event=event, now=clock.now)
    assert [registration.name for registration in offered] == ["Bob", "Cat"]
    assert places_offer(event=event, now=clock.now) == []  # nothing offered twice
    assert Delivery.objects.filter(message__subject__startswith="A place is free").count() == 2


def test_an_officer_raising_the_capacity_in_the_admin_offers_the_new_places(cast):
    event = make_event(cast, in_person_capacity=1, places_limit=2)
    booking(event, Status.CONFIRMED, name="Ann")
    booking(event, name="Bob")
    officer = Client()
    officer.force_login(cast.officer)
    local = event.starts_at.astimezone(event.starts_at.tzinfo)
    data = {
        "department": cast.department.pk,
        "title": event.title,
        "summary": event.summary,
        "description": event.description,
        "kind": Event.Kind.IN_PERSON,
        "starts_at_0": local.strftime("%Y-%m-%d"),
        "starts_at_1": "18:00",
        "ends_at_0": local.strftime("%Y-%m-%d"),
        "ends_at_1": "20:00",
        "venue_name": "Ancoats Library",
        "address": "1 Old Mill Street",
        "postcode": "M4 6AA",
        "in_person_capacity": "2",
        "places_limit": "2",
        "registration_opens_at_0": "2020-03-01",
        "registration_opens_at_1": "09:00",
        "questions-TOTAL_FORMS": "0",
        "questions-INITIAL_FORMS": "0",
    }
    response = officer.post(f"/admin/events/event/{event.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert states(event) == {"Ann": "confirmed", "Bob": "offered"}


def test_nothing_is_offered_for_a_cancelled_or_past_event(cast, clock):
    cancelled = make_event(cast, Event.Stage.CANCELLED, in_person_capacity=5)
    booking(cancelled, name="Waits")
    assert places_offer(event=cancelled, now=clock.now) == []
    past = make_event(cast, Event.Stage.PAST, in_person_capacity=5)
    booking(past, name="Waits too")
    assert places_offer(event=past, now=clock.now) == []


# Accepting and declining -------------------------------------------------------------------------


def test_the_offer_is_accepted_from_the_booking_page_by_post_only(cast, client, clock):
    event = make_event(cast, title="Drop-in", in_person_capacity=1)
    first = booking(event, Status.CONFIRMED, name="Ann")
    offered = booking(event, name="Bob", email="bob@example.org")
    registration_cancel(registration=first)
    html = assert_page(client.get(manage_path(offered)), heading="Your booking")
    assert "Offered a place" in html
    assert "Accept the place" in html and "Decline the place" in html
    assert "Accept it by" in html
    offered.refresh_from_db()
    assert offered.status == Status.OFFERED  # opening the link changed nothing
    html = assert_page(
        client.post(manage_path(offered), {"action": "accept"}), heading="Your place is booked"
    )
    offered.refresh_from_db()
    assert offered.status == Status.CONFIRMED
    assert subjects("bob@example.org") == [
        "A place is free for you: Drop-in",
        "Your place is booked: Drop-in",
    ]
    # Pressed again: nothing more happens.
    client.post(manage_path(offered), {"action": "accept"})
    assert len(subjects("bob@example.org")) == 2


def test_an_offer_accepted_after_it_expired_says_so_and_passes_the_place_on(cast, client, clock):
    event = make_event(cast, title="Drop-in", in_person_capacity=1)
    first = booking(event, Status.CONFIRMED, name="Ann")
    late = booking(event, name="Bob", email="bob@example.org")
    booking(event, name="Cat", email="cat@example.org")
    registration_cancel(registration=first, now=clock.ago(hours=25))  # a 24-hour offer

    html = assert_page(client.post(manage_path(late), {"action": "accept"}), heading="Your booking")
    assert "The offer of a place has passed." in html
    assert "Accept the place" not in html
    assert states(event) == {"Ann": "cancelled", "Bob": "cancelled", "Cat": "offered"}
    assert subjects("bob@example.org") == [
        "A place is free for you: Drop-in",
        "The offer of a place has passed: Drop-in",
    ]
    assert subjects("cat@example.org") == ["A place is free for you: Drop-in"]


def test_declining_an_offer_passes_the_place_to_the_next(cast, client):
    event = make_event(cast, title="Drop-in", in_person_capacity=1)
    first = booking(event, Status.CONFIRMED, name="Ann")
    offered = booking(event, name="Bob", email="bob@example.org")
    booking(event, name="Cat")
    registration_cancel(registration=first)
    html = assert_page(
        client.post(manage_path(offered), {"action": "cancel"}),
        heading="Your booking is cancelled",
    )
    assert "Accept the place" not in html
    assert states(event) == {"Ann": "cancelled", "Bob": "cancelled", "Cat": "offered"}
    assert subjects("bob@example.org")[-1] == "Your booking is cancelled: Drop-in"


def test_someone_waiting_can_leave_the_list_but_not_accept_a_place_never_offered(cast, client):
    event = make_event(cast, in_person_capacity=1)
    booking(event, Status.CONFIRMED, name="Ann")
    waiting = booking(event, name="Bob")
    html = assert_page(client.get(manage_path(waiting)), heading="Your booking")
    assert "Leave the waiting list" in html and "Accept the place" not in html
    html = assert_page(
        client.post(manage_path(waiting), {"action": "accept"}), heading="Your booking"
    )
    assert "You have no offer of a place to accept." in html
    assert states(event)["Bob"] == "waiting"
    with pytest.raises(Refused):
        offer_accept(registration=waiting)


# Expiry ------------------------------------------------------------------------------------------


def test_the_sweep_ends_expired_offers_and_offers_the_place_to_the_next_once(cast, clock):
    event = make_event(cast, title="Drop-in", in_person_capacity=1)
    first = booking(event, Status.CONFIRMED, name="Ann")
    booking(event, name="Bob", email="bob@example.org")
    booking(event, name="Cat", email="cat@example.org")
    registration_cancel(registration=first, now=clock.now)

    assert offers_expire(now=clock.later(hours=23, minutes=59)) == 0
    assert states(event)["Bob"] == "offered"
    later = clock.advance(hours=24)
    assert offers_expire(now=later) == 1
    assert states(event) == {"Ann": "cancelled", "Bob": "cancelled", "Cat": "offered"}
    cat = Registration.objects.get(name="Cat")
    assert cat.offer_expires_at == later + timedelta(hours=24)
    assert offers_expire(now=later) == 0  # run twice: nothing moves again
    assert subjects("bob@example.org") == [
        "A place is free for you: Drop-in",
        "The offer of a place has passed: Drop-in",
    ]
    assert subjects("cat@example.org") == ["A place is free for you: Drop-in"]


def test_the_sweep_leaves_the_offers_of_a_cancelled_event_alone(cast, clock):
    event = make_event(cast, Event.Stage.CANCELLED, in_person_capacity=1)
    booking(event, Status.OFFERED, name="Bob", offer_expires_at=clock.ago(hours=1))
    assert offers_expire(now=clock.now) == 0
    assert states(event) == {"Bob": "offered"}
    assert Delivery.objects.count() == 0


def test_the_beat_schedule_runs_the_offer_sweep():
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "events.tasks.offers_expire_task" in names


@pytest.mark.usefixtures("postgresql_only")
@pytest.mark.django_db(transaction=True)
def test_sweeps_running_at_once_move_each_expired_offer_once(cast, clock):
    event = make_event(cast, in_person_capacity=2)
    for number in range(2):
        booking(event, Status.OFFERED, name=f"Offered {number}",
                offer_expires_at=clock.ago(minutes=5))  # fmt: skip
    for number in range(4):
        booking(event, name=f"Waits {number}")
    sweepers = 6

    def sweep() -> int:
        return offers_expire(now=clock.now)

    assert sum(at_once(*[sweep] * sweepers)) == 2
    assert states(event) == {
        "Offered 0": "cancelled", "Offered 1": "cancelled", "Waits 0": "offered",
        "Waits 1": "offered", "Waits 2": "waiting", "Waits 3": "waiting",
    }  # fmt: skip
    assert Delivery.objects.count() == 4  # two "passed", two new offers: none twice


# The officer cancels the event -------------------------------------------------------------------


def test_cancelling_the_event_tells_everyone_with_a_live_booking_once(cast, clock):
    event = make_event(cast, title="Drop-in", in_person_capacity=1)
    booking(event, Status.CONFIRMED, email="ann@example.org")
    booking(event, Status.OFFERED, email="bob@example.org", offer_expires_at=clock.later(hours=2))
    booking(event, Status.WAITING, email="cat@example.org")
    booking(event, Status.CANCELLED, email="dan@example.org")
    event_cancel(actor=cast.officer, event=event, reason="The hall flooded.", now=clock.now)
    mails = Delivery.objects.order_by("to_email")
    assert [(mail.to_email, mail.message["subject"]) for mail in mails] == [
        ("ann@example.org", "Event cancelled: Drop-in"),
        ("bob@example.org", "Event cancelled: Drop-in"),
        ("cat@example.org", "Event cancelled: Drop-in"),
    ]
    assert "The hall flooded." in mails[0].message["text"]
