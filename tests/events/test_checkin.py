"""Checking people in on the day, in the admin: the event's officers (and only they) open the
list of confirmed bookings, search it by name, type the code from the confirmation e-mail in any
case and spacing, mark people as arrived and undo it, and add walk-ins, even beyond capacity.
Coming is recorded in contacts once per booking, and every mark is audited by number."""

from __future__ import annotations

from html import unescape

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from civic.models import AuditEntry
from contacts.models import Activity, ConsentEvent, Contact
from events.models import ACTIVITY_ATTENDANCE, Event, Registration
from tests.events.conftest import make_event
from tests.events.factories import RegistrationFactory
from tests.pages import ANY_HEADING, assert_page

pytestmark = pytest.mark.django_db
Stage = Event.Stage

RUNS = {"officer", "organisation admin", "site admin"}
ROLES = [
    "anonymous",
    "resident",
    "officer",
    "officer of another department",
    "facilitator",
    "organisation admin",
    "site admin",
    "other council's officer",
    "other council's admin",
]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(event: Event, page: str = "check-in/") -> str:
    return f"/admin/events/event/{event.pk}/{page}"


@pytest.fixture
def day(cast):
    """An event under way today with three confirmed bookings, one waiting and one cancelled."""
    event = make_event(cast, title="High street public meeting", in_person_capacity=4)
    people = {
        "ada": RegistrationFactory(
            event=event, name="Ada Lovelace", check_in_code="QX47TM", places=2
        ),
        "alan": RegistrationFactory(event=event, name="Alan Turing", check_in_code="AC3D4E"),
        "grace": RegistrationFactory(event=event, name="Grace Hopper", check_in_code="HJK679"),
        "waiting": RegistrationFactory(
            event=event, name="Wendy Waiting", status="waiting", check_in_code="WWWWW3"
        ),
        "gone": RegistrationFactory(
            event=event, name="Carl Cancelled", status="cancelled", check_in_code="CCCCC3"
        ),
    }
    return event, people


@pytest.mark.parametrize("role", ROLES)
def test_only_those_who_run_the_event_check_people_in(cast, role):
    event = make_event(cast)
    user = AnonymousUser() if role == "anonymous" else cast.people[role]
    for permission in ("events.check_in_event", "events.publish_outcome"):
        assert user.has_perm(permission, event) is (role in RUNS), (role, permission)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("officer of another department", 404),
        ("other council's officer", 404),
        ("other council's admin", 404),
        ("organisation admin", 200),
        ("officer", 200),
    ],
)
def test_the_check_in_page_is_not_found_by_those_who_do_not_run_the_event(cast, day, role, status):
    event, people = day
    client = signed_in(cast.people[role])
    heading = f"Check in: {event.title}" if status == 200 else "Page not found"
    assert_page(client.get(url(event)), heading=heading, status=status)
    response = client.post(url(event), {"action": "attend", "registration": people["ada"].pk})
    assert response.status_code == (302 if status == 200 else status)
    attended = Registration.objects.filter(checked_in_at__isnull=False).count()
    assert attended == (1 if status == 200 else 0)


def test_a_resident_is_sent_to_sign_in(cast, day):
    event, _people = day
    response = signed_in(cast.resident).get(url(event))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_event_page_links_to_check_in_once_published(cast, day):
    event, _people = day
    html = assert_page(
        signed_in(cast.officer).get(f"/admin/events/event/{event.pk}/change/"), heading=ANY_HEADING
    )
    assert f'href="{url(event)}"' in html
    draft = make_event(cast, Stage.DRAFT)
    html = assert_page(
        signed_in(cast.officer).get(f"/admin/events/event/{draft.pk}/change/"), heading=ANY_HEADING
    )
    assert url(draft) not in html
    assert_page(signed_in(cast.officer).get(url(draft)), heading="Page not found", status=404)


