"""The hub and a consultation's page in headless Chromium at phone and desktop widths, checked by
axe-core with JavaScript on, and read with JavaScript off; an officer publishes the outcome in the
admin and residents see it on the page."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from consultations.models import Answer, Consultation, Decision, FollowUpAction, Theme, Topic
from tests.browser import (
    WIDTHS,
    assert_accessible,
    assert_no_csp_errors,
    assert_on_page,
    open_filters,
    submit,
)
from tests.consultations.conftest import make_consultation
from tests.consultations.test_pages import submitted_response

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(council, settings, tmp_path):
    """An open consultation with everything a page can show, an upcoming one and a closed one
    with responses and a decision waiting for its outcome to be published."""
    settings.MEDIA_ROOT = tmp_path
    council.officer.name = "Priya Shah"
    council.officer.save()
    riverside = make_consultation(council.department, slug="riverside", opens=-2, closes=12)
    consultation = riverside.consultation
    consultation.body = "We plan **new lanes**.\n\n## Why\n\nFewer crashes by the river."
    consultation.contact_details = "E-mail transport@northbridge.example"
    consultation.lead_officer = council.officer
    consultation.image_alt = "The towpath by the river"
    consultation.image.save("towpath.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=False)
    consultation.save()
    consultation.areas.add(council.ward)
    consultation.topics.add(
        Topic.objects.create(organisation=council.organisation, name="Cycling", slug="cycling")
    )
    consultation.documents.create(title="The routes", file="consultations/routes.pdf", size=48213)
    make_consultation(council.department, slug="park", title="Park play area", opens=5, closes=30)

    closed = make_consultation(
        council.department, slug="parking", title="Residents' parking", opens=-40, closes=-3
    )
    yes, no = closed.option("cycles", "Yes"), closed.option("cycles", "No")
    for number, option in enumerate([yes, yes, no]):
        submitted_response(
            closed.consultation,
            {closed.questions["cycles"]: option, closed.questions["helps"]: "Light"},
            number=number,
        )
    theme = Theme.objects.create(consultation=closed.consultation, name="Lighting")
    for answer in Answer.objects.filter(question=closed.questions["helps"])[:2]:
        answer.themes.add(theme)
    decision = Decision.objects.create(
        consultation=closed.consultation,
        we_asked="Do you cycle by the river?",
        you_said="Two in three of you do.",
        we_did="We are building the lanes this spring.",
    )
    decision.questions.set([closed.questions["cycles"], closed.questions["helps"]])
    decision.themes.set([theme])
    FollowUpAction.objects.create(decision=decision, description="Build the lanes", status="done")
    FollowUpAction.objects.create(decision=decision, description="Light the towpath")
    return {"open": consultation, "closed": closed.consultation}


def _no_sideways_scroll(page, width):
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"{page.url} scrolls sideways at {width} px"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_hub_passes_axe_and_filters_with_its_form(page_at, site, width):
    page = page_at(width)
    assert page.goto("/consultations/").status == 200
    assert page.locator("h1").inner_text() == "Consultations"
    assert page.locator(".civic-item h3").all_inner_texts() == [
        "Riverside cycle lanes",
        "Park play area",
        "Residents' parking",
    ]
    assert_accessible(page)
    assert_no_csp_errors(page)
    _no_sideways_scroll(page, width)

    open_filters(page)
    page.get_by_label("Upcoming").check()
    submit(page, page.get_by_role("button", name="Show consultations"))
    assert page.locator(".civic-item h3").all_inner_texts() == ["Park play area"]
    assert "status=scheduled" in page.url
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_bad_postcode_on_the_hub_is_explained_accessibly(page_at, site, width):
    page = page_at(width)
    page.goto("/consultations/")
    open_filters(page)
    page.get_by_label("Near me: your postcode").fill("nowhere")
    submit(page, page.get_by_role("button", name="Show consultations"))
    assert page.title().startswith("Error:")
    assert page.locator(".govuk-error-summary").is_visible()
    assert (
        page.locator("#id_postcode_error")
        .inner_text()
        .endswith("Enter a real UK postcode, like M1 1AE")
    )
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_an_open_consultations_page_passes_axe_and_offers_to_respond(page_at, site, width):
    page = page_at(width)
    assert page.goto("/consultations/riverside/").status == 200
    assert page.locator("h1").inner_text() == "Riverside cycle lanes"
    assert page.locator("#consultation-stage").inner_text() == "Open"
    assert page.get_by_role("button", name="Respond").get_attribute("href") == (
        "/consultations/riverside/respond/"
    )
    assert page.locator("#consultation-lead").inner_text() == "Priya Shah"
    assert "PDF, 47.1\xa0KB" in page.locator("#consultation-documents").inner_text()
    assert_accessible(page)
    assert_no_csp_errors(page)
    _no_sideways_scroll(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_published_outcome_with_its_tables_passes_axe(page_at, site, width):
    Consultation.objects.filter(pk=site["closed"].pk).update(outcome_published_at=timezone.now())
    page = page_at(width)
    page.goto("/consultations/parking/")
    assert page.locator("#outcome").inner_text() == "We asked, you said, we did"
    assert page.locator("table caption").first.inner_text().startswith("Do you cycle by the river?")
    assert_accessible(page)
    _no_sideways_scroll(page, width)


def test_the_hub_and_a_page_work_without_javascript(page_at, site):
    page = page_at(390, javascript_enabled=False)
    page.goto("/consultations/")
    open_filters(page)
    page.get_by_label("Search").fill("crashes")
    submit(page, page.get_by_role("button", name="Show consultations"))
    assert page.locator(".civic-item h3").all_inner_texts() == ["Riverside cycle lanes"]
    with page.expect_navigation():
        page.get_by_role("link", name="Riverside cycle lanes").click()
    assert page.locator("h1").inner_text() == "Riverside cycle lanes"
    body = page.locator("#consultation-body").inner_text()
    assert "We plan new lanes." in body and "Fewer crashes by the river." in body
    assert page.get_by_role("button", name="Respond").is_visible()
    closes = page.locator("#consultation-dates").inner_text()
    assert closes.startswith("Closes on ")


def test_an_officer_publishes_the_outcome_in_the_admin_and_it_shows_on_the_page(
    page_at, signed_in_page, council, site
):
    """From the consultation's page to its outcome's own page, then the check page, whose
    button publishes: no item of the action list."""
    page = signed_in_page(council.officer)
    page.goto(f"/admin/consultations/consultation/{site['closed'].pk}/change/")
    with page.expect_navigation():
        page.get_by_role("link", name="Write and publish the outcome").click()
    assert_on_page(page, heading="Outcome of “Residents' parking”")
    assert page.locator(".civic-tabs [aria-current=page]").inner_text() == (
        "Outcome: we asked, you said, we did"
    )
    assert "We are building the lanes this spring." in page.locator("#content-main").inner_text()
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Publish the outcome").click()
    assert_on_page(page, heading="Publish the outcome of Residents' parking")
    assert_accessible(page)
    submit(page, page.get_by_role("button", name="Publish the outcome"))
    assert_on_page(page, heading="Outcome of “Residents' parking”")
    assert (
        "The outcome of “Residents' parking” is published"
        in page.locator(".messagelist").inner_text()
    )

    resident = page_at(390)
    resident.goto("/consultations/parking/")
    assert resident.locator("#consultation-stage").inner_text() == "Outcome published"
    outcome = resident.locator("#outcome ~ section").first.inner_text()
    assert "We are building the lanes this spring." in outcome
    assert "Lighting: 2 answers" in outcome
    assert "Build the lanes" in outcome
    assert_accessible(resident)


def test_on_a_phone_the_results_come_before_the_filters_folded_behind_filter(page_at, site):
    """The nine filters no longer push the results below the fold: one "Filter" line, then the
    results. The disclosure is a details element, so it works with JavaScript off; once a filter
    is in use it stays open, showing what is chosen."""
    page = page_at(390, javascript_enabled=False)
    page.goto("/consultations/")
    assert_on_page(page, heading="Consultations")
    first_result = page.locator(".civic-item h3").first
    assert first_result.is_visible()
    assert not page.get_by_label("Search").is_visible()
    filters = page.locator("#filters summary")
    assert filters.inner_text() == "Filter"
    summary_bottom = filters.bounding_box()["y"] + filters.bounding_box()["height"]
    assert first_result.bounding_box()["y"] - summary_bottom < 120  # only the count between
    assert first_result.bounding_box()["y"] < 900  # the first result is on the first screen

    filters.click()
    page.get_by_label("Upcoming").check()
    submit(page, page.get_by_role("button", name="Show consultations"))
    assert page.locator(".civic-item h3").all_inner_texts() == ["Park play area"]
    assert page.get_by_label("Upcoming").is_visible()
    assert page.get_by_label("Upcoming").is_checked()


def test_at_desktop_width_the_filters_stand_open_beside_the_results(page_at, site):
    page = page_at(1280)
    page.goto("/consultations/")
    search = page.get_by_label("Search")
    assert search.is_visible()
    first_result = page.locator(".civic-item h3").first
    assert search.bounding_box()["x"] < first_result.bounding_box()["x"]
    assert first_result.bounding_box()["y"] < 900
    assert_accessible(page)
