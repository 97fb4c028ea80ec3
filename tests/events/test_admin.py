"""The officers' side in the admin: an event is made with its type first and then shows only the
fields that apply; what it belongs to is chosen from a list of the council's own; a series makes
one event per area at once; publishing is a button leading to a check; cancelling asks why; only
those who run an event see or change it; all of it audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from civic.models import AuditEntry, Postcode
from events.models import Event, EventSeries
from events.services import event_cancel, event_publish
from tests.consultations.factories import ConsultationFactory
from tests.events.conftest import make_event
from tests.factories import AreaFactory
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


@pytest.mark.parametrize("role", ROLES)
def test_the_permission_matrix(cast, role):
    event = make_event(cast, Stage.DRAFT)
    user = AnonymousUser() if role == "anonymous" else cast.people[role]
    for permission in [
        "events.view_event",
        "events.change_event",
        "events.publish_event",
        "events.cancel_event",
        "events.view_registration",
        "events.add_eventquestion",
    ]:
        assert user.has_perm(permission, event) is (role in RUNS), (role, permission)
    deletes = role in {"organisation admin", "site admin"}
    assert user.has_perm("events.delete_event", event) is deletes
    # Registrations are residents': nobody edits them in the admin (a superuser holds every
    # permission, and the read-only admin refuses them there).
    for action in ("add", "change", "delete"):
        assert user.has_perm(f"events.{action}_registration", event) is (role == "site admin")
    assert user.has_perm("events") is (role not in {"anonymous", "resident"})


def _basics(cast, **fields) -> dict:
    return {
        "department": cast.department.pk,
        "title": "Riverside drop-in",
        "summary": "Talk to us about the riverside path.",
        "description": "Maps and the team.",
        "kind": Event.Kind.IN_PERSON,
        "starts_at_0": "2030-03-20",
        "starts_at_1": "18:00",
        "ends_at_0": "2030-03-20",
        "ends_at_1": "20:00",
        **fields,
    }


def test_a_new_event_asks_its_type_first_and_then_shows_only_the_fields_that_apply(cast):
    officer = signed_in(cast.officer)
    form = assert_page(officer.get("/admin/events/event/add/"), heading=ANY_HEADING)
    assert 'name="kind"' in form
    assert 'name="joining_link"' not in form
    assert 'name="venue_name"' not in form
    response = officer.post("/admin/events/event/add/", _basics(cast))
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.status, event.department, event.kind) == (
        Event.Status.DRAFT,
        cast.department,
        Event.Kind.IN_PERSON,
    )
    assert AuditEntry.objects.get(action=AuditEntry.Action.CREATE).actor == cast.officer
    page = assert_page(officer.get(f"/admin/events/event/{event.pk}/change/"), heading=ANY_HEADING)
    assert 'name="venue_name"' in page and 'name="hearing_loop"' in page
    assert 'name="joining_link"' not in page and 'name="online_capacity"' not in page

    online = make_event(cast, Stage.DRAFT, kind=Event.Kind.ONLINE)
    page = assert_page(officer.get(f"/admin/events/event/{online.pk}/change/"), heading=ANY_HEADING)
    assert 'name="joining_link"' in page
    assert 'name="venue_name"' not in page and 'name="step_free_access"' not in page


def test_an_end_before_the_start_is_named_next_to_the_field(cast):
    officer = signed_in(cast.officer)
    response = officer.post(
        "/admin/events/event/add/", _basics(cast, ends_at_0="2030-03-19", ends_at_1="20:00")
    )
    html = assert_page(response, heading=ANY_HEADING)
    assert "The end must be after the start" in html
    assert not Event.objects.exists()


def test_the_venue_postcode_finds_its_area_and_the_item_is_chosen_from_a_list(cast):
    ward = AreaFactory(organisation=cast.council, name="Ancoats")
    Postcode.objects.create(organisation=cast.council, postcode="M4 6AA", area=ward)
    own = ConsultationFactory(department=cast.department, title="Riverside path")
    ConsultationFactory(department=cast.other_council_department, title="Eastmoor market")
    event = make_event(cast, Stage.DRAFT, postcode="")
    officer = signed_in(cast.officer)
    change = f"/admin/events/event/{event.pk}/change/"
    page = assert_page(officer.get(change), heading=ANY_HEADING)
    assert "Riverside path" in page
    assert "Eastmoor market" not in page  # another council's is not offered
    content_type = ContentType.objects.get_for_model(own)
    data = {
        **_basics(cast),
        "venue_name": "Ancoats Library",
        "address": "1 Old Mill Street",
        "postcode": "m46aa",
        "in_person_capacity": "30",
        "places_limit": "2",
        "registration_opens_at_0": "2030-03-01",
        "registration_opens_at_1": "09:00",
        "part_of": f"{content_type.pk}:{own.pk}",
        "questions-TOTAL_FORMS": "0",
        "questions-INITIAL_FORMS": "0",
    }
    response = officer.post(change, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    event.refresh_from_db()
    assert (event.postcode, event.area, event.part_of_id) == ("M4 6AA", ward, own.pk)
    data["part_of"] = f"{content_type.pk}:999999"
    html = assert_page(officer.post(change, data), heading=ANY_HEADING)
    assert "Select a valid choice" in html
    event.refresh_from_db()
    assert event.part_of_id == own.pk


def test_publishing_lists_what_stops_it_then_publishes_once(cast, clock):
    event = make_event(cast, Stage.DRAFT, venue_name="", registration_opens_at=None)
    officer = signed_in(cast.officer)
    change = f"/admin/events/event/{event.pk}/change/"
    page = f"/admin/events/event/{event.pk}/publish/"
    assert f'href="{page}"' in officer.get(change).content.decode()
    html = officer.get(page).content.decode()
    assert f'<a href="{change}#id_venue_name">Enter the name of the venue</a>' in html
    assert f'<a href="{change}#id_registration_opens_at_0">Enter the date registration' in html
    officer.post(page)
    event.refresh_from_db()
    assert event.status == Event.Status.DRAFT

    Event.objects.filter(pk=event.pk).update(
        venue_name="Ancoats Library", registration_opens_at=clock.now
    )
    assert "Publish the event" in officer.get(page).content.decode()
    assert officer.post(page).status_code == 302
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PUBLISH)
    assert (entry.actor, entry.object_repr) == (cast.officer, f"Event #{event.pk}")
    with pytest.raises(ValidationError) as caught:
        event_publish(actor=cast.officer, event=event)
    assert caught.value.messages == ["This event is already published."]


def test_an_unpublished_consultation_stops_publishing(cast):
    consultation = ConsultationFactory(department=cast.department, published_at=None)
    content_type = ContentType.objects.get_for_model(consultation)
    event = make_event(cast, Stage.DRAFT, part_of_type=content_type, part_of_id=consultation.pk)
    with pytest.raises(ValidationError) as caught:
        event_publish(actor=cast.officer, event=event)
    assert caught.value.message_dict["part_of"] == [
        f"Publish “{consultation.title}” first, or choose another"
    ]


def test_cancelling_asks_why_and_keeps_the_event_on_show(cast, clock):
    event = make_event(cast)
    officer = signed_in(cast.officer)
    page = f"/admin/events/event/{event.pk}/cancel/"
    html = assert_page(officer.post(page, {"reason": ""}), heading=ANY_HEADING)
    assert "This field is required" in html
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED
    assert officer.post(page, {"reason": "The hall  flooded."}).status_code == 302
    event.refresh_from_db()
    assert (event.status, event.cancellation_reason) == (
        Event.Status.CANCELLED,
        "The hall flooded.",
    )
    assert AuditEntry.objects.get(action=AuditEntry.Action.CLOSE).actor == cast.officer


@pytest.mark.parametrize(
    "role", ["resident", "officer of another department", "facilitator", "other council's admin"]
)
def test_only_those_who_run_the_event_publish_or_cancel_it(cast, role):
    draft = make_event(cast, Stage.DRAFT)
    published = make_event(cast)
    with pytest.raises(PermissionDenied):
        event_publish(actor=cast.people[role], event=draft)
    with pytest.raises(PermissionDenied):
        event_cancel(actor=cast.people[role], event=published, reason="No")
    draft.refresh_from_db()
    published.refresh_from_db()
    assert (draft.status, published.status) == (Event.Status.DRAFT, Event.Status.PUBLISHED)
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    "role", ["officer of another department", "other council's officer", "other council's admin"]
)
def test_the_admin_shows_others_nothing_and_answers_404_for_an_event(cast, role):
    event = make_event(cast, Stage.DRAFT, title="Selling the town hall")
    client = signed_in(cast.people[role])
    listing = client.get("/admin/events/event/")
    if listing.status_code == 200:
        assert_page(listing, heading=ANY_HEADING)
        assert "Selling the town hall" not in listing.content.decode()
    else:
        assert listing.status_code in (403, 404)
    for address in ("change", "publish", "cancel"):
        assert client.get(f"/admin/events/event/{event.pk}/{address}/").status_code == 404
    assert client.post(f"/admin/events/event/{event.pk}/publish/").status_code == 404
    event.refresh_from_db()
    assert event.status == Event.Status.DRAFT
    assert not AuditEntry.objects.exists()


def test_a_series_makes_one_draft_event_per_area_at_once_and_is_audited(cast):
    wards = [AreaFactory(organisation=cast.council, name=name) for name in ("Ancoats", "Hulme")]
    AreaFactory(organisation=cast.other_council, name="Eastmoor Central")
    officer = signed_in(cast.officer)
    form = assert_page(officer.get("/admin/events/eventseries/add/"), heading=ANY_HEADING)
    assert "Hulme" in form and "Eastmoor Central" not in form
    response = officer.post(
        "/admin/events/eventseries/add/",
        {
            "department": cast.department.pk,
            "title": "Budget drop-in",
            "areas": [ward.pk for ward in wards],
            "summary": "Tell us what matters in your ward.",
            "kind": Event.Kind.IN_PERSON,
            "starts_at_0": "2030-04-02",
            "starts_at_1": "18:00",
            "ends_at_0": "2030-04-02",
            "ends_at_1": "19:30",
        },
    )
    assert response.status_code == 302
    series = EventSeries.objects.get()
    events = list(series.events.order_by("title"))
    assert [(event.title, event.area, event.status) for event in events] == [
        ("Budget drop-in: Ancoats", wards[0], Event.Status.DRAFT),
        ("Budget drop-in: Hulme", wards[1], Event.Status.DRAFT),
    ]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE).count() == 3
