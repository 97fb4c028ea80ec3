"""Residents take part in a conversation in headless Chromium at phone and desktop widths, with
JavaScript on and off: from the debates list to the conversations, voting Agree, Disagree and
Pass through every statement one at a time, changing a vote, and adding a statement; an
anonymous visitor where the conversation allows it. Each page is checked by axe-core, the CSP
refuses nothing, and nothing scrolls sideways (at 320 px too)."""

from __future__ import annotations

import pytest

from debates.models import Conversation, Participant, StatementVote
from tests.browser import WIDTHS, assert_on_page, submit
from tests.debates.conftest import make_conversation
from tests.debates.test_pages_browser import checked

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TITLE = "Sharing the high street between people walking, cycling and driving"


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    settings.CIVIC_CONVERSATION_JOIN_MIN_SECONDS = 0
    settings.CIVIC_CONVERSATION_STATEMENT_MIN_SECONDS = 0


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_votes_through_the_statements_and_adds_one(
    signed_in_page, cast, width, javascript
):
    conversation = make_conversation(
        cast,
        title=TITLE,
        question="How should the high street be shared?",
        background="Buses **would** move.\n\n- Blue badge parking moves",
        statement_moderation=Conversation.Moderation.BEFORE,
    )
    first, second, third = conversation.statements.order_by("pk")
    page = signed_in_page(cast.resident, width, javascript_enabled=javascript)
    page.goto("/debates/")
    submit(page, page.get_by_role("link", name="Conversations: say where you stand"))
    assert_on_page(page, heading="Conversations")
    checked(page)
    submit(page, page.get_by_role("link", name=TITLE))
    text = assert_on_page(page, heading=TITLE)
    assert "You have voted on 0 of 3 statements." in text
    assert page.locator("#statement-text").inner_text() == first.text
    checked(page)

    for button in ("Agree", "Disagree", "Pass"):
        submit(page, page.get_by_role("button", name=button, exact=True))
        assert_on_page(page, heading=TITLE)
    text = page.locator("main").inner_text()
    assert "You have voted on all 3 statements." in text
    checked(page)
    assert sorted(StatementVote.objects.values_list("statement", "choice")) == [
        (first.pk, 1),
        (second.pk, -1),
        (third.pk, 0),
    ]

    # Changing the first vote.
    submit(page, page.locator("#your-votes a").first)
    assert "Your vote: agree." in assert_on_page(page, heading=TITLE)
    checked(page)
    submit(page, page.get_by_role("button", name="Disagree", exact=True))
    assert StatementVote.objects.get(statement=first).choice == -1

    submit(page, page.get_by_role("link", name="Add a statement of your own"))
    assert_on_page(page, heading="Add a statement")
    checked(page)
    submit(page, page.get_by_role("button", name="Add my statement"))
    assert_on_page(page, heading="Add a statement")
    assert page.locator(".govuk-error-summary").is_visible()
    checked(page)
    page.get_by_label("Your statement").fill("More benches along the street.")
    submit(page, page.get_by_role("button", name="Add my statement"))
    assert "The council will check your statement." in assert_on_page(
        page, heading="Statement added"
    )
    checked(page)
    assert Participant.objects.get().user == cast.resident


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_anonymous_visitor_votes_where_the_conversation_allows_it(page_at, cast, javascript):
    conversation = make_conversation(cast, title=TITLE, allow_anonymous=True)
    page = page_at(390, javascript_enabled=javascript)
    page.goto(f"/debates/conversations/{conversation.slug}/")
    assert_on_page(page, heading=TITLE)
    submit(page, page.get_by_role("button", name="Agree", exact=True))
    submit(page, page.get_by_role("button", name="Pass", exact=True))
    assert "You have voted on 2 of 3 statements." in assert_on_page(page, heading=TITLE)
    checked(page)
    participant = Participant.objects.get()
    assert participant.user is None and participant.votes.count() == 2


def test_the_conversation_pages_reflow_at_320_pixels(page_at, cast):
    conversation = make_conversation(cast, title=TITLE, allow_anonymous=True)
    page = page_at(320)
    for path in (
        "/debates/conversations/",
        f"/debates/conversations/{conversation.slug}/",
        f"/debates/conversations/{conversation.slug}/statements/add/",
    ):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
