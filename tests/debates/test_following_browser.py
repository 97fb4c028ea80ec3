"""Following a debate in headless Chromium at phone and desktop widths, with JavaScript on and
off: the button on the debate's page, the consent left unticked until the person ticks it (an
error next to the box and in the summary if they do not), then stopping; and the council's
conclusion at the top of a closed debate's page. Each page is checked by axe-core, the CSP
refuses nothing, and nothing scrolls sideways."""

from __future__ import annotations

import pytest
from django.utils import timezone

from debates.models import Conclusion, Debate, Follow
from tests.browser import WIDTHS, assert_on_page, submit
from tests.debates.conftest import make_debate
from tests.debates.test_pages_browser import checked

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_follows_a_debate_and_stops(signed_in_page, cast, width, javascript):
    debate = make_debate(cast, question="Should the high street be closed to cars on Saturdays?")
    page = signed_in_page(cast.resident, width, javascript_enabled=javascript)
    page.goto(f"/debates/{debate.slug}/")
    assert_on_page(page, heading=debate.question)
    checked(page)

    submit(page, page.get_by_role("button", name="Follow this debate"))
    assert_on_page(page, heading="Follow this debate")
    consent = page.get_by_label("I agree to get e-mails about this debate", exact=False)
    assert not consent.is_checked()
    checked(page)

    submit(page, page.get_by_role("button", name="Follow this debate"))
    assert_on_page(page, heading="Follow this debate")
    assert page.locator(".govuk-error-summary").is_visible()
    assert page.locator("#id_consents_error").is_visible()
    assert Follow.objects.count() == 0
    checked(page)

    page.get_by_label("I agree to get e-mails about this debate", exact=False).check()
    submit(page, page.get_by_role("button", name="Follow this debate"))
    text = assert_on_page(page, heading=debate.question)
    assert "You follow this debate" in text
    assert Follow.objects.filter(debate=debate, user=cast.resident).count() == 1
    checked(page)

    submit(page, page.get_by_role("button", name="Stop following this debate"))
    assert_on_page(page, heading=debate.question)
    assert page.get_by_role("button", name="Follow this debate").is_visible()
    assert Follow.objects.count() == 0
    checked(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_closed_debate_shows_the_council_conclusion_first(page_at, cast, width, javascript):
    debate = make_debate(cast, Debate.Stage.CLOSED, question="Should every street be 20mph?")
    Conclusion.objects.create(
        debate=debate,
        text="We will make every residential street **20mph** from April.\n\n- Signs first",
        published_at=timezone.now(),
    )
    page = page_at(width, javascript_enabled=javascript)
    page.goto(f"/debates/{debate.slug}/")
    assert_on_page(page, heading=debate.question)
    conclusion = page.locator("#debate-conclusion")
    assert "We will make every residential street 20mph from April." in conclusion.inner_text()
    top = page.evaluate("document.querySelector('#debate-conclusion').getBoundingClientRect().top")
    background = page.evaluate(
        "document.querySelector('#debate-background').getBoundingClientRect().top"
    )
    assert top < background
    checked(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_an_officer_checks_previews_and_publishes_a_conclusion(signed_in_page, cast, width):
    debate = make_debate(cast, Debate.Stage.CLOSED, question="Should every street be 20mph?")
    page = signed_in_page(cast.officer, width)
    page.goto(f"/admin/debates/debate/{debate.pk}/change/")
    submit(page, page.get_by_role("link", name="Conclusion"))
    checked(page)

    submit(page, page.get_by_role("button", name="Check and preview"))
    assert page.locator(".errornote").is_visible()
    assert "Enter the conclusion" in page.locator(".errornote").inner_text()
    checked(page)

    page.get_by_label("Conclusion").fill("We will make every residential street **20mph**.")
    submit(page, page.get_by_role("button", name="Check and preview"))
    assert "every residential street 20mph" in page.locator("#conclusion-preview").inner_text()
    assert Conclusion.objects.count() == 0
    checked(page)

    submit(page, page.get_by_role("button", name="Publish the conclusion"))
    assert page.locator("#conclusion-published").is_visible()
    assert Conclusion.objects.get().text == "We will make every residential street **20mph**."
    checked(page)