def test_the_list_shows_confirmed_bookings_and_the_counts(cast, day):
    event, _people = day
    html = assert_page(signed_in(cast.officer).get(url(event)), heading=f"Check in: {event.title}")
    assert "Ada Lovelace" in html and "Alan Turing" in html and "Grace Hopper" in html
    assert "Wendy Waiting" not in html and "Carl Cancelled" not in html
    assert "0 of 3 bookings have arrived" in html
    assert "(0 of 4 places)" in html


def test_searching_by_name_narrows_the_list(cast, day):
    event, _people = day
    html = assert_page(
        signed_in(cast.officer).get(url(event), {"q": "  ada  "}),
        heading=f"Check in: {event.title}",
    )
    assert "Ada Lovelace" in html
    assert "Alan Turing" not in html
    html = assert_page(
        signed_in(cast.officer).get(url(event), {"q": "nobody"}),
        heading=f"Check in: {event.title}",
    )
    assert "Nobody with a confirmed booking has that name" in html


def test_a_code_typed_in_any_case_and_spacing_checks_the_person_in(cast, day, clock):
    event, people = day
    client = signed_in(cast.officer)
    response = client.post(url(event), {"action": "code", "code": " qx4 7tm "})
    assert response.status_code == 302
    ada = Registration.objects.get(pk=people["ada"].pk)
    assert ada.checked_in_at is not None
    html = assert_page(client.get(response["Location"]), heading=f"Check in: {event.title}")
    assert "Ada Lovelace is checked in." in html
    assert "1 of 3 bookings have arrived" in html
    assert "(2 of 4 places)" in html
    activity = Activity.objects.get(kind=ACTIVITY_ATTENDANCE)
    assert activity.contact.email == ada.email
    assert activity.reference == f"event-attendance-{ada.pk}"
    assert activity.item_title == event.title
    entry = AuditEntry.objects.get(summary="Marked as attended")
    assert entry.actor == cast.officer
    assert entry.object_repr == f"Registration #{ada.pk}"
    assert "Ada" not in f"{entry.object_repr} {entry.summary}"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter the check-in code from the confirmation e-mail"),
        ("ZZZZZZ", "No booking for this event has the code ZZZZZZ"),
        ("wwwww3", "The booking with the code WWWWW3 is not confirmed (on the waiting list)"),
        ("ccccc3", "The booking with the code CCCCC3 is not confirmed (cancelled)"),
    ],
)
def test_a_wrong_code_is_named_next_to_the_box_and_changes_nothing(cast, day, code, message):
    event, _people = day
    html = assert_page(
        signed_in(cast.officer).post(url(event), {"action": "code", "code": code}),
        heading=f"Check in: {event.title}",
    )
    assert "There is a problem" in html
    assert message in html
    assert not Registration.objects.filter(checked_in_at__isnull=False).exists()
    assert not Activity.objects.filter(kind=ACTIVITY_ATTENDANCE).exists()
    assert not AuditEntry.objects.filter(summary="Marked as attended").exists()


def test_marking_twice_changes_nothing_and_undo_takes_it_back(cast, day):
    event, people = day
    client = signed_in(cast.officer)
    alan = people["alan"]
    for _time in range(2):
        client.post(url(event), {"action": "attend", "registration": alan.pk})
    arrived_at = Registration.objects.get(pk=alan.pk).checked_in_at
    assert arrived_at is not None
    assert Activity.objects.filter(kind=ACTIVITY_ATTENDANCE).count() == 1
    assert AuditEntry.objects.filter(summary="Marked as attended").count() == 1

    response = client.post(url(event) + "?q=alan", {"action": "undo", "registration": alan.pk})
    assert response["Location"].endswith("?q=alan")
    assert Registration.objects.get(pk=alan.pk).checked_in_at is None
    assert not Activity.objects.filter(kind=ACTIVITY_ATTENDANCE).exists()
    assert AuditEntry.objects.filter(summary="Marked as not attended").count() == 1
    client.post(url(event), {"action": "attend", "registration": alan.pk})
    assert Activity.objects.filter(kind=ACTIVITY_ATTENDANCE).count() == 1


