"""An officer makes a batch of voting codes and keys in paper ballots in Chromium: the codes page,
the printout of cards (which prints only the cards, and whose CSV link saves the codes), the paper
page with a refused ballot and a saved one, at desktop and phone widths, with axe finding nothing
and the site's CSP refusing nothing; and the same work without JavaScript."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from budgets.codes import code_find
from budgets.models import Ballot, CodeBatch, Idea, Process
from tests.browser import assert_accessible, assert_no_csp_errors, assert_on_page, submit
from tests.budgets.conftest import budget_of, make_idea, make_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def checked(page) -> None:
    assert_accessible(page)
    assert_no_csp_errors(page)


@pytest.mark.parametrize("width", [1280, 390])
def test_an_officer_makes_codes_and_prints_them_through_accessible_pages(
    council, signed_in_page, width
):
    process = make_process(council, Process.Stage.VOTING, title="Northbridge decides 2027")
    page = signed_in_page(council.officer, width)
    page.goto(reverse("admin:budgets_process_change", args=[process.pk]))
    submit(page, page.get_by_role("link", name="Voting codes"))
    checked(page)
    page.get_by_label("Name of the batch").fill("Central library")
    page.get_by_label("Area").select_option(label="Ancoats")
    page.get_by_label("How many codes").fill("4")
    submit(page, page.get_by_role("button", name="Make the codes"))  # without the check
    assert page.locator(".errornote").first.inner_text().startswith("There is a problem")
    checked(page)
    assert not CodeBatch.objects.exists()
    page.get_by_label("I am ready to print or save the codes now").check()
    submit(page, page.get_by_role("button", name="Make the codes"))
    assert_on_page(page, heading="Voting codes: Central library")
    checked(page)
    codes = page.locator(".voting-code").all_inner_texts()
    assert len(codes) == 4 and all(code_find(process, code) for code in codes)

    with page.expect_download() as caught:
        page.get_by_role("button", name="Save the codes as a CSV file").click()
    saved = caught.value
    assert saved.suggested_filename.endswith(".csv")
    text = Path(saved.path()).read_text(encoding="utf-8")
    assert all(code in text for code in codes)

    page.emulate_media(media="print")
    assert not page.locator("#header").is_visible()
    assert not page.locator("#codes-warning").is_visible()
    assert page.locator(".voting-code-card").first.is_visible()


def test_an_officer_keys_in_paper_ballots_through_accessible_pages(council, signed_in_page):
    process = make_process(council, Process.Stage.VOTING, title="Northbridge decides 2027")
    swings, trees = (
        make_idea(
            process,
            proposer=council.resident,
            area=council.ancoats,
            title=title,
            status=Idea.Status.ON_BALLOT,
            final_cost=cost,
        )
        for title, cost in (("Swings", 30_000), ("Trees", 25_000))
    )
    page = signed_in_page(council.officer, 1280)
    page.goto(reverse("admin:budgets_process_change", args=[process.pk]))
    submit(page, page.get_by_role("link", name="Paper ballots"))
    checked(page)
    page.get_by_label("Budget").select_option(label="Ancoats")
    submit(page, page.get_by_role("button", name="Choose this budget"))
    checked(page)
    page.get_by_label("Swings (£30,000)").check()
    page.get_by_label("Trees (£25,000)").check()
    page.get_by_label("Batch of paper ballots").fill("Town hall box 3")
    submit(page, page.get_by_role("button", name="Save the paper ballot"))
    assert "more than its £50,000" in page.locator(".errornote").inner_text()
    checked(page)
    assert not Ballot.objects.exists()
    page.get_by_label("Trees (£25,000)").uncheck()
    submit(page, page.get_by_role("button", name="Save the paper ballot"))
    checked(page)
    assert "is saved" in page.locator(".messagelist").inner_text()
    ballot = Ballot.objects.get()
    assert list(ballot.projects.all()) == [swings] and ballot.budget == budget_of(
        process, council.ancoats
    )
    assert trees.pk


def test_codes_and_paper_work_without_javascript(council, signed_in_page):
    process = make_process(council, Process.Stage.VOTING, title="Northbridge decides 2027")
    make_idea(process, proposer=council.resident, title="Lights", status=Idea.Status.ON_BALLOT,
              final_cost=1_000)  # fmt: skip
    page = signed_in_page(council.officer, 1280, javascript_enabled=False)
    page.goto(reverse("admin:budgets_process_codes", args=[process.pk]))
    page.get_by_label("Name of the batch").fill("Drop-in")
    page.get_by_label("How many codes").fill("2")
    page.get_by_label("I am ready to print or save the codes now").check()
    submit(page, page.get_by_role("button", name="Make the codes"))
    assert page.locator(".voting-code").count() == 2
    assert CodeBatch.objects.get().area is None  # each voter chooses

    page.goto(reverse("admin:budgets_process_paper", args=[process.pk]))
    page.get_by_label("Budget").select_option(label="Citywide")
    submit(page, page.get_by_role("button", name="Choose this budget"))
    page.get_by_label("Lights (£1,000)").check()
    page.get_by_label("Batch of paper ballots").fill("Library box")
    submit(page, page.get_by_role("button", name="Save the paper ballot"))
    assert Ballot.objects.get().paper_batch == "Library box"
    assert page.get_by_label("Batch of paper ballots").input_value() == "Library box"
