"""The results page in headless Chromium at phone and desktop widths, with JavaScript on and off:
checked by axe-core, the CSP refusing nothing, and nothing scrolling sideways."""

from __future__ import annotations

import pytest

from budgets.results import results_sweep
from tests.browser import WIDTHS, assert_accessible, assert_no_csp_errors, assert_on_page
from tests.budgets.conftest import make_process
from tests.budgets.test_results import election  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_the_results_page_passes_axe_and_reflows(page_at, council, election, width, javascript):  # noqa: F811
    process, _ideas = election
    results_sweep()
    page = page_at(width, javascript_enabled=javascript)
    page.goto(f"/budgets/{process.slug}/")
    page.get_by_role("link", name="See the results").click()
    assert_on_page(page, heading="Results")
    main = page.locator("main").inner_text()
    assert "Projects funded in Ancoats" in main
    assert "Funded: paid for by the equal shares of its 4 voters, £4,500 each." in main
    assert page.get_by_role("img", name="Bar chart of the share of the money funded in each area; "
                            "the table below gives the figures.").is_visible()  # fmt: skip
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways at {width}px"
    )
    if javascript:
        assert_accessible(page)
        assert_no_csp_errors(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_before_the_results_passes_axe(page_at, council, width):
    process = make_process(council, "voting", title="Northbridge decides 2027")
    page = page_at(width)
    page.goto(f"/budgets/{process.slug}/results/")
    assert_on_page(page, heading="Results")
    assert "The results will be published here soon after." in page.locator("main").inner_text()
    assert_accessible(page)
    assert_no_csp_errors(page)