@pytest.mark.parametrize("registration", ["waiting", "gone", "other event", "junk"])
def test_only_a_confirmed_booking_of_this_event_can_be_marked(cast, day, registration):
    event, people = day
    other = RegistrationFactory(event=make_event(cast), name="Elsewhere")
    chosen = {"other event": other.pk, "junk": "1;drop"}.get(registration)
    chosen = chosen or people[registration].pk
    client = signed_in(cast.officer)
    response = client.post(url(event), {"action": "attend", "registration": chosen})
    assert response.status_code == 302
    assert not Registration.objects.filter(checked_in_at__isnull=False).exists()
    html = unescape(
        assert_page(client.get(response["Location"]), heading=f"Check in: {event.title}")
    )
    assert (
        "Only a confirmed booking can be marked as attended." in html
        or "That booking is not on this event's list." in html
    )


def test_a_walk_in_beyond_capacity_is_added_checked_in_and_says_so(cast, day):
    event, _people = day
    client = signed_in(cast.officer)
    html = assert_page(client.get(url(event, "check-in/walk-in/")), heading="Add a walk-in")
    assert 'name="hears_about_events"' in html
    response = client.post(
        url(event, "check-in/walk-in/"),
        {
            "name": "Walter Walkin",
            "email": "Walter@Example.org",
            "postcode": "m4 6aa",
            "hears_about_events": "on",
        },
    )
    assert response.status_code == 302
    walk_in = Registration.objects.get(name="Walter Walkin")
    assert walk_in.walk_in and walk_in.checked_in_at is not None
    assert (walk_in.status, walk_in.places, walk_in.postcode) == ("confirmed", 1, "M4 6AA")
    assert walk_in.email_key == "walter@example.org"
    html = assert_page(client.get(response["Location"]), heading=f"Check in: {event.title}")
    assert "Walter Walkin is added as a walk-in and checked in." in html
    assert "The event is now over its capacity: 5 places in person are taken of 4." in html
    assert "1 of 4 bookings have arrived" in html
    contact = Contact.objects.get(email__iexact="walter@example.org")
    assert contact.activities.get().kind == ACTIVITY_ATTENDANCE
    consent = ConsentEvent.objects.get(contact=contact)
    assert (consent.purpose.slug, consent.action) == ("council-events", "given")
    entry = AuditEntry.objects.get(summary="Added a walk-in, marked as attended")
    assert entry.object_repr == f"Registration #{walk_in.pk}"


def test_two_walk_ins_without_an_address_are_both_added_and_not_recorded(cast, day):
    event, _people = day
    client = signed_in(cast.officer)
    for name in ("First Walkin", "Second Walkin"):
        response = client.post(url(event, "check-in/walk-in/"), {"name": name})
        assert response.status_code == 302
    assert Registration.objects.filter(walk_in=True, checked_in_at__isnull=False).count() == 2
    assert not Activity.objects.filter(kind=ACTIVITY_ATTENDANCE).exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Enter their name"),
        ({"name": "Wal", "email": "not an address"}, "Enter an e-mail address like"),
        ({"name": "Wal", "postcode": "NOT A CODE"}, "Enter a real UK postcode, like M1 1AE"),
        ({"name": "Wal", "hears_about_events": "on"}, "Enter their e-mail address to tell them"),
        ({"name": "Wal", "email": "ADA@example.org"}, "Someone with this e-mail address has"),
    ],
)
def test_a_walk_in_with_a_mistake_is_named_next_to_the_field(cast, day, fields, message):
    event, people = day
    Registration.objects.filter(pk=people["ada"].pk).update(email_key="ada@example.org")
    before = Registration.objects.count()
    html = assert_page(
        signed_in(cast.officer).post(url(event, "check-in/walk-in/"), fields),
        heading="Add a walk-in",
    )
    assert "There is a problem" in html
    assert message in html
    assert Registration.objects.count() == before
    assert not AuditEntry.objects.filter(summary__contains="walk-in").exists()
