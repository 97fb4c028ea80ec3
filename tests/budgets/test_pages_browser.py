"""Residents take part in a budget in headless Chromium at phone and desktop widths: the process
page, proposing an idea, its page and supporting it, every page checked by axe-core with
JavaScript on and the CSP refusing nothing, and the journey again with JavaScript off (plain
forms carry it)."""

from __future__ import annotations

import pytest

from budgets.models import Idea, Support
from tests.browser import (
    WIDTHS,
    assert_accessible,
    assert_no_csp_errors,
    assert_on_page,
    submit,
)
from tests.budgets.conftest import make_idea, make_process, support

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def click(page, name: str) -> None:
    submit(page, page.get_by_role("button", name=name, exact=True))


def checked(page) -> None:
    assert_accessible(page)
    assert_no_csp_errors(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways"
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_process_and_idea_pages_pass_axe(page_at, council, width):
    process = make_process(council, title="Northbridge decides 2027")
    idea = make_idea(process, proposer=council.resident, title="Swings in Ancoats Park",
                     area=council.ancoats, status=Idea.Status.FEASIBLE, final_cost=21_000,
                     reason="On council land.", category=process.categories.first())  # fmt: skip
    support(idea, council.supporter)
    page = page_at(width)
    for path, heading in (
        ("/budgets/", "Participatory budgets"),
        (f"/budgets/{process.slug}/", "Northbridge decides 2027"),
        (f"/budgets/{process.slug}/ideas/{idea.pk}/", "Swings in Ancoats Park"),
    ):
        page.goto(path)
        assert_on_page(page, heading=heading)
        checked(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_proposes_an_idea_and_another_supports_it(
    signed_in_page, council, width, javascript
):
    process = make_process(council, title="Northbridge decides 2027")
    page = signed_in_page(council.resident, width, javascript_enabled=javascript)
    page.goto(f"/budgets/{process.slug}/")
    submit(page, page.get_by_role("link", name="Propose an idea"))
    assert_on_page(page, heading="Propose an idea")
    if javascript:
        checked(page)

    click(page, "Publish my idea")  # empty: every problem is named
    assert_on_page(page, heading="Propose an idea")
    assert page.locator(".govuk-error-summary").is_visible()
    if javascript:
        checked(page)
    assert not Idea.objects.exists()

    page.get_by_label("Give your idea a title").fill("Swings in Ancoats Park")
    page.get_by_label("Describe your idea").fill("For children under ten.")
    page.get_by_label("Ancoats (£50,000)").check()
    page.get_by_label("What do you think it would cost, in pounds?").fill("£20,000")
    page.get_by_label("Category").select_option(label="Parks")
    page.get_by_label("Tell me about this idea's progress").check()
    click(page, "Publish my idea")
    assert_on_page(page, heading="Swings in Ancoats Park")
    idea = Idea.objects.get()
    assert (idea.estimated_cost, idea.budget.name) == (20_000, "Ancoats")

    other = signed_in_page(council.supporter, width, javascript_enabled=javascript)
    other.goto(f"/budgets/{process.slug}/ideas/{idea.pk}/")
    submit(other, other.get_by_role("link", name="Support this idea"))
    assert_on_page(other, heading="Support this idea")
    if javascript:
        checked(other)
    click(other, "Support this idea")
    assert_on_page(other, heading="Swings in Ancoats Park")
    assert "You support this idea." in other.locator("main").inner_text()
    if javascript:
        checked(other)
    assert Support.objects.filter(idea=idea, user=council.supporter).count() == 1
