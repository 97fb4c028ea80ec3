"""The open data API of consultations: published consultations only, outcomes with their actions,
aggregate results of closed consultations only, and never personal data, free text or drafts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consultations.models import Decision, FollowUpAction, Topic
from consultations.services import coding, publishing
from tests.consultations.conftest import make_consultation
from tests.consultations.test_results import respond
from tests.pages import assert_page

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/consultations/"


def _answers(number: int) -> dict:
    return {
        "cycles": "Yes" if number % 2 else "No",
        "helps": f"A private thought {number}",
        "route": "Past my house at 12 Acacia Avenue",
        "improve": ["Lighting"],
        "rank": {"Safety": 1, "Speed": 2, "Scenery": 3},
        "email": f"resident{number}@example.org",
        "postcode": "M4 6AA",
        "publish": "yes",
    }


@pytest.fixture
def closed(council):
    survey = make_consultation(
        council.department, slug="library-hours", title="Library hours", opens=-30, closes=-1
    )
    survey.consultation.areas.add(council.ward)
    topic = Topic.objects.create(organisation=council.organisation, name="Transport", slug="travel")
    survey.consultation.topics.add(topic)
    for number in range(3):
        respond(survey, area=council.ward, answers=_answers(number), agrees_to_publish=True)
    respond(survey, status="draft", answers={"cycles": "Yes", "helps": "Draft words"})
    return survey


@pytest.fixture
def open_survey(council, survey):
    for number in range(2):
        respond(survey, answers=_answers(number))
    return survey


def test_the_list_shows_published_consultations_and_no_drafts(council, closed, open_survey, client):
    make_consultation(council.department, slug="secret-draft", title="Draft", published=False)

    body = client.get(LIST_URL).json()

    rows = {row["slug"]: row for row in body["results"]}
    assert set(rows) == {"library-hours", "riverside-cycle-lanes"}
    library = rows["library-hours"]
    assert library["stage"] == "closed"
    assert library["department"] == "transport"
    assert library["organisation"] == "northbridge"
    assert library["areas"] == [{"code": "E05000001", "name": "Ancoats"}]
    assert library["topics"] == [{"slug": "travel", "name": "Transport"}]
    assert library["url"] == "http://testserver/consultations/library-hours/"
    assert rows["riverside-cycle-lanes"]["stage"] == "open"


def test_the_list_filters_by_stage(closed, open_survey, client):
    body = client.get(LIST_URL, {"stage": "open"}).json()

    assert [row["slug"] for row in body["results"]] == ["riverside-cycle-lanes"]


def test_a_draft_is_not_found_even_by_its_slug(council, client):
    make_consultation(council.department, slug="secret-draft", published=False)

    assert client.get(f"{LIST_URL}secret-draft/").status_code == 404


def test_a_closed_consultation_has_aggregate_results_and_nothing_personal(closed, client):
    response = client.get(f"{LIST_URL}library-hours/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert results["responses"] == 3
    by_text = {question["text"]: question for question in results["questions"]}
    assert set(by_text) == {
        "Do you cycle by the river?",
        "What should we improve?",
        "When do you travel?",
        "The plan is a good idea",
        "Rank these by importance",
    }
    cycles = by_text["Do you cycle by the river?"]
    assert cycles["answered"] == 3
    assert [(o["label"], o["count"], o["percent"]) for o in cycles["options"]] == [
        ("Yes", 1, 33.3),
        ("No", 2, 66.7),
    ]
    assert by_text["Rank these by importance"]["options"][0]["mean_rank"] == 1.0
    text = assert_page(response, heading=None)
    for private in ("example.org", "M4 6AA", "A private thought", "Acacia", "Draft words"):
        assert private not in text


def test_an_open_consultation_shows_no_results_yet(open_survey, client):
    body = client.get(f"{LIST_URL}riverside-cycle-lanes/").json()

    assert body["stage"] == "open"
    assert body["results"] is None
    assert body["outcome"] is None


def test_the_outcome_lists_decisions_with_their_questions_themes_and_actions(
    council, closed, client
):
    consultation = closed.consultation
    theme = coding.theme_create(actor=council.officer, consultation=consultation, name="Hours")
    decision = Decision.objects.create(
        consultation=consultation,
        we_asked="When should libraries open?",
        you_said="Later on weekdays",
        we_did="Open until 8pm",
    )
    decision.questions.add(closed.questions["when"])
    decision.themes.add(theme)
    FollowUpAction.objects.create(decision=decision, description="New rota", status="in_progress")
    consultation.outcome_published_at = timezone.now()
    consultation.save()

    body = client.get(f"{LIST_URL}library-hours/").json()

    assert body["stage"] == "outcome"
    (outcome,) = body["outcome"]
    assert outcome["we_did"] == "Open until 8pm"
    assert outcome["questions"] == [
        {"id": closed.questions["when"].pk, "text": "When do you travel?"}
    ]
    assert outcome["themes"] == ["Hours"]
    assert [(a["description"], a["status"]) for a in outcome["actions"]] == [
        ("New rota", "in_progress")
    ]
    assert body["results"]["responses"] == 3


def test_only_published_responses_are_served_without_personal_details(council, closed, client):
    first = closed.consultation.responses.filter(status="submitted").order_by("pk").first()
    publishing.responses_publish(
        actor=council.officer, consultation=closed.consultation, response_ids=[first.pk]
    )

    body = client.get(f"{LIST_URL}library-hours/responses/").json()

    assert body["count"] == 1
    answers = {item["question"]: item["answer"] for item in body["results"][0]["answers"]}
    assert answers["What would help you cycle more?"] == "A private thought 0"
    assert "Your e-mail address" not in answers
    assert "Your postcode" not in answers
    assert "resident0@example.org" not in repr(body)
    assert first.reference not in repr(body)
    assert "A private thought 1" not in repr(body)


def test_the_list_costs_the_same_queries_for_one_or_many_consultations(council, client):
    make_consultation(council.department, slug="first")
    with CaptureQueriesContext(connection) as one:
        client.get(LIST_URL)
    for number in range(5):
        survey = make_consultation(council.department, slug=f"more-{number}")
        survey.consultation.areas.add(council.ward)

    with CaptureQueriesContext(connection) as many:
        client.get(LIST_URL)

    assert len(one) == len(many)


def test_the_api_is_read_only(closed, client):
    assert client.post(LIST_URL, {"slug": "forged"}).status_code in (403, 405)
    assert client.delete(f"{LIST_URL}library-hours/").status_code in (403, 405)


def test_the_consultations_api_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/")

    assert schema.status_code == 200
    assert b"/api/v1/consultations/" in schema.content
    assert b"/api/v1/consultations/{slug}/responses/" in schema.content
