"""What events hold about a person: their registrations are in the copy of their data, and
erasure removes who made them, cancels a booking still to come and keeps the rows."""

from __future__ import annotations

import pytest

from contacts.models import Contact
from events.gdpr import erase_registrations, export_registrations
from events.models import Registration
from tests.events.conftest import make_event
from tests.events.factories import RegistrationFactory

pytestmark = pytest.mark.django_db


def test_the_copy_holds_their_registrations_and_erasure_keeps_the_rows_without_them(cast):
    event = make_event(cast, title="Riverside drop-in")
    other_council = make_event(cast, department=cast.other_council_department)
    contact = Contact.objects.create(
        organisation=cast.council, email="Ann@Example.org", name="Ann", source="event"
    )
    mine = RegistrationFactory(
        event=event, email="ann@example.org", name="Ann Example", places=2,
        answers={"1": "Ann uses a wheelchair"},
    )  # fmt: skip
    elsewhere = RegistrationFactory(event=other_council, email="ann@example.org")
    neighbour = RegistrationFactory(event=event, email="sam@example.org")

    copy = export_registrations(contact)
    assert [(row["event"], row["name"], row["places"], row["status"]) for row in copy] == [
        ("Riverside drop-in", "Ann Example", 2, "Confirmed")
    ]
    assert copy[0]["answers"] == {"1": "Ann uses a wheelchair"}

    assert erase_registrations(contact) == 1
    mine.refresh_from_db()
    assert (mine.name, mine.email, mine.postcode, mine.answers, mine.places) == ("", "", "", {}, 2)
    assert mine.status == Registration.Status.CANCELLED
    assert mine.email_key == f"erased-{mine.pk}"
    assert export_registrations(contact) == []
    elsewhere.refresh_from_db()
    neighbour.refresh_from_db()
    assert (elsewhere.email, neighbour.email) == ("ann@example.org", "sam@example.org")
