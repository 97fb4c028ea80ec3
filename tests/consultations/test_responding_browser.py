"""A resident responds in Chromium, at phone and desktop widths, with JavaScript on (axe checks
every page) and off (plain forms carry the whole journey), through the conditional page, a saved
and resumed draft, and the confirmation with its reference."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from consultations.models import Consultation, Response
from consultations.services.responding import (
    answers_save,
    response_start,
    response_submit,
    start_token,
)
from mailing.models import Delivery
from tests.browser import (
    WIDTHS,
    assert_accessible,
    assert_no_csp_errors,
    assert_on_page,
    sign_in,
    submit,
)
from tests.consultations.conftest import make_consultation
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _quick_residents(settings):
    """A browser answers in well under the minimum time a person needs."""
    settings.CIVIC_RESPONSE_MIN_SECONDS = 0


def click(page, name: str) -> None:
    """Press a button (JavaScript on or off) and wait for the page the server answers with."""
    submit(page, page.get_by_role("button", name=name, exact=True))


def check_page(page) -> None:
    """axe, the CSP, and no sideways scrolling at phone width (checks that need JavaScript)."""
    if page.javascript_enabled:
        assert_accessible(page)
        assert_no_csp_errors(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            f"{page.url} scrolls sideways at {page.viewport_size['width']} px"
        )


def respond_to_page_three(page) -> None:
    page.get_by_role("group", name=re.compile("What should we improve")).get_by_label(
        "Lighting"
    ).check()
    page.get_by_label("Other", exact=True).check()
    page.get_by_label("Please specify").fill("Benches")
    page.get_by_label(re.compile("When do you travel")).select_option(label="Evening")
    page.get_by_label("Agree", exact=True).check()
    ranking = page.get_by_role("group", name=re.compile("Rank these by importance"))
    ranking.get_by_label("Safety").select_option("1")
    ranking.get_by_label("Speed").select_option("3")
    ranking.get_by_label("Scenery").select_option("2")
    page.get_by_label(re.compile("Trips a week")).fill("4")
    date = page.get_by_role("group", name=re.compile("Cycling since"))
    date.get_by_label("Day").fill("1")
    date.get_by_label("Month").fill("6")
    date.get_by_label("Year").fill("2020")
    page.get_by_label(re.compile("Your e-mail address")).fill("ann@example.org")
    page.get_by_label(re.compile("Your postcode")).fill("m4 6aa")
    page.get_by_label("You may publish my answers without my name").check()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_completes_the_survey_and_sees_the_reference(page_at, survey, width, javascript):
    """With JavaScript the resident cycles and meets the conditional page; without it they
    do not, and the page is skipped."""
    page = page_at(width, javascript_enabled=javascript)
    page.goto(f"/consultations/{survey.consultation.slug}/respond/")
    assert page.locator("h1").inner_text() == "Respond to this consultation"
    check_page(page)
    click(page, "Start now")

    assert page.locator("h1").inner_text() == "Cycling"
    click(page, "Continue")  # nothing answered: the GOV.UK error summary and the message
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert summary.get_by_role("link").inner_text() == "Select whether you cycle by the river"
    assert page.title().startswith("Error:")
    check_page(page)
    page.get_by_label("Yes" if javascript else "No", exact=True).check()
    page.get_by_label(re.compile("Which route do you use")).fill("The towpath")
    click(page, "Continue")

    if javascript:
        assert page.locator("h1").inner_text() == "What helps"
        check_page(page)
        area = page.get_by_label("What would help you cycle more?")
        area.fill("Lights under the bridge")
        assert (
            "You have 477 characters remaining"
            in page.locator(".govuk-character-count__status").inner_text()
        )
        click(page, "Continue")

    assert page.locator("h1").inner_text() == "More"
    check_page(page)
    respond_to_page_three(page)
    click(page, "Continue")

    assert_on_page(page, heading="Check your answers before sending your response")
    check_page(page)
    summary = page.locator(".govuk-summary-list").first
    assert ("Yes" if javascript else "No") in summary.inner_text()
    if javascript:
        assert "Lights under the bridge" in page.locator("main").inner_text()
    else:
        assert "What helps" not in page.locator("main").inner_text()
    assert "Other: Benches" in page.locator("main").inner_text()
    page.get_by_label("E-mail me a copy of my answers").check()
    page.get_by_label("Your e-mail address").fill("ann@example.org")
    click(page, "Send my response")

    response = Response.objects.get()
    assert response.status == "submitted"
    panel = page.locator(".govuk-panel--confirmation")
    assert panel.locator("h1").inner_text() == "Response sent"
    assert response.reference in panel.inner_text()
    assert response.area.name == "Ancoats"
    check_page(page)
    assert Delivery.objects.get().to_email == "ann@example.org"

    page.go_back()  # the back button and a second press store nothing more
    if page.get_by_role("button", name="Send my response").count():
        click(page, "Send my response")
    assert Response.objects.count() == 1


@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_saves_a_draft_and_resumes_it_from_the_emailed_link(page_at, survey, width):
    page = page_at(width)
    page.goto(f"/consultations/{survey.consultation.slug}/respond/")
    click(page, "Start now")
    page.get_by_label("Yes", exact=True).check()
    click(page, "Continue")
    page.get_by_label("What would help you cycle more?").fill("Wider paths")
    click(page, "Save and come back later")

    assert page.locator("h1").inner_text() == "Your response so far"
    assert (
        "Your answers so far are saved." in page.locator(".govuk-notification-banner").inner_text()
    )
    check_page(page)
    click(page, "Send me a link")
    assert page.locator(".govuk-error-summary").is_visible()
    check_page(page)
    page.get_by_label("Your e-mail address").fill("ann@example.org")
    click(page, "Send me a link")
    assert (
        "We have sent a link to ann@example.org"
        in page.locator(".govuk-notification-banner").inner_text()
    )

    link = re.search(r"https?://\S+?(/consultations/\S+/)", Delivery.objects.get().message["text"])
    elsewhere = page_at(width, javascript_enabled=False)  # another device, no session
    elsewhere.goto(link.group(1))
    assert elsewhere.locator("h1").inner_text() == "More"  # the first page not yet done
    click(elsewhere, "Back")
    assert elsewhere.locator("h1").inner_text() == "What helps"
    assert elsewhere.get_by_label("What would help you cycle more?").input_value() == (
        "Wider paths"
    )
    click(elsewhere, "Continue")
    click(elsewhere, "Continue")
    click(elsewhere, "Send my response")
    response = Response.objects.get()
    assert response.status == "submitted"
    assert response.reference in elsewhere.locator(".govuk-panel").inner_text()

    page.goto(link.group(1))  # the link once the response is in
    assert page.locator("h1").inner_text() == "This response has been sent"
    check_page(page)
    page.goto(f"/consultations/{survey.consultation.slug}/respond/resume/not-a-real-link/")
    assert page.locator("h1").inner_text() == "This link has expired"
    check_page(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_pages_that_turn_a_resident_away_are_accessible(page_at, council, width):
    make_consultation(council.department, slug="closed", opens=-30, closes=-1)
    make_consultation(council.department, slug="upcoming", opens=3, closes=30)
    signed_in_only = make_consultation(council.department, slug="members")
    Consultation.objects.filter(pk=signed_in_only.consultation.pk).update(allow_anonymous=False)
    page = page_at(width)
    for slug, heading in (
        ("closed", "This consultation has closed"),
        ("upcoming", "This consultation is not open yet"),
        ("members", "Sign in to respond"),
    ):
        page.goto(f"/consultations/{slug}/respond/")
        assert page.locator("h1").inner_text() == heading
        check_page(page)

    ann = UserFactory()
    response = response_start(
        consultation=signed_in_only.consultation,
        user=ann,
        token=start_token(now=timezone.now().timestamp() - 60),
    )
    answers_save(
        response=response,
        page=signed_in_only.pages[0],
        answers={signed_in_only.questions["cycles"].pk: signed_in_only.option("cycles", "No").pk},
        user=ann,
    )
    response_submit(response=response, user=ann)
    sign_in(page, ann)
    page.goto("/consultations/members/respond/")
    assert page.locator("h1").inner_text() == "You have already responded"
    assert response.reference in page.locator("main").inner_text()
    check_page(page)
