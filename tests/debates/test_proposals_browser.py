"""A resident proposes a debate in a space the council moderates, in headless Chromium at phone
and desktop widths, with JavaScript on and off: from the debates list to the space, the form
(and its errors), the page that says it was sent, and their proposals waiting. Each page is
checked by axe-core, the CSP refuses nothing, and nothing scrolls sideways (at 320 px too)."""

from __future__ import annotations

import pytest

from debates.models import Debate, DebateSpace
from tests.browser import WIDTHS, assert_on_page, submit
from tests.debates.test_pages_browser import checked

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
QUESTION = "Should the market square have a weekly car-free day?"


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    settings.CIVIC_DEBATE_PROPOSAL_MIN_SECONDS = 0


@pytest.fixture
def space(cast):
    return DebateSpace.objects.create(
        department=cast.department,
        title="Ideas for the town centre",
        slug="town-centre",
        description="Propose a question about the **town centre**.",
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_proposes_a_debate_which_waits_for_the_council(
    signed_in_page, cast, space, width, javascript
):
    page = signed_in_page(cast.resident, width, javascript_enabled=javascript)
    page.goto("/debates/")
    submit(page, page.get_by_role("link", name="Propose a debate of your own"))
    assert_on_page(page, heading="Propose a debate")
    checked(page)
    submit(page, page.get_by_role("link", name=space.title))
    assert_on_page(page, heading=space.title)
    checked(page)
    submit(page, page.get_by_role("link", name="Propose a debate in this space"))
    assert_on_page(page, heading="Propose a debate")
    checked(page)

    page.get_by_label("Your question").fill("Cars out of the square")
    submit(page, page.get_by_role("button", name="Send my proposal"))
    text = assert_on_page(page, heading="Propose a debate")
    assert "Enter your question, ending with a question mark" in text
    assert "Enter why this question matters" in text
    assert page.locator(".govuk-error-summary").is_visible()
    checked(page)
    assert not Debate.objects.exists()

    page.get_by_label("Your question").fill(QUESTION)
    page.get_by_label("Why it matters").fill("Stalls would spread out across the square.")
    submit(page, page.get_by_role("button", name="Send my proposal"))
    assert_on_page(page, heading="Proposal sent")
    checked(page)
    submit(page, page.get_by_role("link", name="See your proposals"))
    assert "Waiting for the council to decide." in assert_on_page(page, heading="Propose a debate")
    checked(page)
    assert Debate.objects.get().question == QUESTION


def test_the_proposal_pages_reflow_at_320_pixels(page_at, space):
    page = page_at(320)
    for path in (
        "/debates/spaces/",
        f"/debates/spaces/{space.slug}/",
        f"/debates/spaces/{space.slug}/propose/",
    ):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
