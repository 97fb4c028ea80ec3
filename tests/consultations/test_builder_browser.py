"""An officer builds a survey in the admin, previews it as residents will see it and publishes it,
in Chromium at phone and desktop widths, with axe finding nothing on each page of the builder and
the site's CSP refusing nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from consultations.models import Consultation, Question
from tests.browser import WIDTHS, assert_accessible, assert_no_csp_errors, assert_on_page, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANGELIST = "/admin/consultations/consultation/"
CYCLES = "Do you cycle by the river?"
HELPS = "What would help you cycle more?"
ONLY_IF_YES = f"Shown only to people who answered “Yes” to “{CYCLES}”."


def _checked(page) -> None:
    assert_accessible(page)
    assert_no_csp_errors(page)


def _add_survey_page(page, index: int, title: str) -> None:
    page.get_by_role("button", name="Add another Survey page").click()
    survey_page = page.locator(f"#pages-{index}")
    survey_page.get_by_label("Order").fill(str(index))
    survey_page.get_by_label("Title").fill(title)


def _add_question(page, survey_page: str, *, kind: str, text: str, options=(), condition=None):
    """From the outline of a survey page on the consultation, as officers do; saving the question
    leads back to the consultation's survey pages."""
    back_to = page.url.split("#")[0] + "#pages-group"
    outline = page.locator("#pages-group .inline-related").filter(
        has=page.get_by_role("heading", name=f"Survey page: {survey_page}")
    )
    with page.expect_navigation():
        outline.get_by_role("link", name="Add a question to this page").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Add question"
    page.get_by_label("Type").select_option(label=kind)
    page.get_by_label("Question:", exact=True).fill(text)
    for number, label in enumerate(options, start=1):
        page.get_by_role("spinbutton", name=f"Order, option {number}").fill(str(number - 1))
        page.get_by_role("textbox", name=f"Label, option {number}").fill(label)
    if condition is not None:
        page.get_by_label("Show only when").select_option(label=condition)
    _checked(page)
    submit(page, page.get_by_role("button", name="Save", exact=True))
    assert page.url == back_to
    added = f"The question “{text}” was added successfully."
    assert added in page.locator(".messagelist").inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_an_officer_builds_a_survey_previews_it_and_publishes_it(
    council, page_at, signed_in_page, width
):
    page = signed_in_page(council.officer, width)
    resident = page_at(width)

    page.goto(CHANGELIST)
    with page.expect_navigation():
        page.get_by_role("link", name="Add consultation").click()
    _checked(page)
    today = timezone.localdate()
    # Typed, as the address is filled in from the title as the officer types.
    page.get_by_role("textbox", name="Title:", exact=True).press_sequentially(
        "Riverside cycle lanes"
    )
    assert page.get_by_label("Web address").input_value() == "riverside-cycle-lanes"
    page.get_by_label("Department").select_option(label=str(council.department))
    page.get_by_label("Summary").fill("Where should the new cycle lanes by the river go?")
    page.get_by_label("Contact details").fill("E-mail transport@northbridge.example")
    opens = page.get_by_role("group", name="Opens")
    opens.get_by_label("Date").fill(f"{today - timedelta(days=1):%d/%m/%Y}")
    opens.get_by_label("Time").fill("09:00:00")
    closes = page.get_by_role("group", name="Closes")
    closes.get_by_label("Date").fill(f"{today + timedelta(days=30):%d/%m/%Y}")
    closes.get_by_label("Time").fill("17:00:00")
    _add_survey_page(page, 0, "Cycling")
    _add_survey_page(page, 1, "What helps")
    _checked(page)
    submit(page, page.get_by_role("button", name="Save and continue editing"))

    assert "was added successfully" in page.locator(".messagelist").inner_text()
    _checked(page)
    consultation = Consultation.objects.get(slug="riverside-cycle-lanes")
    assert consultation.department == council.department
    assert consultation.published_at is None
    assert list(consultation.pages.values_list("title", flat=True)) == ["Cycling", "What helps"]
    assert resident.goto("/consultations/riverside-cycle-lanes/").status == 404

    _add_question(
        page, "Cycling", kind="Single choice (radios)", text=CYCLES, options=["Yes", "No"]
    )
    _checked(page)
    _add_question(
        page, "What helps", kind="Long text", text=HELPS, condition=f"“{CYCLES}” is answered “Yes”"
    )
    _checked(page)

    cycles = Question.objects.get(page__consultation=consultation, text=CYCLES)
    helps = Question.objects.get(page__consultation=consultation, text=HELPS)
    assert (cycles.page.title, cycles.kind, cycles.position) == ("Cycling", "single_choice", 0)
    assert cycles.condition is None
    assert list(cycles.options.values_list("label", "position")) == [("Yes", 0), ("No", 1)]
    assert (helps.page.title, helps.kind, helps.position) == ("What helps", "long_text", 0)
    assert helps.condition == {"question": cycles.pk, "option": cycles.options.get(label="Yes").pk}
    assert not helps.options.exists()
    outline = page.locator("#pages-group .survey-outline").all_inner_texts()
    assert [" ".join(text.split()) for text in outline] == [
        f"{CYCLES} (Single choice (radios))",
        f"{HELPS} (Long text) {ONLY_IF_YES}",
    ]

    with page.expect_navigation():
        page.get_by_role("link", name="Preview as a resident").click()
    _checked(page)
    assert_on_page(page, heading="Survey preview")
    first = page.get_by_role("region", name="Cycling")
    assert "Page 1 of 2" in first.inner_text()
    question = first.get_by_role("group", name=CYCLES)
    assert question.get_by_role("radio").count() == 2
    assert question.get_by_role("radio", name="Yes").is_disabled()
    assert question.get_by_role("radio", name="No").is_disabled()
    second = page.get_by_role("region", name="What helps")
    assert "Page 2 of 2" in second.inner_text()
    assert ONLY_IF_YES in second.inner_text()
    assert second.get_by_role("textbox", name=HELPS).is_disabled()
    assert page.locator("#main-content form").count() == 0

    with page.expect_navigation():
        page.get_by_role("link", name="Back to the consultation in the admin").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Publish", exact=True).click()
    assert_on_page(page, heading="Publish Riverside cycle lanes")
    _checked(page)
    submit(page, page.get_by_role("button", name="Publish", exact=True))

    assert "“Riverside cycle lanes” is published." in page.locator(".messagelist").inner_text()
    _checked(page)
    consultation.refresh_from_db()
    assert consultation.published_at is not None
    assert resident.goto("/consultations/riverside-cycle-lanes/").status == 200
    assert resident.get_by_role("heading", level=1).inner_text() == "Riverside cycle lanes"
    assert resident.locator("#consultation-stage").inner_text() == "Open"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_list_of_consultations_is_accessible(council, signed_in_page, width):
    page = signed_in_page(council.officer, width)

    page.goto(CHANGELIST)

    assert_no_csp_errors(page)
    assert_accessible(page)
