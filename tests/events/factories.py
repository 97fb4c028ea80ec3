"""Rows of the events app for tests: an event (published, in person, registration open since
yesterday, held in a fortnight), a registration question and a registration. Made directly: the
services that make them in real life have tests of their own."""

from datetime import timedelta

import factory
from django.utils import timezone

from events.models import Event, EventQuestion, Registration
from tests.factories import DepartmentFactory


def _days(number: int, hours: int = 0):
    return factory.LazyFunction(lambda: timezone.now() + timedelta(days=number, hours=hours))


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    department = factory.SubFactory(DepartmentFactory)
    title = factory.Sequence(lambda number: f"Drop-in session {number}")
    summary = "Talk to the team about the plans for the high street."
    description = "Come along, look at the **plans** and tell us what you think."
    kind = Event.Kind.IN_PERSON
    starts_at = _days(14)
    ends_at = _days(14, hours=2)
    venue_name = "Ancoats Library"
    address = "1 Old Mill Street, Northbridge"
    postcode = "M4 6AA"
    step_free_access = True
    hearing_loop = True
    public_transport = "Bus 216 stops outside. New Islington tram stop is a 5 minute walk."
    in_person_capacity = 30
    places_limit = 4
    registration_opens_at = _days(-1)
    status = Event.Status.PUBLISHED
    published_at = _days(-2)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventQuestion

    event = factory.SubFactory(EventFactory)
    kind = EventQuestion.Kind.TEXT
    text = "How did you hear about this event?"


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda number: f"Resident {number}")
    email = factory.Sequence(lambda number: f"resident{number}@example.org")
    email_key = factory.LazyAttribute(lambda registration: registration.email.lower())
    postcode = "M4 6AA"
    status = Registration.Status.CONFIRMED
    arrival = factory.Sequence(lambda number: number + 1)
    check_in_code = factory.Sequence(lambda number: f"C{number:05d}")
