"""Events as open data through the API: what, when and where, access information, the places
left and the calendar file; cancelled events saying so; drafts only to those who run them; never
a person nor the joining link; a fixed number of queries; listed in the schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from events.models import Event, Registration
from tests.events.conftest import make_event
from tests.events.factories import RegistrationFactory
from tests.factories import AreaFactory
from tests.pages import assert_page

pytestmark = pytest.mark.django_db
Stage = Event.Stage
Status = Registration.Status

FIELDS = [
    "id", "title", "organisation", "summary", "description", "kind", "state", "stage",
    "starts_at", "ends_at", "venue_name", "address", "postcode", "area", "access", "places",
    "places_limit", "registration_opens_at", "registration_closes_at", "cancellation_reason",
    "url", "calendar_url",
]  # fmt: skip


def test_an_event_is_served_with_its_places_left_and_nothing_about_anyone(client, cast):
    ancoats = AreaFactory(organisation=cast.council, code="E05000001", name="Ancoats")
    event = make_event(
        cast,
        title="Riverside drop-in",
        kind=Event.Kind.HYBRID,
        in_person_capacity=30,
        online_capacity=10,
        joining_link="https://meet.example.org/j/8437-riverside",
        area=ancoats,
    )
    RegistrationFactory(event=event, places=3, arrival=1, check_in_code="AAAAAA",
                        name="Priya Flintstone", email="priya@example.org")  # fmt: skip
    RegistrationFactory(event=event, places=2, arrival=2, check_in_code="CCCCCC",
                        attendance=Registration.Attendance.ONLINE)  # fmt: skip
    RegistrationFactory(event=event, places=4, arrival=3, check_in_code="DDDDDD",
                        status=Status.WAITING)  # fmt: skip
    RegistrationFactory(event=event, places=1, arrival=4, check_in_code="EEEEEE",
                        status=Status.CANCELLED)  # fmt: skip

    response = client.get(f"/api/v1/events/{event.pk}/")
    text = assert_page(response, heading=None)
    detail = response.json()
    assert sorted(detail) == sorted(FIELDS)
    assert (detail["title"], detail["organisation"], detail["state"], detail["stage"]) == (
        "Riverside drop-in",
        cast.council.slug,
        "published",
        "registering",
    )
    assert detail["places"] == {"in_person": 30, "in_person_left": 27, "online": 10,
                                "online_left": 8}  # fmt: skip
    assert detail["area"] == {"code": "E05000001", "name": "Ancoats"}
    assert detail["access"]["step_free_access"] is True
    assert detail["url"] == f"http://testserver/events/{event.pk}/"
    assert detail["calendar_url"] == f"http://testserver/events/{event.pk}/event.ics"
    for private in ("meet.example.org", "Priya", "priya@example.org", "AAAAAA", "registrations"):
        assert private not in text


def test_the_list_is_soonest_first_filters_and_says_what_is_cancelled(client, cast):
    ancoats = AreaFactory(organisation=cast.council, code="E05000001", name="Ancoats")
    later = make_event(cast, title="Later", starts_at=timezone.now() + timedelta(days=20),
                       ends_at=timezone.now() + timedelta(days=20, hours=2))  # fmt: skip
    sooner = make_event(cast, title="Sooner", area=ancoats, kind=Event.Kind.ONLINE,
                        online_capacity=5)  # fmt: skip
    cancelled = make_event(cast, Stage.CANCELLED, title="Called off")
    past = make_event(cast, Stage.PAST, title="Over")
    make_event(cast, Stage.DRAFT, title="Secret")
    elsewhere = make_event(cast, title="Eastmoor", department=cast.other_council_department)

    def titles(**filters) -> list[str]:
        response = client.get("/api/v1/events/", filters)
        assert response.status_code == 200, response.content
        return [row["title"] for row in response.json()["results"]]

    assert titles() == [past.title, sooner.title, cancelled.title, elsewhere.title, later.title]
    assert titles(when="upcoming") == [sooner.title, cancelled.title, elsewhere.title, later.title]
    assert titles(when="past") == [past.title]
    assert titles(area="E05000001") == [sooner.title]
    assert titles(kind="online") == [sooner.title]
    assert titles(organisation=cast.other_council_department.organisation.slug) == ["Eastmoor"]
    row = client.get(f"/api/v1/events/{cancelled.pk}/").json()
    assert (row["state"], row["stage"], row["cancellation_reason"]) == (
        "cancelled",
        "cancelled",
        "The hall flooded.",
    )


def test_a_draft_is_served_to_its_officer_only(cast):
    draft = make_event(cast, Stage.DRAFT)
    assert Client().get(f"/api/v1/events/{draft.pk}/").status_code == 404
    other = Client()
    other.force_login(cast.other_officer)
    assert other.get(f"/api/v1/events/{draft.pk}/").status_code == 404
    officer = Client()
    officer.force_login(cast.officer)
    response = officer.get(f"/api/v1/events/{draft.pk}/")
    assert response.status_code == 200
    assert response.json()["calendar_url"] is None


@pytest.mark.parametrize(
    "address",
    ["/api/v1/events/%3Cscript%3E/", "/api/v1/events/?page=x", "/api/v1/events/?when=soon",
     "/api/v1/events/?kind=party", "/api/v1/events/?area=%3Cb%3E"],
)  # fmt: skip
def test_hostile_addresses_are_refused_plainly(client, cast, address):
    make_event(cast)
    assert client.get(address).status_code in (400, 404)


def test_the_api_is_read_only(client, cast):
    event = make_event(cast)
    assert client.post("/api/v1/events/", {"title": "New"}).status_code == 405
    assert client.delete(f"/api/v1/events/{event.pk}/").status_code == 405
    assert Event.objects.count() == 1


def test_the_list_keeps_a_fixed_number_of_queries(client, cast, django_assert_num_queries):
    make_event(cast)
    with django_assert_num_queries(2):
        client.get("/api/v1/events/")
    for number in range(20):
        event = make_event(cast, area=AreaFactory(organisation=cast.council))
        RegistrationFactory(event=event, arrival=1, check_in_code=f"Q{number:05}")
    with django_assert_num_queries(2):
        assert client.get("/api/v1/events/").status_code == 200


def test_the_schema_lists_the_event_routes(client):
    schema = assert_page(client.get("/api/schema/", HTTP_ACCEPT="application/json"), heading=None)
    assert "/api/v1/events/" in schema and "/api/v1/events/{id}/" in schema
    assert "EventStage" in schema and "joining_link" not in schema
