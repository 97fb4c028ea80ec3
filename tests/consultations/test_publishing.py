"""Publishing with a check: every problem that would leave residents stuck or unable to ask is
refused by the service (so by every path) and listed on the admin's check page with a link to
where it is fixed; with none left, the same page says what residents will see and when, and its
Publish button publishes. The consultation's page says where it stands in words."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from civic.formatting import day, when
from civic.models import AuditEntry
from consultations.admin_actions import status_in_words
from consultations.models import Consultation, Question
from consultations.services import consultation_publish
from consultations.services.checks import consultation_problems
from tests.consultations.conftest import Survey, add_question, make_consultation
from tests.consultations.factories import ConsultationFactory, SurveyPageFactory
from tests.consultations.test_builder_admin import change_url, messages_of, publish_url
from tests.pages import assert_page

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
OPENS = datetime(2027, 3, 3, 9, 0, tzinfo=LONDON)
CLOSES = datetime(2027, 4, 1, 17, 0, tzinfo=LONDON)
CHECK_HEADING = "Check before publishing Riverside cycle lanes"
STATUS = re.compile(r'<p id="consultation-status">\s*<strong>(.*?)</strong>', re.DOTALL)


@pytest.fixture
def draft(council) -> Survey:
    return make_consultation(council.department, slug="draft", published=False)


@pytest.fixture
def officer(client, council):
    client.force_login(council.officer)
    return council.officer


# Each way a survey can be unfinished: what breaks it, and the problem the check names, with
# where it is fixed (the survey builder's page, at the question's number on it).


def _in_builder(question: Question) -> str:
    page = question.page
    number = list(page.questions.all()).index(question) + 1
    return (
        f"/admin/consultations/consultation/{page.consultation_id}/survey/pages/{page.pk}/"
        f"#question-{number}"
    )


def _choice_without_options(survey: Survey) -> tuple[str, str]:
    question = add_question(survey.pages[2], "pick", "single_choice", "Which bridge?")
    return (
        "Question “Which bridge?”: Add the answers residents choose from: a single choice "
        "(radios) question needs options, or residents cannot answer it.",
        _in_builder(question),
    )


def _condition_on_a_question_that_is_gone(survey: Survey) -> tuple[str, str]:
    question = survey.questions["trips"]
    question.condition = {"question": 987654321, "answered": True}
    question.save()
    return (
        "Question “Trips a week”: The question this condition depends on is no longer in the "
        "survey. Choose another, or show this always.",
        _in_builder(question),
    )


def _condition_on_a_later_question(survey: Survey) -> tuple[str, str]:
    question = survey.questions["route"]  # page 1
    question.condition = {"question": survey.questions["trips"].pk, "answered": True}  # page 3
    question.save()
    return (
        "Question “Which route do you use?”: “Trips a week” is on this page or a later one. A "
        "condition can only depend on a question of an earlier page, which residents have "
        "answered already.",
        _in_builder(question),
    )


def _page_without_questions(survey: Survey) -> tuple[str, str]:
    page = SurveyPageFactory(consultation=survey.consultation, title="Anything else")
    return (
        "Page “Anything else”: The page has no questions. Add a question to it, or remove the "
        "page.",
        f"/admin/consultations/consultation/{survey.consultation.pk}/survey/pages/{page.pk}/",
    )


def _no_contact_details(survey: Survey) -> tuple[str, str]:
    Consultation.objects.filter(pk=survey.consultation.pk).update(contact_details="  ")
    return (
        "Contact details: Add how residents can ask questions about the consultation, such as an "
        "e-mail address or a phone number.",
        f"/admin/consultations/consultation/{survey.consultation.pk}/change/#id_contact_details",
    )


def _no_questions_at_all(survey: Survey) -> tuple[str, str]:
    Question.objects.filter(page__consultation=survey.consultation).delete()
    for page in survey.pages[1:]:
        page.delete()
    return (
        "Survey: Add at least one question to the survey before publishing.",
        f"/admin/consultations/consultation/{survey.consultation.pk}/survey/",
    )


UNFINISHED: dict[str, Callable[[Survey], tuple[str, str]]] = {
    "a choice question with no options": _choice_without_options,
    "a condition on a question that no longer exists": _condition_on_a_question_that_is_gone,
    "a condition on a later question": _condition_on_a_later_question,
    "a page with no questions": _page_without_questions,
    "no contact details": _no_contact_details,
    "no questions at all": _no_questions_at_all,
}


def _unchanged(survey: Survey) -> None:
    survey.consultation.refresh_from_db()
    assert survey.consultation.published_at is None
    assert survey.consultation.stage_at() == Consultation.Stage.DRAFT
    assert not AuditEntry.objects.exists()


# The service ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", UNFINISHED)
def test_the_service_refuses_an_unfinished_survey_and_changes_nothing(council, draft, case):
    message, _url = UNFINISHED[case](draft)

    with pytest.raises(ValidationError) as refused:
        consultation_publish(consultation=draft.consultation, actor=council.officer)

    assert refused.value.messages == [message]
    _unchanged(draft)


def test_the_service_names_every_problem_at_once(council, draft):
    expected = [
        _no_contact_details(draft)[0],
        _condition_on_a_later_question(draft)[0],
        _choice_without_options(draft)[0],
    ]

    with pytest.raises(ValidationError) as refused:
        consultation_publish(consultation=draft.consultation, actor=council.officer)

    assert refused.value.messages == expected
    _unchanged(draft)


def test_a_close_date_before_the_open_date_is_a_problem_with_a_link_to_the_dates(draft):
    # The database refuses such a row (consultation_closes_after_it_opens); the check still
    # names it for a consultation being edited, before it is saved.
    consultation = draft.consultation
    consultation.closes_at = consultation.opens_at - timedelta(days=1)

    problems = consultation_problems(consultation)

    assert [str(problem) for problem in problems] == [
        "Dates: Closes must be after opens. Change the dates so that the consultation closes "
        "after it opens."
    ]
    assert problems[0].url == (
        f"/admin/consultations/consultation/{consultation.pk}/change/#id_closes_at_0"
    )


def test_a_finished_survey_has_no_problems_and_publishes_with_an_audit_entry(council, draft):
    assert consultation_problems(draft.consultation) == []

    consultation_publish(consultation=draft.consultation, actor=council.officer)

    draft.consultation.refresh_from_db()
    assert draft.consultation.published_at is not None
    assert AuditEntry.objects.get().summary == "Published consultation"


# The check page and the Publish button ----------------------------------------------------------


@pytest.mark.parametrize("case", UNFINISHED)
def test_the_check_page_lists_the_problem_with_a_link_and_refuses_to_publish(
    client, officer, draft, case
):
    message, url = UNFINISHED[case](draft)

    shown = assert_page(client.get(publish_url(draft.consultation)), heading=CHECK_HEADING)
    assert f'<a href="{url.replace("&", "&amp;")}">{_escaped(message)}</a>' in shown
    assert 'id="publish-confirm"' not in shown

    posted = assert_page(client.post(publish_url(draft.consultation)), heading=CHECK_HEADING)
    assert f'<a href="{url.replace("&", "&amp;")}">{_escaped(message)}</a>' in posted
    assert "The consultation cannot be published yet" in posted
    _unchanged(draft)


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("'", "&#x27;")


def test_a_fixed_survey_is_published_from_the_check_page(client, officer, draft):
    _choice_without_options(draft)
    assert_page(client.post(publish_url(draft.consultation)), heading=CHECK_HEADING)
    question = Question.objects.get(text="Which bridge?")
    for position, label in enumerate(["Town Bridge", "Mill Bridge"]):
        question.options.create(position=position, label=label)

    html = assert_page(
        client.get(publish_url(draft.consultation)), heading="Publish Riverside cycle lanes"
    )
    consultation = draft.consultation
    assert "What residents will see" in html
    assert (
        f"Residents will see “Riverside cycle lanes” at {settings.CIVIC_SITE_URL}"
        "/consultations/draft/ as soon as you publish it." in html
    )
    assert (
        f"It opened on {when(consultation.opens_at)}, so residents can respond straight away, "
        f"until {when(consultation.closes_at)}." in html
    )
    assert "The survey has 13 questions on 3 pages." in html
    assert 'id="publish-confirm"' in html
    assert not AuditEntry.objects.exists()  # looking publishes nothing

    response = client.post(publish_url(draft.consultation), follow=True)

    assert response.redirect_chain[-1][0] == change_url(consultation)
    assert messages_of(response) == [
        f"“Riverside cycle lanes” is published. Open until {when(consultation.closes_at)}"
    ]
    consultation.refresh_from_db()
    assert consultation.published_at is not None
    assert AuditEntry.objects.get().summary == "Published consultation"
    assert client.get("/consultations/draft/").status_code == 200


def test_the_publish_button_appears_only_for_a_draft_its_officer_may_publish(
    client, council, draft, survey
):
    client.force_login(council.officer)
    html = assert_page(client.get(change_url(draft.consultation)), heading="Change consultation")
    assert f'id="publish-button" href="{publish_url(draft.consultation)}"' in html

    published = assert_page(
        client.get(change_url(survey.consultation)), heading="Change consultation"
    )
    assert 'id="consultation-status"' in published
    assert 'id="publish-button"' not in published

    # An officer of another department does not see the draft, nor its check page.
    client.force_login(council.other_officer)
    assert client.get(change_url(draft.consultation)).status_code in (302, 403, 404)
    assert client.get(publish_url(draft.consultation)).status_code in (403, 404)
    assert client.post(publish_url(draft.consultation)).status_code in (403, 404)
    _unchanged(draft)


def test_saving_a_draft_never_publishes_it(client, officer, draft):
    from tests.consultations.test_builder_admin import form_data

    page = client.get(change_url(draft.consultation))
    response = client.post(
        change_url(draft.consultation), form_data(page, "consultation_form", title="New title")
    )
    assert response.status_code == 302
    draft.consultation.refresh_from_db()
    assert draft.consultation.title == "New title"
    assert draft.consultation.published_at is None


def test_the_consultations_page_lists_its_problems_with_links_beside_the_status(
    client, officer, draft
):
    message, url = _choice_without_options(draft)

    html = assert_page(client.get(change_url(draft.consultation)), heading="Change consultation")

    assert "Draft: not seen by residents. Publish it when the survey is ready." in html
    assert "The survey needs attention before it is published" in html
    assert f'<a href="{url}">{_escaped(message)}</a>' in html


# The status in words ----------------------------------------------------------------------------


def test_the_status_says_where_the_consultation_stands_and_what_comes_next(clock):
    consultation = ConsultationFactory.build(opens_at=OPENS, closes_at=CLOSES, published_at=None)
    clock.advance(seconds=(OPENS - clock.now).total_seconds() - 86400)
    assert status_in_words(consultation, clock.now) == (
        "Draft: not seen by residents. Publish it when the survey is ready."
    )

    consultation.published_at = clock.now
    assert status_in_words(consultation, clock.now) == "Upcoming: opens on 3 March 2027, 9am"
    clock.advance(days=1)
    assert status_in_words(consultation, clock.now) == "Open until 1 April 2027, 5pm"
    clock.advance(days=30)
    assert status_in_words(consultation, clock.now) == (
        "Closed on 1 April 2027: publish the outcome"
    )
    consultation.outcome_published_at = clock.advance(days=19)
    assert status_in_words(consultation, clock.now) == "Outcome published on 21 April 2027"


@pytest.mark.parametrize(
    ("stage", "opens", "closes", "outcome"),
    [
        ("draft", 3, 30, False),
        ("scheduled", 3, 30, False),
        ("open", -1, 30, False),
        ("closed", -30, -2, False),
        ("outcome", -30, -2, True),
    ],
)
def test_the_consultations_page_shows_its_status_in_words(
    client, officer, council, clock, stage, opens, closes, outcome
):
    consultation = ConsultationFactory(
        department=council.department,
        title="Tram stop",
        opens_at=clock.later(days=opens),
        closes_at=clock.later(days=closes),
        published_at=None if stage == "draft" else clock.ago(days=40),
        outcome_published_at=clock.ago(days=1) if outcome else None,
    )
    expected = {
        "draft": "Draft: not seen by residents. Publish it when the survey is ready.",
        "scheduled": f"Upcoming: opens on {when(consultation.opens_at)}",
        "open": f"Open until {when(consultation.closes_at)}",
        "closed": f"Closed on {day(consultation.closes_at)}: publish the outcome",
        "outcome": f"Outcome published on {day(consultation.outcome_published_at)}",
    }[stage]

    html = assert_page(client.get(change_url(consultation)), heading="Change consultation")

    assert consultation.stage_at(timezone.now()) == stage
    assert STATUS.search(html).group(1) == expected
