"""The public pages, as a resident's browser sends them without JavaScript: the list of processes,
a process's page (what can be done now and until when, its ideas filtered), proposing, an idea's
page and supporting it; and the list pages' fixed number of queries."""

from __future__ import annotations

import pytest
from django.test import Client

from budgets.models import Idea, Process, Support
from civic.models import AuditEntry
from tests.budgets.conftest import drawn_token, make_idea, make_process, support
from tests.pages import ANY_HEADING, assert_page

pytestmark = pytest.mark.django_db
Stage = Process.Stage


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_shows_published_processes_with_their_stage_and_never_a_draft(client, council):
    make_process(council, Stage.IDEAS, title="Northbridge decides 2027")
    make_process(council, Stage.IDEAS, title="Secret plans", status=Process.Status.DRAFT)
    html = assert_page(client.get("/budgets/"), heading="Participatory budgets")
    assert "Northbridge decides 2027" in html and "Collecting ideas" in html
    assert "Secret plans" not in html
    voting = assert_page(client.get("/budgets/?stage=voting"), heading="Participatory budgets")
    assert "Northbridge decides 2027" not in voting


def test_a_process_page_says_what_can_be_done_now_and_until_when(client, council):
    process = make_process(council, Stage.IDEAS)
    html = assert_page(client.get(f"/budgets/{process.slug}/"), heading=process.title)
    assert "You can propose ideas and support other people" in html
    assert "Propose an idea" in html
    assert "£100,000" in html and "Ancoats" in html

    review = make_process(council, Stage.REVIEW)
    html = assert_page(client.get(f"/budgets/{review.slug}/"), heading=review.title)
    assert "The council is checking which ideas can be done" in html
    assert "Voting opens on" in html
    assert "Propose an idea" not in html


def test_a_process_page_filters_its_ideas_by_category_area_and_status(client, council):
    process = make_process(council)
    parks = process.categories.get(name="Parks")
    make_idea(
        process, proposer=council.resident, title="Swings", category=parks, area=council.ancoats
    )
    make_idea(process, proposer=council.resident, title="Crossing", area=council.hulme,
              status=Idea.Status.FEASIBLE)  # fmt: skip
    html = assert_page(
        client.get(f"/budgets/{process.slug}/?category={parks.pk}"), heading=process.title
    )
    assert "Swings" in html and "Crossing" not in html
    budget = process.budgets.get(area=council.hulme)
    html = assert_page(
        client.get(f"/budgets/{process.slug}/?budget={budget.pk}"), heading=process.title
    )
    assert "Crossing" in html and "Swings" not in html
    html = assert_page(
        client.get(f"/budgets/{process.slug}/?status=feasible"), heading=process.title
    )
    assert "Crossing" in html and "Swings" not in html
    html = assert_page(
        client.get(f"/budgets/{process.slug}/?category=nonsense"), heading=process.title
    )
    assert "Choose a category from the list" in html


def test_a_draft_is_not_found_by_residents_and_seen_by_its_officer(client, council):
    process = make_process(council, status=Process.Status.DRAFT)
    assert client.get(f"/budgets/{process.slug}/").status_code == 404
    html = assert_page(
        signed_in(council.officer).get(f"/budgets/{process.slug}/"), heading=process.title
    )
    assert "This process is a draft" in html
    assert (
        signed_in(council.other_council_officer).get(f"/budgets/{process.slug}/").status_code == 404
    )


@pytest.mark.parametrize("address", ["/budgets/", "/budgets/?stage=ideas", "/budgets/?page=2"])
def test_the_list_of_processes_keeps_a_fixed_number_of_queries(
    client, council, django_assert_num_queries, address
):
    make_process(council)
    with django_assert_num_queries(2):
        client.get(address)
    for _number in range(30):
        make_process(council)
    with django_assert_num_queries(2):
        assert client.get(address).status_code == 200


