"""An officer reviews an idea in Chromium at desktop width: the idea's page with its decisions,
the merge page with its list of ideas and its check, a refused decision and the process's page,
with axe finding nothing and the site's CSP refusing nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from budgets.models import Idea, Process
from tests.browser import assert_accessible, assert_no_csp_errors, submit
from tests.budgets.conftest import make_idea, make_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def checked(page) -> None:
    assert_accessible(page)
    assert_no_csp_errors(page)


def test_an_officer_merges_a_duplicate_through_accessible_pages(council, signed_in_page):
    process = make_process(council, Process.Stage.REVIEW)
    idea = make_idea(process, proposer=council.resident, title="Swings")
    make_idea(process, proposer=council.supporter, title="A playground")
    page = signed_in_page(council.officer, 1280)

    page.goto(reverse("admin:budgets_idea_change", args=[idea.pk]))
    checked(page)
    submit(page, page.get_by_role("link", name="Merge into another idea"))
    checked(page)
    page.get_by_label("Merge it into").select_option(label="A playground (Citywide, proposed)")
    submit(page, page.get_by_role("button", name="Merge the ideas"))  # without the check
    assert page.locator(".errornote").inner_text().startswith("There is a problem")
    checked(page)
    page.get_by_label("I have checked that the two ideas are about the same thing").check()
    submit(page, page.get_by_role("button", name="Merge the ideas"))
    idea.refresh_from_db()
    assert idea.status == Idea.Status.MERGED
    assert "The ideas are merged" in page.locator(".messagelist").inner_text()

    page.goto(reverse("admin:budgets_process_change", args=[process.pk]))
    checked(page)
