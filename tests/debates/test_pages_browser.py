"""Residents read debates in headless Chromium at phone and desktop widths, with JavaScript on and
off: the list, filtering it by stage, and a debate's page, each checked by axe-core, the CSP
refusing nothing, and nothing scrolling sideways (at 320 px too)."""

from __future__ import annotations

import pytest

from debates.models import Debate
from tests.browser import (
    WIDTHS,
    assert_accessible,
    assert_no_csp_errors,
    assert_on_page,
    submit,
)
from tests.consultations.factories import ConsultationFactory
from tests.debates.conftest import make_debate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Stage = Debate.Stage


def checked(page) -> None:
    if page.javascript_enabled:
        assert_accessible(page)
        assert_no_csp_errors(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways"
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_finds_a_debate_and_reads_it(page_at, cast, width, javascript):
    consultation = ConsultationFactory(department=cast.department, title="Riverside cycle lanes")
    make_debate(cast, Stage.CLOSED, question="Should every street be 20mph?")
    debate = make_debate(
        cast,
        question="Should the high street be closed to cars on Saturdays?",
        background="Buses **would** move.\n\n- Blue badge parking moves\n- Deliveries before 10am",
        consultation=consultation,
    )
    page = page_at(width, javascript_enabled=javascript)
    page.goto("/debates/")
    assert_on_page(page, heading="Debates")
    checked(page)

    if not page.get_by_label("Stage").is_visible():
        page.locator("#filters summary").click()
    page.get_by_label("Stage").select_option(label="Open")
    submit(page, page.get_by_role("button", name="Show debates"))
    text = assert_on_page(page, heading="Debates")
    assert "Should every street be 20mph?" not in text
    checked(page)

    submit(page, page.get_by_role("link", name=debate.question))
    text = assert_on_page(page, heading=debate.question)
    assert "This debate is open until" in text
    assert "Blue badge parking moves" in text
    assert page.get_by_role("link", name="Riverside cycle lanes").is_visible()
    checked(page)


def test_a_debate_page_reflows_at_320_pixels(page_at, cast):
    debate = make_debate(
        cast,
        question="Should the high street be closed to cars on Saturdays between ten and six?",
    )
    page = page_at(320)
    for path in ("/debates/", f"/debates/{debate.slug}/"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