@pytest.mark.parametrize("query", ["", "?status=proposed", "?page=2"])
def test_a_process_page_keeps_a_fixed_number_of_queries(
    client, council, django_assert_num_queries, query
):
    process = make_process(council)
    make_idea(process, proposer=council.resident)
    with django_assert_num_queries(5):
        client.get(f"/budgets/{process.slug}/{query}")
    for number in range(30):
        idea = make_idea(
            process,
            proposer=council.resident,
            area=[None, council.ancoats][number % 2],
            category=process.categories.first(),
        )
        support(idea, council.supporter)
    with django_assert_num_queries(5):
        assert client.get(f"/budgets/{process.slug}/{query}").status_code == 200


# Proposing --------------------------------------------------------------------------------------


def proposal(process, **fields) -> dict:
    values = {
        "title": "Swings in Ancoats Park",
        "description": "For children under ten.",
        "budget": str(process.budgets.get(area__name="Ancoats").pk),
        "estimated_cost": "£20,000",
        "category": str(process.categories.get(name="Parks").pk),
        "hears_progress": "on",
        "started": drawn_token(),
        "website": "",
    }
    values.update(fields)
    return values


def test_proposing_needs_an_account(client, council):
    process = make_process(council)
    response = client.get(f"/budgets/{process.slug}/propose/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_resident_proposes_an_idea_and_lands_on_its_page(council):
    process = make_process(council)
    resident = signed_in(council.resident)
    assert_page(resident.get(f"/budgets/{process.slug}/propose/"), heading="Propose an idea")

    response = resident.post(f"/budgets/{process.slug}/propose/", proposal(process))
    idea = Idea.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/budgets/{process.slug}/ideas/{idea.pk}/"
    assert (idea.estimated_cost, idea.category.name, idea.budget.name) == (
        20_000,
        "Parks",
        "Ancoats",
    )
    html = assert_page(resident.get(response["Location"]), heading="Swings in Ancoats Park")
    assert "Your idea is published" in html


def test_a_proposal_with_mistakes_is_shown_again_with_each_problem_and_nothing_is_kept(council):
    process = make_process(council)
    response = signed_in(council.resident).post(
        f"/budgets/{process.slug}/propose/",
        proposal(process, title="", estimated_cost="about five grand", budget=""),
    )
    html = assert_page(response, heading="Propose an idea")
    assert "There is a problem" in html
    assert "Enter the cost as a whole number of pounds, like 5000" in html
    assert not Idea.objects.exists()

    response = signed_in(council.resident).post(
        f"/budgets/{process.slug}/propose/", proposal(process, title="", budget="")
    )
    html = assert_page(response, heading="Propose an idea")
    assert "Enter a title for your idea" in html
    assert "Choose the area your idea is for, or citywide" in html
    assert not Idea.objects.exists()


def test_outside_the_ideas_phase_the_form_says_so_and_takes_nothing(council):
    process = make_process(council, Stage.REVIEW)
    resident = signed_in(council.resident)
    html = assert_page(resident.get(f"/budgets/{process.slug}/propose/"), heading="Propose an idea")
    assert "The council is checking which ideas can be done" in html
    response = resident.post(f"/budgets/{process.slug}/propose/", proposal(process))
    html = assert_page(response, heading="Propose an idea")
    assert "The time for proposing and supporting ideas in this process is over." in html
    assert not Idea.objects.exists()


# An idea and supporting it ----------------------------------------------------------------------


def test_an_idea_page_shows_its_status_reason_final_cost_and_where_it_was_merged(client, council):
    process = make_process(council, Stage.REVIEW)
    carries_on = make_idea(process, proposer=council.supporter, title="A playground")
    merged = make_idea(
        process,
        proposer=council.resident,
        title="Swings",
        status=Idea.Status.MERGED,
        merged_into=carries_on,
        reason="The same park.",
    )
    html = assert_page(client.get(f"/budgets/{process.slug}/ideas/{merged.pk}/"), heading="Swings")
    assert "Merged into another idea" in html and "The same park." in html
    assert f'href="/budgets/{process.slug}/ideas/{carries_on.pk}/"' in html
    feasible = make_idea(
        process,
        proposer=council.resident,
        title="Benches",
        status=Idea.Status.FEASIBLE,
        reason="On council land.",
        final_cost=7_500,
    )
    html = assert_page(
        client.get(f"/budgets/{process.slug}/ideas/{feasible.pk}/"), heading="Benches"
    )
    assert "On council land." in html and "£7,500" in html
    assert client.get(f"/budgets/{process.slug}/ideas/{feasible.pk + 99}/").status_code == 404


def test_a_resident_supports_an_idea_once_through_its_pages(client, council):
    idea = make_idea(make_process(council), proposer=council.resident, title="Swings")
    page = f"/budgets/{idea.process.slug}/ideas/{idea.pk}/"
    html = assert_page(client.get(page), heading="Swings")
    assert "Sign in to support this idea" in html

    supporter = signed_in(council.supporter)
    html = assert_page(supporter.get(page + "support/"), heading="Support this idea")
    response = supporter.post(page + "support/", {"hears_progress": "on"})
    assert response.status_code == 302 and response["Location"] == page
    html = assert_page(supporter.get(page), heading="Swings")
    assert "You support this idea." in html

    again = supporter.post(page + "support/", {})
    html = assert_page(again, heading="Support this idea")
    assert "You support this idea." in html
    assert Support.objects.filter(idea=idea).count() == 1


def test_an_idea_of_a_closed_phase_cannot_be_supported_from_its_page(council):
    idea = make_idea(make_process(council, Stage.REVIEW), proposer=council.resident, title="Swings")
    page = f"/budgets/{idea.process.slug}/ideas/{idea.pk}/support/"
    html = assert_page(signed_in(council.supporter).post(page, {}), heading="Support this idea")
    assert "This idea cannot be supported now." in html
    assert not Support.objects.exists()


def test_the_proposer_withdraws_their_idea_and_nobody_else_can(council):
    idea = make_idea(make_process(council), proposer=council.resident, title="Swings")
    page = f"/budgets/{idea.process.slug}/ideas/{idea.pk}/withdraw/"
    assert signed_in(council.supporter).get(page).status_code == 404
    proposer = signed_in(council.resident)
    assert_page(proposer.get(page), heading="Withdraw your idea")
    assert proposer.post(page).status_code == 302
    idea.refresh_from_db()
    assert idea.status == Idea.Status.WITHDRAWN
    # Recorded, without the resident: the append-only log never holds a resident's address.
    entry = AuditEntry.objects.get(summary="Withdrew the idea (its proposer)")
    assert entry.actor_id is None
    assert council.resident.email not in entry.actor_label


def test_the_home_page_lists_the_processes_taking_ideas_or_votes(client, council):
    make_process(council, Stage.IDEAS, title="Northbridge decides 2027")
    make_process(council, Stage.REVIEW, title="Green streets fund")
    html = assert_page(client.get("/"), heading=ANY_HEADING)
    assert "Northbridge decides 2027" in html
    assert "Green streets fund" not in html


def test_the_withdraw_link_is_offered_to_the_proposer_only_until_voting_opens(council):
    for stage, offered in ((Process.Stage.IDEAS, True), (Process.Stage.VOTING, False)):
        idea = make_idea(make_process(council, stage), proposer=council.resident, title="Swings")
        page = f"/budgets/{idea.process.slug}/ideas/{idea.pk}/"
        html = assert_page(signed_in(council.resident).get(page), heading="Swings")
        assert ("Withdraw your idea" in html) is offered
        html = assert_page(signed_in(council.supporter).get(page), heading="Swings")
        assert "Withdraw your idea" not in html
