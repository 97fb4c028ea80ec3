"""Debates as open data through the API: question, background, stage, dates and the consultation
each informs; drafts only to those who run them; never a person; listed in the schema."""

from __future__ import annotations

import pytest
from django.test import Client

from debates.models import Debate
from tests.consultations.factories import ConsultationFactory
from tests.debates.conftest import make_debate

pytestmark = pytest.mark.django_db
Stage = Debate.Stage


def test_debates_are_served_with_their_stage_and_drafts_are_not(client, cast):
    consultation = ConsultationFactory(department=cast.department, slug="riverside")
    debate = make_debate(
        cast, Stage.CLOSED, question="Should every street be 20mph?", consultation=consultation
    )
    make_debate(cast, Stage.DRAFT, question="Should we sell the town hall?")
    listing = client.get("/api/v1/debates/").json()
    assert [row["question"] for row in listing["results"]] == ["Should every street be 20mph?"]
    detail = client.get(f"/api/v1/debates/{debate.slug}/").json()
    assert sorted(detail) == sorted(
        ["slug", "question", "organisation", "summary", "background", "stage", "opens_at",
         "closes_at", "consultation", "url"]
    )  # fmt: skip
    assert (detail["stage"], detail["organisation"], detail["consultation"]) == (
        "closed",
        "northbridge",
        "riverside",
    )
    assert detail["url"] == f"http://testserver/debates/{debate.slug}/"


def test_an_unpublished_consultation_is_not_named(client, cast):
    consultation = ConsultationFactory(department=cast.department, published_at=None)
    debate = make_debate(cast, consultation=consultation)
    assert client.get(f"/api/v1/debates/{debate.slug}/").json()["consultation"] is None


def test_a_draft_is_served_to_its_officer_only(cast):
    draft = make_debate(cast, Stage.DRAFT)
    assert Client().get(f"/api/v1/debates/{draft.slug}/").status_code == 404
    other = Client()
    other.force_login(cast.other_officer)
    assert other.get(f"/api/v1/debates/{draft.slug}/").status_code == 404
    officer = Client()
    officer.force_login(cast.officer)
    assert officer.get(f"/api/v1/debates/{draft.slug}/").status_code == 200


@pytest.mark.parametrize("address", ["/api/v1/debates/%3Cscript%3E/", "/api/v1/debates/?page=x"])
def test_hostile_addresses_are_refused_plainly(client, cast, address):
    make_debate(cast)
    assert client.get(address).status_code in (400, 404)


def test_the_list_keeps_a_fixed_number_of_queries(client, cast, django_assert_num_queries):
    make_debate(cast)
    with django_assert_num_queries(2):
        client.get("/api/v1/debates/")
    for _number in range(20):
        make_debate(cast, consultation=ConsultationFactory(department=cast.department))
    with django_assert_num_queries(2):
        assert client.get("/api/v1/debates/").status_code == 200


def test_the_schema_lists_the_debate_routes(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/debates/" in schema and "DebateStage" in schema
