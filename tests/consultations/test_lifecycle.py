"""A consultation's stage follows from its dates and two officer actions: published, it is
upcoming until it opens and open until it closes, without anyone acting; after closing, its
outcome is published. The pages, the lists and the seed data agree with that."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from consultations.models import (
    Answer,
    Consultation,
    Decision,
    FollowUpAction,
    Question,
    Response,
    SurveyPage,
)
from consultations.services import (
    action_status_change,
    consultation_publish,
    consultation_purpose,
    outcome_publish,
)
from contacts.models import ConsentEvent, Contact
from mailing.models import Delivery
from tests.consultations.conftest import make_consultation
from tests.consultations.factories import ConsultationFactory, SurveyPageFactory
from tests.pages import assert_page

pytestmark = pytest.mark.django_db
# What a worker runs to put a notice in the outbox (mailing.services.notices).
NOTIFY = "mailing.tasks.consenters_notify_task"

OPENS = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
CLOSES = datetime(2027, 3, 14, 17, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
Stage = Consultation.Stage


@pytest.fixture
def dated(council):
    survey = make_consultation(council.department, slug="dated", published=False)
    consultation = survey.consultation
    consultation.opens_at, consultation.closes_at = OPENS, CLOSES
    consultation.save()
    return consultation


def test_a_draft_is_a_draft_whatever_the_date(dated):
    for moment in (OPENS - SECOND, OPENS, CLOSES):
        assert dated.stage_at(moment) == Stage.DRAFT
        assert not dated.is_open(moment)


def test_published_it_is_upcoming_until_it_opens_and_open_until_it_closes(dated):
    dated.published_at = OPENS - timedelta(days=7)
    assert dated.stage_at(OPENS - SECOND) == Stage.SCHEDULED
    assert dated.stage_at(OPENS) == Stage.OPEN
    assert dated.stage_at(CLOSES - SECOND) == Stage.OPEN
    assert dated.stage_at(CLOSES) == Stage.CLOSED
    assert dated.stage_at(CLOSES + timedelta(days=400)) == Stage.CLOSED
    dated.outcome_published_at = CLOSES + timedelta(days=10)
    assert dated.stage_at(CLOSES + timedelta(days=10)) == Stage.OUTCOME


@pytest.mark.parametrize(
    ("moment", "stage"),
    [
        (OPENS - SECOND, Stage.SCHEDULED),
        (OPENS, Stage.OPEN),
        (CLOSES - SECOND, Stage.OPEN),
        (CLOSES, Stage.CLOSED),
    ],
)
def test_the_lists_put_it_in_the_same_stage_as_the_consultation_does(dated, moment, stage):
    Consultation.objects.filter(pk=dated.pk).update(published_at=OPENS - timedelta(days=7))
    in_stage = {
        candidate
        for candidate in Stage.values
        if Consultation.objects.in_stage(candidate, moment).filter(pk=dated.pk).exists()
    }
    assert in_stage == {stage}
    assert Consultation.objects.get(pk=dated.pk).stage_at(moment) == stage
    assert Consultation.objects.open_at(moment).filter(pk=dated.pk).exists() == (
        stage == Stage.OPEN
    )


def test_opening_and_closing_happen_on_time_without_anyone_acting(client, council):
    now = timezone.now()
    survey = make_consultation(council.department, slug="soon")
    consultation = survey.consultation
    Consultation.objects.filter(pk=consultation.pk).update(
        opens_at=now + timedelta(hours=1), closes_at=now + timedelta(hours=2)
    )
    consultation.refresh_from_db()
    assert consultation.stage_at(now) == Stage.SCHEDULED
    assert consultation.stage_at(now + timedelta(hours=1)) == Stage.OPEN
    assert consultation.stage_at(now + timedelta(hours=2)) == Stage.CLOSED
    # The page reads the real clock: an hour leaves a slow machine all the time it needs.
    html = client.get("/consultations/soon/").content.decode()
    assert "has not opened yet" in html


def test_publishing_a_draft_makes_it_upcoming_and_is_audited(council, dated):
    consultation_publish(consultation=dated, actor=council.officer)
    dated.refresh_from_db()
    assert dated.stage_at(OPENS - SECOND) == Stage.SCHEDULED
    with pytest.raises(ValidationError, match="already published"):
        consultation_publish(consultation=dated, actor=council.officer)


def test_a_survey_without_questions_cannot_be_published(council):
    consultation = ConsultationFactory(
        department=council.department, opens_at=OPENS, closes_at=CLOSES, published_at=None
    )
    SurveyPageFactory(consultation=consultation, title="Nothing")
    with pytest.raises(ValidationError, match="Add at least one question"):
        consultation_publish(consultation=consultation, actor=council.officer)


@pytest.fixture
def told(council):
    """A closed consultation with one decision and one resident who asked to hear."""
    survey = make_consultation(council.department, slug="told", opens=-10, closes=-1)
    decision = Decision.objects.create(
        consultation=survey.consultation, we_asked="Lanes?", you_said="Yes", we_did="Building"
    )
    decision.questions.add(survey.questions["cycles"])
    action = FollowUpAction.objects.create(decision=decision, description="Build the lanes")
    contact = Contact.objects.create(
        organisation=council.organisation, email="heard@example.org", name="Heard"
    )
    ConsentEvent.objects.create(
        contact=contact,
        purpose=consultation_purpose(survey.consultation),
        action=ConsentEvent.Action.GIVEN,
        method="survey",
        wording="Tell me the outcome",
        created_at=timezone.now(),
    )
    return survey.consultation, action


def test_the_outcome_can_be_published_only_after_closing(council, survey):
    Decision.objects.create(
        consultation=survey.consultation, we_asked="a", you_said="b", we_did="c"
    )
    with pytest.raises(ValidationError, match="only after the consultation closes"):
        outcome_publish(consultation=survey.consultation, actor=council.officer)
    survey.consultation.refresh_from_db()
    assert survey.consultation.outcome_published_at is None
    assert not Delivery.objects.exists()


def test_the_published_outcome_shows_on_the_page_and_the_hub_and_residents_are_told(
    client, council, told, broker, django_capture_on_commit_callbacks
):
    consultation, _action = told
    before = assert_page(client.get("/consultations/told/"), heading="Riverside cycle lanes")
    assert "We asked, you said, we did" not in before
    with django_capture_on_commit_callbacks(execute=True):
        assert outcome_publish(consultation=consultation, actor=council.officer) == 1
    assert broker.run(NOTIFY) == [1]
    consultation.refresh_from_db()
    assert consultation.stage == Stage.OUTCOME
    page = client.get("/consultations/told/").content.decode()
    assert "We asked, you said, we did" in page
    assert ">Outcome published</strong>" in page
    hub = client.get("/consultations/", {"status": "outcome"})
    assert [row.title for row in hub.context["page"].object_list] == [consultation.title]
    delivery = Delivery.objects.get()
    assert delivery.to_email == "heard@example.org"
    assert "/consultations/told/" in delivery.message["text"]


def test_an_action_moved_on_before_the_outcome_is_out_tells_nobody(
    council, told, broker, django_capture_on_commit_callbacks
):
    _consultation, action = told
    with django_capture_on_commit_callbacks(execute=True):
        changed = action_status_change(action=action, status="in_progress", actor=council.officer)
    assert changed == 0
    assert broker.run(NOTIFY) == []
    assert not Delivery.objects.exists()
    action.refresh_from_db()
    assert action.status == "in_progress"


def test_an_action_moved_on_after_the_outcome_is_out_tells_those_who_asked(
    client, council, told, broker, django_capture_on_commit_callbacks
):
    consultation, action = told
    with django_capture_on_commit_callbacks(execute=True):
        outcome_publish(consultation=consultation, actor=council.officer)
        action_status_change(action=action, status="done", actor=council.officer)
    assert broker.run(NOTIFY) == [1, 1]
    assert Delivery.objects.count() == 2
    subjects = sorted(Delivery.objects.values_list("message__subject", flat=True))
    assert subjects == [
        f"An update on {consultation.title}",
        f"What we decided: {consultation.title}",
    ]
    html = client.get("/consultations/told/").content.decode()
    assert "Build the lanes" in html and ">Done</strong>" in html


# The demo data ----------------------------------------------------------------------------------


def _consultation_counts() -> dict[str, int]:
    return {
        "consultations": Consultation.objects.count(),
        "pages": SurveyPage.objects.count(),
        "questions": Question.objects.count(),
        "responses": Response.objects.count(),
        "answers": Answer.objects.count(),
        "decisions": Decision.objects.count(),
        "actions": FollowUpAction.objects.count(),
    }


def test_seed_demo_has_every_stage_with_responses_and_an_outcome_and_runs_twice_the_same(
    client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo")
    first = _consultation_counts()
    call_command("seed_demo")
    assert _consultation_counts() == first
    now = timezone.now()
    stages = {
        consultation.slug: consultation.stage_at(now) for consultation in Consultation.objects.all()
    }
    assert stages == {
        "riverside-cycle-lanes": Stage.OPEN,
        "castlefield-park-play-area": Stage.SCHEDULED,
        "ancoats-residents-parking": Stage.CLOSED,
        "housing-repairs-service": Stage.OUTCOME,
        "oxford-road-bus-shelters": Stage.DRAFT,
    }
    assert first["responses"] == 42 + 35 + 64
    assert (first["decisions"], first["actions"]) == (2, 4)
    riverside = Consultation.objects.get(slug="riverside-cycle-lanes")
    # Only those who cycle saw the page about what would help.
    cycles = Question.objects.get(page__consultation=riverside, text="Do you cycle by the river?")
    cyclists = Answer.objects.filter(question=cycles, choices__option__label="Yes").count()
    helps = Answer.objects.filter(question__text="What would help you cycle more?").count()
    assert helps == cyclists > 0
    assert Question.objects.filter(page__consultation=riverside, about_you=True).count() == 8
    assert riverside.documents.get().size > 0
    html = client.get("/consultations/housing-repairs-service/").content.decode()
    assert "We asked, you said, we did" in html
    assert "64 people answered this question." in html
    assert client.get("/consultations/oxford-road-bus-shelters/").status_code == 404
