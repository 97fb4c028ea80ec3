"""A resident with no account takes part in a conversation with their e-mail address, in headless
Chromium at phone and desktop widths, with JavaScript on and off: the form (and its error), the
page that says a link is on its way, the link's page, and voting. Each page is checked by
axe-core, the CSP refuses nothing, and nothing scrolls sideways (at 320 px too)."""

from __future__ import annotations

import pytest

from debates.conversation_email import link_token
from debates.models import Participant, StatementVote
from mailing.models import Delivery
from tests.browser import WIDTHS, assert_on_page, submit
from tests.debates.conftest import make_conversation
from tests.debates.test_pages_browser import checked

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TITLE = "The future of the market hall"


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    settings.CIVIC_CONVERSATION_EMAIL_MIN_SECONDS = 0


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_without_an_account_takes_part_by_the_link_they_are_sent(
    page_at, cast, width, javascript
):
    conversation = make_conversation(cast, title=TITLE)
    first = conversation.statements.order_by("pk").first()
    page = page_at(width, javascript_enabled=javascript)
    page.goto(f"/debates/conversations/{conversation.slug}/")
    assert_on_page(page, heading=TITLE)
    submit(page, page.get_by_role("link", name="Or take part with your e-mail address"))
    assert_on_page(page, heading="Take part with your e-mail address")
    checked(page)

    page.get_by_label("Your e-mail address").fill("not an address")
    submit(page, page.get_by_role("button", name="Send me the link"))
    assert "Enter an e-mail address in the correct format" in assert_on_page(
        page, heading="Take part with your e-mail address"
    )
    assert page.locator(".govuk-error-summary").is_visible()
    checked(page)
    assert not Participant.objects.exists()

    page.get_by_label("Your e-mail address").fill("maya@example.org")
    page.get_by_label("Tell me how this conversation goes").check()
    submit(page, page.get_by_role("button", name="Send me the link"))
    assert "We have sent a link to maya@example.org" in assert_on_page(
        page, heading="Check your e-mail"
    )
    checked(page)
    assert Delivery.objects.get().to_email == "maya@example.org"

    participant = Participant.objects.get()
    page.goto(f"/debates/conversations/{conversation.slug}/take-part/{link_token(participant)}/")
    assert_on_page(page, heading="You can take part now")
    checked(page)
    submit(page, page.get_by_role("link", name="Start voting"))
    assert "You have voted on 0 of 3 statements." in assert_on_page(page, heading=TITLE)
    submit(page, page.get_by_role("button", name="Agree", exact=True))
    assert "You have voted on 1 of 3 statements." in assert_on_page(page, heading=TITLE)
    checked(page)
    assert StatementVote.objects.get().statement == first


def test_the_email_pages_reflow_at_320_pixels(page_at, cast):
    conversation = make_conversation(cast, title=TITLE)
    participant = Participant.objects.create(
        conversation=conversation, email="maya@example.org", anonymous_key="k"
    )
    page = page_at(320)
    base = f"/debates/conversations/{conversation.slug}/take-part/"
    for path in (base, f"{base}{link_token(participant)}/", f"{base}not-a-link/"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
