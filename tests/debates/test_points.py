"""Points for and against: added by signed-in residents while the debate is open, through the
public-form guard, each field checked; endorsed once per person, which the database enforces
even when two arrive at once; participation and the consent to follow recorded in contacts; and
the pages that do it without JavaScript."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from civic.form_guard import Refused
from contacts.models import Activity, Contact
from contacts.services import consent_is_live
from debates.models import ACTIVITY_ENDORSEMENT, ACTIVITY_POINT, Debate, Endorsement, Point
from debates.services import debate_purpose, point_add, point_endorse, point_token
from tests.concurrency import at_once
from tests.debates.conftest import make_debate
from tests.factories import UserFactory
from tests.pages import ANY_HEADING, assert_page

pytestmark = pytest.mark.django_db
Stage = Debate.Stage


@pytest.fixture(autouse=True)
def _quick_points(settings):
    """Tests add points in milliseconds and from one address; the limits have tests of their own
    (tests/civic/test_form_guard.py runs them on this form's guard too)."""
    settings.CIVIC_DEBATE_POINT_MIN_SECONDS = 0
    settings.CIVIC_DEBATE_POINT_BURST = "1000/m"
    settings.CIVIC_DEBATE_POINT_SUSTAINED = "1000/h"


def drawn_token(seconds_ago: int = 60) -> str:
    return point_token(now=time.time() - seconds_ago)


def add(debate, user, **fields) -> Point:
    values = {
        "user": user,
        "debate": debate,
        "side": Point.Side.FOR,
        "text": "Fewer cars make the street safer for children.",
        "token": drawn_token(),
        "ip": "198.51.100.7",
    }
    values.update(fields)
    return point_add(**values)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_resident_adds_a_point_and_their_participation_is_recorded(cast):
    debate = make_debate(cast)
    point = add(debate, cast.resident, text="  Fewer cars   make the street safer.  ", follows=True)
    assert (point.side, point.text, point.author) == (
        Point.Side.FOR,
        "Fewer cars make the street safer.",
        cast.resident,
    )
    activity = Activity.objects.get(kind=ACTIVITY_POINT)
    assert (activity.contact.email, activity.reference) == (
        cast.resident.email,
        f"point-{point.pk}",
    )
    assert consent_is_live(contact=activity.contact, purpose=debate_purpose(debate))


def test_a_point_without_consent_records_the_participation_only(cast):
    debate = make_debate(cast)
    add(debate, cast.resident)
    contact = Contact.objects.get(email=cast.resident.email)
    assert Activity.objects.filter(contact=contact, kind=ACTIVITY_POINT).count() == 1
    assert not consent_is_live(contact=contact, purpose=debate_purpose(debate))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"text": "   "}, "text", "Enter your point"),
        ({"text": "x" * 281}, "text", "Your point must be 280 characters or fewer"),
        ({"side": "maybe"}, "side", "Choose whether your point is for or against"),
        ({"side": ""}, "side", "Choose whether your point is for or against"),
    ],
)
def test_each_field_is_checked_and_nothing_is_saved(cast, fields, field, message):
    debate = make_debate(cast)
    with pytest.raises(ValidationError) as caught:
        add(debate, cast.resident, **fields)
    assert caught.value.message_dict[field][0].startswith(message)
    assert not Point.objects.exists()
    assert not Activity.objects.exists()


@pytest.mark.parametrize("stage", [Stage.UPCOMING, Stage.CLOSED, Stage.DRAFT])
def test_points_are_taken_only_while_the_debate_is_open(cast, stage):
    debate = make_debate(cast, stage)
    with pytest.raises(Refused) as caught:
        add(debate, cast.resident)
    assert caught.value.code == "closed"
    point = Point.objects.create(debate=debate, side=Point.Side.FOR, text="An old point")
    with pytest.raises(Refused) as caught:
        point_endorse(user=cast.resident, point=point)
    assert caught.value.code == "closed"
    assert list(Point.objects.all()) == [point]
    assert not Endorsement.objects.exists()


