"""Petitions as open data: /petitions.json and /petitions/<id>.json (kept in the cache for a few
seconds, so that a viral petition's JSON does not read the database on every request) and the
same data through the API under /api/v1/petitions/, listed in the OpenAPI schema. Never who
signed or who started a petition."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from petitions.models import Petition
from tests.pages import assert_page
from tests.petitions.conftest import add_signatures, make_petition

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
PERSONAL = ("Cara Creator", "creator@example.org", "Signer 0", "signer0@example.org", "M4 6AA")


@pytest.fixture
def petitions(council) -> dict[str, Petition]:
    now = timezone.now()
    counted = datetime(2026, 12, 1, 17, 0, tzinfo=LONDON)
    debated = make_petition(
        council,
        title="Plant more trees on Oxford Road",
        area=council.ancoats,
        opened_at=datetime(2026, 11, 1, 12, tzinfo=LONDON),
        closes_at=datetime(2027, 5, 2, 12, tzinfo=LONDON),
        signature_count=25,
        counted_at=counted,
        ward_counts=[[council.ancoats.pk, "Ancoats", 20], [None, "Outside the council's wards", 5]],
        response_due_at=now,
        debate_due_at=now,
        response="We will plant 200 trees.",
        responded_at=datetime(2026, 11, 20, 10, tzinfo=LONDON),
        debate_date=date(2026, 11, 30),
        debated_at=datetime(2026, 12, 1, 9, tzinfo=LONDON),
        debate_summary="Agreed.",
        debate_minutes_url="https://council.example/minutes",
        debate_video_url="https://video.example/debate",
    )
    add_signatures(debated, 3, area=council.ancoats)
    return {
        "debated": debated,
        "open": make_petition(council, title="Open petition", signature_count=12,
                              response_due_at=now, opened_days_ago=2),
        "rejected": make_petition(council, title="Rejected petition",
                                  status=Petition.Status.REJECTED,
                                  rejection_reason=Petition.Reason.DUPLICATE,
                                  rejection_details="There is one already.",
                                  moderated_at=now - timedelta(days=40)),
        "hidden": make_petition(council, title="Hidden petition", status=Petition.Status.HIDDEN),
        "removed": make_petition(council, title="Removed petition",
                                 status=Petition.Status.REMOVED),
        "sponsoring": make_petition(council, title="Sponsoring petition",
                                    status=Petition.Status.SPONSORING),
    }  # fmt: skip


def test_the_list_json_has_the_published_and_rejected_petitions(client, petitions):
    response = client.get("/petitions.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert (data["count"], data["next"], data["previous"]) == (3, None, None)
    assert [row["title"] for row in data["results"]] == [
        "Open petition",
        "Plant more trees on Oxford Road",
        "Rejected petition",
    ]
    debated = data["results"][1]
    assert debated == {
        "id": petitions["debated"].pk,
        "title": "Plant more trees on Oxford Road",
        "organisation": "northbridge",
        "area": {"code": "E05000001", "name": "Ancoats"},
        "state": "open",
        "stage": "debated",
        "stage_label": "Debated",
        "signature_count": 25,
        "counted_at": "2026-12-01T17:00:00Z",
        "opened_at": "2026-11-01T12:00:00Z",
        "closes_at": "2027-05-02T12:00:00+01:00",
        "url": f"http://testserver/petitions/{petitions['debated'].pk}/",
    }
    assert data["results"][2]["stage"] == "rejected"
    assert_page(response, heading=None)
    for text in PERSONAL:
        assert text not in response.content.decode()


def test_the_list_json_pages_with_a_link_to_the_next(client, council):
    for number in range(51):
        make_petition(council, title=f"Petition {number}", opened_days_ago=number + 1)

    first = client.get("/petitions.json").json()
    second = client.get(first["next"]).json()

    assert first["count"] == 51
    assert len(first["results"]) == 50
    assert first["next"] == "http://testserver/petitions.json?page=2"
    assert [row["title"] for row in second["results"]] == ["Petition 50"]
    assert (second["next"], second["previous"]) == (
        None,
        "http://testserver/petitions.json?page=1",
    )
    assert client.get("/petitions.json?page=3").status_code == 404


def test_a_petitions_json_has_its_counts_thresholds_answer_and_wards(client, petitions):
    response = client.get(f"/petitions/{petitions['debated'].pk}.json")

    assert response.status_code == 200
    data = response.json()
    assert data["stage"] == "debated"
    assert data["state"] == "open"
    assert data["signature_count"] == 25
    assert data["counted_at"] == "2026-12-01T17:00:00Z"
    assert data["background"] == "The road has too few trees and too much traffic."
    assert data["thresholds"] == [
        {"kind": "response", "signatures": 10, "reached": True},
        {"kind": "debate", "signatures": 20, "reached": True},
    ]
    assert data["response"] == {
        "text": "We will plant 200 trees.",
        "responded_at": "2026-11-20T10:00:00Z",
    }
    assert data["debate"] == {
        "date": "2026-11-30",
        "summary": "Agreed.",
        "minutes_url": "https://council.example/minutes",
        "video_url": "https://video.example/debate",
        "debated_at": "2026-12-01T09:00:00Z",
    }
    assert data["rejection"] is None
    assert data["signatures_by_ward"] == [
        {"area_code": "E05000001", "area_name": "Ancoats", "count": 20},
        {"area_code": None, "area_name": "Outside the council's wards", "count": 5},
    ]
    assert_page(response, heading=None)
    for text in PERSONAL:
        assert text not in response.content.decode()
    for key in ("creator", "creator_name", "email", "signatures", "removed_reason"):
        assert key not in data


def test_a_petition_not_yet_at_a_threshold_says_which_it_reached(client, petitions):
    data = client.get(f"/petitions/{petitions['open'].pk}.json").json()

    assert data["stage"] == "awaiting_response"
    assert [row["reached"] for row in data["thresholds"]] == [True, False]
    assert (data["response"], data["debate"]) == (None, None)


def test_a_rejected_petitions_json_gives_the_reason(client, petitions):
    data = client.get(f"/petitions/{petitions['rejected'].pk}.json").json()

    assert data["stage"] == "rejected"
    assert data["rejection"] == {
        "reason": "duplicate",
        "reason_label": "There is already a petition about this",
        "explanation": "There is one already.",
    }
    assert data["thresholds"] == []


def test_unpublished_hidden_and_removed_petitions_have_no_json(client, petitions):
    assert client.get(f"/petitions/{petitions['hidden'].pk}.json").status_code == 404
    assert client.get(f"/petitions/{petitions['sponsoring'].pk}.json").status_code == 404
    assert client.get(f"/petitions/{petitions['removed'].pk}.json").status_code == 410
    assert client.get("/petitions/999999.json").status_code == 404


def test_a_petitions_json_is_served_from_the_cache_for_a_few_seconds(
    client, petitions, django_assert_num_queries
):
    url = f"/petitions/{petitions['debated'].pk}.json"
    first = client.get(url)
    Petition.objects.filter(pk=petitions["debated"].pk).update(signature_count=26)

    with django_assert_num_queries(0):
        second = client.get(url)

    assert second.json() == first.json()
    assert second.json()["signature_count"] == 25  # a few seconds old, as the count is
    assert second["Cache-Control"] == "public, max-age=5"
    cache.clear()  # as when the few seconds have passed
    assert client.get(url).json()["signature_count"] == 26


def test_the_list_json_is_served_from_the_cache_too(client, petitions, django_assert_num_queries):
    first = client.get("/petitions.json")

    with django_assert_num_queries(0):
        second = client.get("/petitions.json")

    assert second.json() == first.json()


def test_the_api_lists_the_same_petitions_and_filters_them(client, petitions):
    listed = client.get("/api/v1/petitions/").json()
    debated = client.get("/api/v1/petitions/", {"stage": "debated"}).json()
    rejected = client.get("/api/v1/petitions/", {"stage": "rejected"}).json()
    in_area = client.get("/api/v1/petitions/", {"area": "E05000001"}).json()

    assert listed["results"] == client.get("/petitions.json").json()["results"]
    assert [row["title"] for row in debated["results"]] == ["Plant more trees on Oxford Road"]
    assert [row["title"] for row in rejected["results"]] == ["Rejected petition"]
    assert [row["title"] for row in in_area["results"]] == ["Plant more trees on Oxford Road"]


def test_the_api_gives_one_petition_as_its_json_does(client, petitions):
    petition = petitions["debated"]

    response = client.get(f"/api/v1/petitions/{petition.pk}/")

    assert_page(response, heading=None)
    assert response.json() == client.get(f"/petitions/{petition.pk}.json").json()
    for text in PERSONAL:
        assert text not in response.content.decode()
    for hidden in ("hidden", "removed", "sponsoring"):
        assert client.get(f"/api/v1/petitions/{petitions[hidden].pk}/").status_code == 404


def test_the_api_is_read_only(client, petitions):
    url = f"/api/v1/petitions/{petitions['debated'].pk}/"

    assert client.post("/api/v1/petitions/", {"title": "New"}).status_code == 405
    assert client.delete(url).status_code == 405
    assert Petition.objects.count() == 6


def test_the_petitions_api_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/")

    assert schema.status_code == 200
    assert b"/api/v1/petitions/" in schema.content
    assert b"/api/v1/petitions/{id}/" in schema.content
    assert b"signatures_by_ward" in schema.content
