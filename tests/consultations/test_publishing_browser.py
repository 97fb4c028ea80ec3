"""An officer publishes a survey that residents could not finish (a choice question without
options): the check page refuses with the list of problems, each a link to where it is fixed;
the officer follows the link, adds the options, and publishes. In Chromium at desktop width, with
axe finding nothing on each page, and again with JavaScript off."""

from __future__ import annotations

import pytest

from consultations.models import Consultation
from tests.browser import assert_accessible, assert_no_csp_errors, assert_on_page, submit
from tests.consultations.conftest import add_question, make_consultation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BRIDGE = "Which bridge do you cross?"
NO_OPTIONS = (
    f"Question “{BRIDGE}”: Add the answers residents choose from: a single choice (radios) "
    "question needs options, or residents cannot answer it."
)


def _checked(page) -> None:
    if page.javascript_enabled:
        assert_accessible(page)
        assert_no_csp_errors(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["with JavaScript", "without"])
def test_an_unfinishable_survey_is_refused_with_its_problems_then_fixed_and_published(
    cast, page_at, signed_in_page, javascript
):
    survey = make_consultation(cast.department, slug="bridges", published=False)
    add_question(survey.pages[2], "bridge", "single_choice", BRIDGE)
    consultation = survey.consultation
    page = signed_in_page(cast.officer, 1280, javascript_enabled=javascript)

    page.goto(f"/admin/consultations/consultation/{consultation.pk}/change/")
    status = page.locator("#consultation-status").inner_text()
    assert status == "Draft: not seen by residents. Publish it when the survey is ready."
    assert page.locator("#survey-problems").get_by_role("link", name=NO_OPTIONS).count() == 1
    _checked(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Publish", exact=True).click()

    assert_on_page(page, heading="Check before publishing Riverside cycle lanes")
    problems = page.locator("#publish-problems")
    assert "The consultation cannot be published yet" in problems.inner_text()
    assert problems.get_by_role("link").all_inner_texts() == [NO_OPTIONS]
    assert page.get_by_role("button", name="Publish").count() == 0
    _checked(page)

    with page.expect_navigation():
        problems.get_by_role("link", name=NO_OPTIONS).click()
    # The link opens the question where it stands in the survey builder.
    assert_on_page(page, heading=f"Survey page “{survey.pages[2].title}”")
    number = page.url.rsplit("#question-", 1)[1]
    question = page.locator(f"#question-{number}")
    assert question.get_by_label("Question:", exact=True).input_value() == BRIDGE
    question.get_by_label("Answers to choose from:").fill("Town Bridge\nMill Bridge")
    submit(page, page.get_by_role("button", name="Save and go back to the survey"))
    page.goto(f"/admin/consultations/consultation/{consultation.pk}/change/")
    assert page.locator("#survey-problems").count() == 0

    with page.expect_navigation():
        page.get_by_role("link", name="Publish", exact=True).click()
    assert_on_page(page, heading="Publish Riverside cycle lanes")
    summary = page.locator("#publish-summary").inner_text()
    assert "/consultations/bridges/ as soon as you publish it." in summary
    assert "The survey has 13 questions on 3 pages." in summary
    _checked(page)
    submit(page, page.get_by_role("button", name="Publish", exact=True))

    messages = page.locator(".messagelist").inner_text()
    assert "“Riverside cycle lanes” is published. Open until" in messages
    consultation.refresh_from_db()
    assert consultation.stage_at() == Consultation.Stage.OPEN
    assert page.locator("#consultation-status").inner_text().startswith("Open until ")
    assert page.get_by_role("link", name="Publish", exact=True).count() == 0
    _checked(page)
    resident = page_at(1280)
    assert resident.goto("/consultations/bridges/").status == 200