def test_only_signed_in_residents_add_and_endorse(cast):
    debate = make_debate(cast)
    with pytest.raises(Refused) as caught:
        add(debate, AnonymousUser())
    assert caught.value.code == "sign_in"
    point = add(debate, cast.resident)
    with pytest.raises(Refused) as caught:
        point_endorse(user=AnonymousUser(), point=point)
    assert caught.value.code == "sign_in"


def test_the_guard_refuses_a_filled_honeypot_and_a_form_sent_too_fast(cast, settings):
    debate = make_debate(cast)
    with pytest.raises(Refused) as caught:
        add(debate, cast.resident, honeypot="http://spam.example")
    assert caught.value.code == "spam"
    settings.CIVIC_DEBATE_POINT_MIN_SECONDS = 30
    with pytest.raises(Refused) as caught:
        add(debate, cast.resident, token=drawn_token(seconds_ago=1))
    assert caught.value.code == "spam"
    assert not Point.objects.exists()


def test_the_guard_limits_points_from_one_address(cast, settings):
    settings.CIVIC_DEBATE_POINT_BURST = "2/m"
    debate = make_debate(cast)
    add(debate, cast.resident, ip="203.0.113.9")
    add(debate, cast.resident, ip="203.0.113.9")
    with pytest.raises(Refused) as caught:
        add(debate, cast.resident, ip="203.0.113.9")
    assert caught.value.code == "rate_limited"
    assert Point.objects.count() == 2


def test_a_resident_endorses_a_point_once(cast):
    debate = make_debate(cast)
    point = add(debate, cast.resident)
    other = UserFactory()
    endorsement = point_endorse(user=other, point=point, follows=True)
    assert endorsement.user == other
    activity = Activity.objects.get(kind=ACTIVITY_ENDORSEMENT)
    assert activity.reference == f"endorsement-{endorsement.pk}"
    assert consent_is_live(contact=activity.contact, purpose=debate_purpose(debate))
    with pytest.raises(Refused) as caught:
        point_endorse(user=other, point=point)
    assert caught.value.code == "already"
    assert Endorsement.objects.count() == 1
    assert Point.objects.with_endorsement_count().get().endorsement_count == 1


def test_the_database_refuses_a_second_endorsement_by_the_same_person(cast):
    point = add(make_debate(cast), cast.resident)
    Endorsement.objects.create(point=point, user=cast.resident)
    with pytest.raises(IntegrityError), transaction.atomic():
        Endorsement.objects.create(point=point, user=cast.resident)


@pytest.mark.django_db(transaction=True)
def test_endorsements_sent_at_the_same_moment_make_one(cast, postgresql_only):
    point = add(make_debate(cast), cast.resident)
    endorser = UserFactory()

    def send():
        point_endorse(
            user=endorser,
            point=Point.objects.select_related("debate__department").get(pk=point.pk),
        )
        return "endorsed"

    outcomes = at_once(send, send, send, send, expected=Refused)
    codes = sorted(getattr(outcome, "code", outcome) for outcome in outcomes)
    assert codes == ["already", "already", "already", "endorsed"]
    assert Endorsement.objects.filter(point=point).count() == 1


# The pages, without JavaScript ------------------------------------------------------------------


def test_the_debate_page_shows_points_in_two_columns_most_endorsed_first(client, cast):
    debate = make_debate(cast)
    safer = add(debate, cast.resident, text="Safer for children.")
    add(debate, cast.resident, text="Cleaner air.")
    add(debate, cast.resident, side=Point.Side.AGAINST, text="Shops lose trade.")
    point_endorse(user=UserFactory(), point=safer)
    html = assert_page(client.get(f"/debates/{debate.slug}/"), heading=debate.question)
    column_for = html.split('id="points-for"')[1].split("</section>")[0]
    column_against = html.split('id="points-against"')[1].split("</section>")[0]
    assert column_for.index("Safer for children.") < column_for.index("Cleaner air.")
    assert "1 endorsement" in column_for
    assert "Shops lose trade." in column_against and "Shops lose trade." not in column_for
    assert f'href="/debates/{debate.slug}/points/{safer.pk}/endorse/"' in html
    assert cast.resident.name not in html  # an author is never shown


