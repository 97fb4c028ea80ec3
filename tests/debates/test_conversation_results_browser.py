"""A resident reads a conversation's opinion groups in headless Chromium at phone and desktop
widths, with JavaScript on and off: axe-core finds nothing, the CSP refuses nothing, the page never
scrolls sideways (at 320 px too) and no word breaks; the table of statements scrolls in its own
box, which takes keyboard focus."""

from __future__ import annotations

import pytest

from debates.conversation_results import conversation_results_recompute
from tests.browser import WIDTHS, assert_accessible, assert_no_csp_errors, assert_on_page
from tests.debates.conftest import make_conversation
from tests.debates.conversations_planted import votes_load
from tests.debates.planted import planted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways"
    )
    # No word broken across lines: nothing on the page may wrap inside a word.
    assert page.evaluate(
        """() => [...document.querySelectorAll('main *')].every(element => {
            const style = getComputedStyle(element);
            return style.wordBreak !== 'break-all' && style.overflowWrap !== 'anywhere'
                && style.hyphens !== 'auto';
        })"""
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_reads_the_opinion_groups(page_at, cast, width, javascript):
    conversation = make_conversation(
        cast, seeds=0, title="Sharing the high street", slug="sharing-the-high-street"
    )
    votes_load(
        conversation,
        planted(participants=150, statements=14, consensus_agree=1, sparse_share=0.05, seed=41),
    )
    conversation_results_recompute(conversation_id=conversation.pk)
    page = page_at(width, javascript_enabled=javascript)

    page.goto(f"/debates/conversations/{conversation.slug}/")
    page.get_by_role("link", name="See which groups people fall into").click()

    assert_on_page(page, heading="Opinion groups")
    assert page.get_by_role("heading", name="The groups", exact=True).is_visible()
    assert page.get_by_role("heading", name="Group A:").first.is_visible()
    assert page.get_by_role("img", name="Group A,").is_visible()
    table = page.get_by_role("region", name="Votes on each statement")
    table.focus()
    assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
    if javascript:
        assert_accessible(page)
        assert_no_csp_errors(page)
    _fits(page)
    page.set_viewport_size({"width": 320, "height": 900})
    _fits(page)
