"""The event pages residents read: the list (upcoming first, past events, by area, by type and
near a postcode) in a fixed number of queries, an event's page with its access information in
plain words and its places left, and the home page's "open now"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civic import open_now
from civic.models import Postcode
from events.models import Event
from tests.events.conftest import make_event
from tests.events.factories import RegistrationFactory
from tests.factories import AreaFactory
from tests.pages import assert_page

pytestmark = pytest.mark.django_db
Stage = Event.Stage


def _titles(response) -> list[str]:
    return [event.title for event in response.context["page"].object_list]


@pytest.fixture
def wards(cast):
    ancoats = AreaFactory(organisation=cast.council, name="Ancoats")
    hulme = AreaFactory(organisation=cast.council, name="Hulme")
    Postcode.objects.create(organisation=cast.council, postcode="M4 6AA", area=ancoats)
    Postcode.objects.create(organisation=cast.council, postcode="M15 4AA", area=hulme)
    return {"ancoats": ancoats, "hulme": hulme}


def test_the_list_shows_upcoming_events_soonest_first_and_past_ones_apart(client, cast):
    now = timezone.now()
    later = make_event(
        cast,
        title="Later drop-in",
        starts_at=now + timedelta(days=20),
        ends_at=now + timedelta(days=20, hours=2),
    )
    make_event(
        cast,
        title="Sooner drop-in",
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=2),
    )
    make_event(cast, Stage.PAST, title="Last month's meeting")
    make_event(cast, Stage.CANCELLED, title="Cancelled walkabout")
    make_event(cast, Stage.DRAFT, title="Secret draft")  # fmt: skip
    response = client.get("/events/")
    html = assert_page(response, heading="Events")
    assert _titles(response) == [
        "Sooner drop-in",
        "Cancelled walkabout",
        later.title,
    ]
    assert "Secret draft" not in html
    assert "4 upcoming events" not in html and "3 upcoming events" in html
    assert _titles(client.get("/events/?when=past")) == ["Last month's meeting"]


def test_the_list_filters_by_area_type_and_a_postcode_near_me(client, cast, wards):
    make_event(cast, title="Ancoats drop-in", area=wards["ancoats"])
    make_event(cast, title="Hulme drop-in", area=wards["hulme"])
    make_event(cast, title="Online briefing", kind=Event.Kind.ONLINE, area=None,
               in_person_capacity=0, online_capacity=50)  # fmt: skip
    assert _titles(client.get(f"/events/?area={wards['hulme'].pk}")) == ["Hulme drop-in"]
    assert _titles(client.get("/events/?kind=online")) == ["Online briefing"]
    near = client.get("/events/?postcode=m46aa")
    assert _titles(near) == ["Ancoats drop-in"]
    html = assert_page(client.get("/events/?postcode=M1+1AE"), heading="Events")
    assert "We do not know which ward M1 1AE is in" in html
    html = assert_page(client.get("/events/?postcode=nonsense"), heading="Events")
    assert "Enter a real UK postcode, like M1 1AE" in html


@pytest.mark.parametrize(
    "address", ["/events/", "/events/?when=past", "/events/?kind=in_person", "/events/?page=2"]
)
def test_the_list_keeps_a_fixed_number_of_queries(
    client, cast, wards, django_assert_num_queries, address
):
    for number in range(3):
        make_event(cast, area=wards["ancoats" if number % 2 else "hulme"])
        make_event(cast, Stage.PAST)
    with django_assert_num_queries(3):
        client.get(address)
    for number in range(30):
        make_event(cast, area=wards["ancoats" if number % 2 else "hulme"])
        make_event(cast, Stage.PAST)
    with django_assert_num_queries(3):
        assert client.get(address).status_code == 200


def test_an_event_page_says_where_when_access_and_places_left_in_plain_words(client, cast):
    event = make_event(cast, title="Riverside drop-in", in_person_capacity=10)
    RegistrationFactory(event=event, places=3)
    RegistrationFactory(event=event, places=2, status="cancelled")
    html = assert_page(client.get(f"/events/{event.pk}/"), heading="Riverside drop-in")
    assert "There is step-free access to the venue and the room." in html
    assert "There is a hearing loop." in html
    assert "There is no quiet room." in html
    assert "Bus 216 stops outside." in html
    assert "7 places left" in html
    assert f'href="/events/{event.pk}/register/"' in html
    assert "Ancoats Library" in html


def test_a_full_event_offers_the_waiting_list_and_a_cancelled_one_says_why(client, cast):
    full = make_event(cast, title="Full workshop", in_person_capacity=2)
    RegistrationFactory(event=full, places=2)
    html = assert_page(client.get(f"/events/{full.pk}/"), heading="Full workshop")
    assert "Full: you can join the waiting list" in html
    cancelled = make_event(cast, Stage.CANCELLED, title="Walkabout")
    html = assert_page(client.get(f"/events/{cancelled.pk}/"), heading="Walkabout")
    assert "This event is cancelled." in html and "The hall flooded." in html
    assert f'href="/events/{cancelled.pk}/register/"' not in html


def test_the_online_link_is_never_on_the_public_page(client, cast):
    event = make_event(cast, title="Briefing", kind=Event.Kind.ONLINE, online_capacity=50,
                       joining_link="https://meet.example.org/secret-room")  # fmt: skip
    html = assert_page(client.get(f"/events/{event.pk}/"), heading="Briefing")
    assert "You get the link to join once you have a place." in html
    assert "secret-room" not in html


def test_a_draft_is_not_found_for_residents(client, cast):
    draft = make_event(cast, Stage.DRAFT)
    assert client.get(f"/events/{draft.pk}/").status_code == 404
    assert client.get(f"/events/{draft.pk}/register/").status_code == 404


def test_an_event_page_takes_three_queries(client, cast, django_assert_num_queries):
    event = make_event(cast)
    for _number in range(5):
        RegistrationFactory(event=event)
    # The event with its department and area, the places held (nothing it belongs to).
    with django_assert_num_queries(2):
        assert client.get(f"/events/{event.pk}/").status_code == 200


def test_open_now_lists_events_taking_registrations_in_one_query(cast, django_assert_num_queries):
    registering = make_event(cast, title="Drop-in")
    make_event(cast, Stage.PAST)
    make_event(cast, Stage.ANNOUNCED)
    make_event(cast, Stage.DRAFT)
    make_event(cast, Stage.CANCELLED)
    section = dict((section.key, section) for section, _items in open_now.sections())["events"]
    with django_assert_num_queries(1):
        items = section.items(organisation=None, limit=5)
    assert [item.title for item in items] == [registering.title]
    assert items[0].url == f"/events/{registering.pk}/"
    assert "Registration is open until" in items[0].status
    assert section.items(organisation=cast.other_council, limit=5) == []
