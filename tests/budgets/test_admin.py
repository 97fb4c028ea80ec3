"""The officers' side in the admin: a review decision is a button that leads to its own page,
with choices rather than typed ids and a check to confirm what cannot be undone; a refused
decision is drawn again with its problem next to the field; publishing lists what stops it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from budgets.models import Idea, Process
from civic.models import AuditEntry
from mailing.models import Delivery
from tests.budgets.conftest import make_idea, make_process
from tests.pages import ANY_HEADING, assert_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(council) -> Client:
    client = Client()
    client.force_login(council.officer)
    return client


def test_an_ideas_page_offers_the_decisions_open_to_it_as_buttons(council, officer):
    idea = make_idea(
        make_process(council, Process.Stage.REVIEW), proposer=council.resident, title="Swings"
    )
    html = assert_page(officer.get(f"/admin/budgets/idea/{idea.pk}/change/"), heading=ANY_HEADING)
    for name in ("feasible", "not_feasible", "cost", "merge", "withdraw"):
        assert f'id="decision-{name}"' in html
    assert 'id="decision-ballot"' not in html  # only a feasible idea goes on the ballot


def test_an_officer_marks_an_idea_feasible_from_its_page(council, officer):
    idea = make_idea(
        make_process(council, Process.Stage.REVIEW), proposer=council.resident, title="Swings"
    )
    page = f"/admin/budgets/idea/{idea.pk}/feasible/"
    html = assert_page(officer.get(page), heading="Feasible: Swings")
    assert 'name="reason"' in html

    refused = officer.post(page, {"reason": "", "final_cost": "0"})
    html = assert_page(refused, heading="Feasible: Swings")
    assert "Enter the reason, which is shown on the idea" in html
    assert "Enter a cost of at least £1" in html
    idea.refresh_from_db()
    assert idea.status == Idea.Status.PROPOSED

    done = officer.post(page, {"reason": "On council land.", "final_cost": "19000"})
    assert done.status_code == 302
    idea.refresh_from_db()
    assert (idea.status, idea.final_cost) == (Idea.Status.FEASIBLE, 19_000)
    assert (
        AuditEntry.objects.filter(actor=council.officer, object_repr=f"Idea #{idea.pk}").count()
        == 1
    )
    assert Delivery.objects.filter(to_email="cara@example.org").count() == 1


def test_merging_offers_the_process_ideas_by_title_and_needs_the_check(council, officer):
    process = make_process(council, Process.Stage.REVIEW)
    idea = make_idea(process, proposer=council.resident, title="Swings")
    carries_on = make_idea(process, proposer=council.supporter, title="A playground")
    elsewhere = make_idea(make_process(council, Process.Stage.REVIEW), proposer=council.supporter,
                          title="Another process's idea")  # fmt: skip
    page = f"/admin/budgets/idea/{idea.pk}/merge/"
    html = assert_page(officer.get(page), heading="Merge into another idea: Swings")
    assert f'<option value="{carries_on.pk}">A playground (Citywide, proposed)</option>' in html
    assert "Another process" not in html and f'value="{elsewhere.pk}"' not in html

    unchecked = officer.post(page, {"into": str(carries_on.pk)})
    assert "Confirm that the two ideas are about the same thing" in unchecked.content.decode()
    idea.refresh_from_db()
    assert idea.status == Idea.Status.PROPOSED

    assert officer.post(page, {"into": str(carries_on.pk), "checked": "on"}).status_code == 302
    idea.refresh_from_db()
    assert (idea.status, idea.merged_into) == (Idea.Status.MERGED, carries_on)


def test_publishing_lists_what_stops_it_then_publishes(council, officer):
    process = make_process(council, Process.Stage.UPCOMING, status=Process.Status.DRAFT,
                           voting_opens_at=None)  # fmt: skip
    page = f"/admin/budgets/process/{process.pk}/publish/"
    html = officer.get(page).content.decode()
    # Each problem links to where it is put right on the process's page.
    change = f"/admin/budgets/process/{process.pk}/change/"
    assert f'<a href="{change}#id_voting_opens_at_0">Enter the date voting opens</a>' in html
    html = officer.post(page).content.decode()
    assert f'<a href="{change}#id_voting_opens_at_0">Enter the date voting opens</a>' in html
    target = officer.get(change).content.decode()
    assert 'id="id_voting_opens_at_0"' in target  # the date's box of the date and time
    assert 'id="budgets-group"' in target  # where a budget's problem links to
    process.refresh_from_db()
    assert process.status == Process.Status.DRAFT

    halfway = process.review_starts_at + (process.voting_closes_at - process.review_starts_at) / 2
    Process.objects.filter(pk=process.pk).update(voting_opens_at=halfway)
    assert officer.post(page).status_code == 302
    process.refresh_from_db()
    assert process.status == Process.Status.PUBLISHED


def test_the_result_method_cannot_change_once_voting_opens(council, officer):
    process = make_process(council, Process.Stage.VOTING)
    html = assert_page(
        officer.get(f"/admin/budgets/process/{process.pk}/change/"), heading=ANY_HEADING
    )
    assert 'name="method"' not in html
    assert 'name="min_age"' not in html  # who may vote is fixed too
    # Nor the dates up to the vote, nor the budgets voters are choosing in.
    assert 'name="voting_opens_at' not in html
    assert 'name="budgets-0-amount"' not in html
    budget = process.budgets.order_by("pk").first()
    officer.post(
        f"/admin/budgets/process/{process.pk}/change/",
        {"title": "Changed", "budgets-0-id": budget.pk, "budgets-0-amount": "1"},
    )
    budget.refresh_from_db()
    assert budget.amount != 1
    draft = make_process(council, Process.Stage.UPCOMING)
    html = officer.get(f"/admin/budgets/process/{draft.pk}/change/").content.decode()
    assert 'name="method"' in html
    assert 'name="min_age"' in html  # the least age to vote, set before voting opens


def test_each_budget_rows_fields_are_named_on_the_server_area_select_too(council, officer):
    process = make_process(council, Process.Stage.IDEAS)
    assert process.budgets.exists()
    html = assert_page(
        officer.get(f"/admin/budgets/process/{process.pk}/change/"), heading=ANY_HEADING
    )

    def tag(field_id: str) -> str:
        return re.search(rf'<(?:select|input)[^>]*id="{field_id}"[^>]*>', html).group(0)

    # The area is a foreign key, whose select Django wraps with its add and change links.
    assert 'aria-label="Area, budget 1"' in tag("id_budgets-0-area")
    assert 'aria-label="Amount in pounds, budget 1"' in tag("id_budgets-0-amount")
    assert 'aria-label="Area, new budget"' in tag("id_budgets-__prefix__-area")
