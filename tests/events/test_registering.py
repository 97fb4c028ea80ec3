"""Registering for an event without an account: the questions, places up to the limit, a place
confirmed while there are places and the waiting list after, in arrival order even when many
register for the last places at once; a repeat that looks like a first; the e-mails through the
mailing engine; the booking's page from the signed link, where only the POST cancels."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from civic.form_guard import Refused
from contacts.models import Activity, ConsentEvent
from events.models import Event, EventQuestion, Registration
from events.services import registration_cancel, registration_make
from events.services.registering import CODE_ALPHABET, CODE_LENGTH, field_name
from mailing.models import Delivery
from tests.concurrency import at_once
from tests.events.conftest import drawn_token, make_event
from tests.events.factories import QuestionFactory, RegistrationFactory
from tests.pages import assert_page

pytestmark = pytest.mark.django_db
Status = Registration.Status


def register(event, *, name="Ann Example", email="ann@example.org", postcode="m4 6aa", **more):
    return registration_make(
        event=event,
        name=name,
        email=email,
        postcode=postcode,
        started=more.pop("started", drawn_token()),
        **more,
    )


def manage_link(delivery: Delivery) -> str:
    return next(
        line.strip() for line in delivery.message["text"].splitlines() if "/bookings/" in line
    )


def test_a_registration_with_answers_is_confirmed_and_e_mailed_with_its_link(cast):
    event = make_event(cast, title="Riverside drop-in")
    access = QuestionFactory(event=event, kind=EventQuestion.Kind.ACCESS, text="")
    travel = QuestionFactory(
        event=event, kind=EventQuestion.Kind.CHOICE, text="How will you travel?",
        choices="Walking\nBus\nCar", required=True,
    )  # fmt: skip
    registered = register(
        event,
        places=2,
        answers={field_name(access): "I use a wheelchair", field_name(travel): "Bus"},
    )
    booking = registered.registration
    assert (booking.status, booking.places, booking.postcode, booking.arrival) == (
        Status.CONFIRMED,
        2,
        "M4 6AA",
        1,
    )
    assert booking.answers == {str(access.pk): "I use a wheelchair", str(travel.pk): "Bus"}
    assert len(booking.check_in_code) == CODE_LENGTH
    assert set(booking.check_in_code) <= set(CODE_ALPHABET)
    mail = Delivery.objects.get()
    assert (mail.to_email, mail.message["subject"]) == (
        "ann@example.org",
        "Your place is booked: Riverside drop-in",
    )
    assert booking.check_in_code in mail.message["text"]
    assert "/events/bookings/" in manage_link(mail)
    activity = Activity.objects.get()
    assert (activity.kind, activity.contact.email) == ("event_register", "ann@example.org")


def test_consent_to_hear_about_future_events_is_recorded_only_when_given(cast):
    event = make_event(cast)
    register(event, email="ann@example.org")
    assert not ConsentEvent.objects.exists()
    register(event, email="sam@example.org", hears_about_events=True)
    consent = ConsentEvent.objects.get()
    assert (consent.contact.email, consent.purpose.slug) == ("sam@example.org", "council-events")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": " "}, "name", "Enter your name"),
        ({"email": "ann-at-example"}, "email",
         "Enter an e-mail address in the correct format, like name@example.com"),
        ({"postcode": "nowhere"}, "postcode", "Enter a real UK postcode, like M1 1AE"),
        ({"places": 5}, "places", "Enter a number of places from 1 to 4"),
        ({"places": 0}, "places", "Enter a number of places from 1 to 4"),
    ],
)  # fmt: skip
def test_what_is_wrong_is_named_by_field_and_nothing_is_stored(cast, fields, field, message):
    event = make_event(cast)
    with pytest.raises(ValidationError) as caught:
        register(event, **fields)
    assert caught.value.message_dict[field] == [message]
    assert not Registration.objects.exists()
    assert not Delivery.objects.exists()


def test_a_required_question_and_a_choice_off_the_list_are_refused(cast):
    event = make_event(cast)
    travel = QuestionFactory(
        event=event, kind=EventQuestion.Kind.CHOICE, text="How will you travel?",
        choices="Walking\nBus", required=True,
    )  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        register(event)
    assert caught.value.message_dict[field_name(travel)] == ["Answer “How will you travel?”"]
    with pytest.raises(ValidationError) as caught:
        register(event, answers={field_name(travel): "Helicopter"})
    assert caught.value.message_dict[field_name(travel)] == ["Choose an answer from the list"]
    assert not Registration.objects.exists()


def test_a_hybrid_event_asks_how_you_take_part_and_counts_each_way_apart(cast):
    event = make_event(cast, kind=Event.Kind.HYBRID, in_person_capacity=1, online_capacity=5,
                       joining_link="https://meet.example.org/room")  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        register(event, attendance="")
    assert caught.value.message_dict["attendance"] == [
        "Choose whether you will come in person or join online"
    ]
    first = register(event, email="a@example.org", attendance="in_person").registration
    second = register(event, email="b@example.org", attendance="in_person").registration
    third = register(event, email="c@example.org", attendance="online").registration
    assert [first.status, second.status, third.status] == [
        Status.CONFIRMED,
        Status.WAITING,
        Status.CONFIRMED,
    ]


def test_once_full_people_wait_in_arrival_order_and_nobody_jumps_the_queue(cast):
    event = make_event(cast, in_person_capacity=3, title="Workshop")
    statuses = [
        register(event, email="a@example.org", places=2).registration.status,
        register(event, email="b@example.org", places=2).registration.status,  # 1 left: waits
        register(event, email="c@example.org", places=1).registration.status,  # fits, but b waits
    ]
    assert statuses == [Status.CONFIRMED, Status.WAITING, Status.WAITING]
    waiting = list(event.registrations.waiting().values_list("email", "arrival"))
    assert waiting == [("b@example.org", 2), ("c@example.org", 3)]
    assert (
        Delivery.objects.filter(message__subject="You are on the waiting list: Workshop").count()
        == 2
    )


def test_a_repeat_registration_looks_like_a_first_and_tells_the_address_owner(cast):
    event = make_event(cast, title="Drop-in")
    first = register(event, email="ann@example.org")
    again = register(event, name="Someone Else", email="ANN@example.org", places=3)
    assert again.repeat and again.registration.pk == first.registration.pk
    assert Registration.objects.count() == 1
    assert Registration.objects.get().places == 1
    subjects = list(Delivery.objects.order_by("pk").values_list("message__subject", flat=True))
    assert subjects == ["Your place is booked: Drop-in", "You already have a booking: Drop-in"]
    for _attempt in range(4):
        assert register(event, email="ann@example.org").repeat
    # The owner hears of three attempts at most: the form cannot be used to flood a mailbox.
    assert Delivery.objects.count() == 1 + 3


@pytest.mark.parametrize(
    ("stage", "reason"),
    [(Event.Stage.ANNOUNCED, "closed"), (Event.Stage.PAST, "closed"),
     (Event.Stage.CANCELLED, "closed")],
)  # fmt: skip
def test_registration_is_refused_outside_its_dates_and_for_a_cancelled_event(cast, stage, reason):
    event = make_event(cast, stage)
    with pytest.raises(Refused) as caught:
        register(event)
    assert caught.value.code == reason
    assert not Registration.objects.exists()


def test_the_honeypot_and_a_form_filled_too_fast_are_refused_as_spam(cast):
    event = make_event(cast)
    with pytest.raises(Refused) as caught:
        register(event, honeypot="http://spam.example")
    assert caught.value.code == "spam"
    with pytest.raises(Refused) as caught:
        register(event, started=drawn_token(seconds_ago=0))
    assert caught.value.code == "spam"
    assert not Registration.objects.exists()
    assert not Delivery.objects.exists()


@pytest.mark.usefixtures("postgresql_only")
@pytest.mark.django_db(transaction=True)
def test_many_people_registering_for_the_last_places_at_once_never_overbook(cast):
    """Twenty-four people race for the last five places: exactly the capacity is confirmed, the
    rest wait, and arrival numbers run without a gap, so the waiting list is in the order the
    registrations were decided; those who register afterwards join its end."""
    event = make_event(cast, in_person_capacity=20)
    for number in range(15):
        RegistrationFactory(event=event, arrival=number + 1, email=f"early{number}@example.org")
    racers = 24

    def attempt(number: int):
        return lambda: register(event, email=f"racer{number}@example.org")

    at_once(*[attempt(number) for number in range(racers)])
    late = register(event, email="late@example.org").registration

    registrations = Registration.objects.filter(event=event)
    confirmed = registrations.filter(status=Status.CONFIRMED)
    assert sum(confirmed.values_list("places", flat=True)) == 20
    assert registrations.filter(status=Status.WAITING).count() == racers - 5 + 1
    arrivals = sorted(registrations.values_list("arrival", flat=True))
    assert arrivals == list(range(1, 15 + racers + 2))
    racing_confirmed = sorted(
        confirmed.filter(email__startswith="racer").values_list("arrival", flat=True)
    )
    waiting = list(registrations.waiting().values_list("arrival", flat=True))
    assert racing_confirmed == [16, 17, 18, 19, 20]  # the first five to take the lock
    assert waiting == list(range(21, 15 + racers + 2))
    assert waiting[-1] == late.arrival
    assert Delivery.objects.count() == racers + 1  # one e-mail each, none twice


# The booking's page, from the e-mailed link ------------------------------------------------------


def test_the_link_opens_the_booking_and_only_its_post_cancels(cast, client):
    event = make_event(cast, title="Drop-in", in_person_capacity=1)
    booking = register(event).registration
    link = manage_link(Delivery.objects.get())
    path = link.split("://", 1)[1].split("/", 1)[1]
    html = assert_page(client.get(f"/{path}"), heading="Your booking")
    assert booking.check_in_code in html and "Cancel my booking" in html
    booking.refresh_from_db()
    assert booking.status == Status.CONFIRMED  # opening the link changed nothing
    html = assert_page(client.post(f"/{path}"), heading="Your booking is cancelled")
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_at is not None) == (Status.CANCELLED, True)
    assert (
        Delivery.objects.filter(message__subject="Your booking is cancelled: Drop-in").count() == 1
    )
    client.post(f"/{path}")  # again: nothing more happens
    assert Delivery.objects.count() == 2
    # The place is free again.
    assert register(event, email="sam@example.org").registration.status == Status.CONFIRMED


def test_an_altered_link_finds_nothing(cast, client):
    event = make_event(cast)
    register(event)
    link = manage_link(Delivery.objects.get())
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert client.get(path.rstrip("/") + "x/").status_code == 404
    assert client.post(path.rstrip("/") + "x/").status_code == 404
    assert Registration.objects.get().status == Status.CONFIRMED


def test_the_joining_link_is_shown_only_on_a_confirmed_online_booking(cast, client):
    event = make_event(cast, kind=Event.Kind.ONLINE, in_person_capacity=0, online_capacity=1,
                       joining_link="https://meet.example.org/room-42")  # fmt: skip
    register(event, email="a@example.org")
    register(event, email="b@example.org")
    first, second = (manage_link(mail) for mail in Delivery.objects.order_by("pk"))
    html = assert_page(client.get("/" + first.split("/", 3)[3]), heading="Your booking")
    assert "https://meet.example.org/room-42" in html
    html = assert_page(client.get("/" + second.split("/", 3)[3]), heading="Your booking")
    assert "On the waiting list" in html
    assert "room-42" not in html


def test_cancelling_a_cancelled_booking_is_refused(cast):
    event = make_event(cast)
    booking = register(event).registration
    registration_cancel(registration=booking)
    with pytest.raises(ValidationError):
        registration_cancel(registration=booking)


# The form ---------------------------------------------------------------------------------------


def test_the_form_registers_and_leads_to_check_your_e_mail(cast, client):
    event = make_event(cast, title="Drop-in")
    form = assert_page(
        client.get(f"/events/{event.pk}/register/"), heading="Register for this event"
    )
    assert 'name="website"' in form and 'name="started"' in form
    response = client.post(
        f"/events/{event.pk}/register/",
        {"name": "Ann Example", "email": "ann@example.org", "postcode": "M4 6AA",
         "places": "1", "started": drawn_token()},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"/events/{event.pk}/registered/"
    assert_page(client.get(response["Location"]), heading="Check your e-mail")
    assert Registration.objects.get().email == "ann@example.org"


def test_the_form_names_each_problem_next_to_its_field_and_in_a_summary(cast, client):
    event = make_event(cast)
    response = client.post(
        f"/events/{event.pk}/register/",
        {"name": "", "email": "nope", "postcode": "", "places": "1", "started": drawn_token()},
    )
    html = assert_page(response, heading="Register for this event")
    assert "There is a problem" in html
    for message in ["Enter your name", "Enter your postcode",
                    "Enter an e-mail address in the correct format"]:  # fmt: skip
        assert html.count(message) == 2, message  # in the summary and next to the field
    response = client.post(
        f"/events/{event.pk}/register/",
        {"name": "Ann", "email": "ann@example.org", "postcode": "M4 6AA", "places": "9",
         "started": drawn_token()},
    )  # fmt: skip
    html = assert_page(response, heading="Register for this event")
    assert html.count("Choose how many places from the list") == 2
    assert not Registration.objects.exists()