def test_a_closed_debate_shows_its_points_without_ways_to_add_or_endorse(client, cast):
    debate = make_debate(cast, Stage.CLOSED)
    Point.objects.create(debate=debate, side=Point.Side.FOR, text="Safer for children.")
    html = assert_page(client.get(f"/debates/{debate.slug}/"), heading=debate.question)
    assert "Safer for children." in html
    assert "Add a point" not in html and "/endorse/" not in html


def test_the_debate_page_keeps_a_fixed_number_of_queries(client, cast, django_assert_num_queries):
    debate = make_debate(cast)
    add(debate, cast.resident)
    with django_assert_num_queries(3):
        client.get(f"/debates/{debate.slug}/")
    for number in range(30):
        point = add(
            debate, cast.resident, side=Point.Side.values[number % 2], text=f"Point {number}"
        )
        point_endorse(user=UserFactory(), point=point)
    with django_assert_num_queries(3):
        assert client.get(f"/debates/{debate.slug}/").status_code == 200


def test_a_resident_adds_a_point_through_the_form(cast):
    debate = make_debate(cast)
    resident = signed_in(cast.resident)
    address = f"/debates/{debate.slug}/points/add/"
    form = assert_page(resident.get(address + "?side=against"), heading="Add a point")
    assert re.search(r'value="against"\s+checked', form)  # the side chosen on the debate page
    html = assert_page(
        resident.post(address, {"side": "", "text": "", "started": drawn_token()}),
        heading="Add a point",
    )
    assert "Choose whether your point is for or against" in html and "Enter your point" in html
    assert not Point.objects.exists()
    response = resident.post(
        address, {"side": "against", "text": "Shops lose trade.", "started": drawn_token()}
    )
    assert response.status_code == 302
    assert Point.objects.get().text == "Shops lose trade."


def test_signing_in_is_asked_before_adding_or_endorsing(client, cast):
    debate = make_debate(cast)
    point = Point.objects.create(debate=debate, side=Point.Side.FOR, text="Safer.")
    for address in (
        f"/debates/{debate.slug}/points/add/",
        f"/debates/{debate.slug}/points/{point.pk}/endorse/",
    ):
        assert client.get(address).status_code == 302
        assert client.post(address, {"side": "for", "text": "x"}).status_code == 302
    assert Point.objects.count() == 1 and not Endorsement.objects.exists()


def test_a_resident_endorses_a_point_through_its_page(cast):
    debate = make_debate(cast)
    point = Point.objects.create(debate=debate, side=Point.Side.FOR, text="Safer for children.")
    resident = signed_in(cast.resident)
    address = f"/debates/{debate.slug}/points/{point.pk}/endorse/"
    html = assert_page(resident.get(address), heading="Endorse this point")
    assert "Safer for children." in html
    assert resident.post(address, {"follows": "on"}).status_code == 302
    html = assert_page(resident.get(address), heading="Endorse this point")
    assert "You endorse this point." in html
    again = assert_page(resident.post(address), heading="Endorse this point")
    assert "You already endorse this point." in again
    assert Endorsement.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"side": "<script>", "text": "x"},
        {"side": "for", "text": "\x00"},
        {"side": "for", "text": "z" * 10_000},
        {"side": "for", "text": "ok", "started": "forged"},
    ],
)
def test_hostile_input_is_answered_with_a_page_and_changes_nothing(cast, data):
    debate = make_debate(cast)
    data = {"started": drawn_token(), **data}
    response = signed_in(cast.resident).post(f"/debates/{debate.slug}/points/add/", data)
    assert response.status_code in (200, 400, 429)
    assert_page(response, heading=ANY_HEADING, status=response.status_code)
    assert not Point.objects.exists()


def test_a_point_of_another_debate_is_not_found(cast):
    debate = make_debate(cast)
    elsewhere = Point.objects.create(debate=make_debate(cast), side=Point.Side.FOR, text="x")
    response = signed_in(cast.resident).get(
        f"/debates/{debate.slug}/points/{elsewhere.pk}/endorse/"
    )
    assert response.status_code == 404
