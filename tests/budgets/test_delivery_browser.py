"""Residents follow the winning projects in headless Chromium at phone and desktop widths: the
list of projects filtered by status and area, and a winning idea's page with its progress,
milestones and photo, checked by axe-core with JavaScript on and the CSP refusing nothing; and
the filters again with JavaScript off (a plain GET form)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from budgets.delivery import delivery_start, delivery_status_set, milestone_add
from budgets.models import Idea, Process, Project
from tests.browser import WIDTHS, assert_accessible, assert_no_csp_errors, assert_on_page, submit
from tests.budgets.conftest import make_idea, make_process
from tests.budgets.test_delivery import PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def checked(page) -> None:
    assert_accessible(page)
    assert_no_csp_errors(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways"
    )


@pytest.fixture
def projects(council, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    process = make_process(council, Process.Stage.IMPLEMENTATION, title="Northbridge decides 2027")
    swings = make_idea(process, proposer=council.resident, title="Swings in Ancoats Park",
                       area=council.ancoats, status=Idea.Status.ON_BALLOT, final_cost=21_000,
                       category=process.categories.first())  # fmt: skip
    crossing = make_idea(process, proposer=council.resident, title="A crossing in Hulme",
                         area=council.hulme, status=Idea.Status.ON_BALLOT,
                         final_cost=9_000)  # fmt: skip
    delivery_start(process=process, ideas=[swings, crossing])
    delivery_status_set(actor=council.officer, idea=swings, status=Project.Status.IN_PROGRESS)
    milestone_add(
        actor=council.officer, idea=swings, date=dt.date(2027, 5, 1), title="Ground cleared",
        description="The old fence is gone.", percent_complete=30,
        photo=SimpleUploadedFile("site.png", PNG, content_type="image/png"),
        photo_alt="A cleared patch of grass by the canal.",
    )  # fmt: skip
    return process, swings


@pytest.mark.parametrize("width", WIDTHS)
def test_the_projects_and_a_projects_page_pass_axe(page_at, projects, width):
    process, swings = projects
    page = page_at(width)
    page.goto(f"/budgets/{process.slug}/projects/")
    assert_on_page(page, heading="Winning projects: Northbridge decides 2027")
    checked(page)
    page.goto(f"/budgets/{process.slug}/ideas/{swings.pk}/")
    assert_on_page(page, heading="Swings in Ancoats Park")
    assert page.locator("#idea-progress").is_visible()
    photo = page.get_by_role("img", name="A cleared patch of grass by the canal.")
    assert photo.evaluate("image => image.complete && image.naturalWidth > 0")
    checked(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_filters_the_projects_and_opens_one(page_at, projects, width, javascript):
    process, _swings = projects
    page = page_at(width, javascript_enabled=javascript)
    page.goto(f"/budgets/{process.slug}/")
    submit(page, page.get_by_role("link", name="See the winning projects and how they are going"))
    assert_on_page(page, heading="Winning projects: Northbridge decides 2027")
    if not page.get_by_label("Status").is_visible():
        page.get_by_text("Filter", exact=True).click()  # folded on a phone
    page.get_by_label("Status").select_option(label="In progress")
    submit(page, page.get_by_role("button", name="Show projects"))
    assert_on_page(page, heading="Winning projects: Northbridge decides 2027")
    assert page.get_by_text("1 project", exact=True).is_visible()
    assert page.get_by_role("link", name="A crossing in Hulme").count() == 0
    if javascript:
        checked(page)
    submit(page, page.get_by_role("link", name="Swings in Ancoats Park"))
    assert_on_page(page, heading="Swings in Ancoats Park")
    assert "30% complete" in page.locator("#idea-progress").inner_text()
