"""Paper ballots keyed in by officers in the admin (budgets.codes.paper_enter and the process's
Paper ballots page): a budget chosen from a list, its projects ticked, the batch of paper named;
a ballot that breaks the budget's rules is shown with its problem next to the field and nothing
saved; every entry audited with the officer and the batch; only the officers who run the
process key them in. And every channel's ballots count together, and by channel."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from budgets.codes import code_find, codes_make, paper_counts, paper_enter
from budgets.models import Ballot, Budget, Idea, Process
from budgets.tally import budget_election
from budgets.voting import ballot_cast, elector_register
from civic.form_guard import Refused
from civic.models import AuditEntry
from tests.budgets.conftest import budget_of, make_idea, make_process
from tests.budgets.test_permissions import ROLES, person
from tests.pages import assert_page

pytestmark = pytest.mark.django_db
Stage = Process.Stage
Channel = Ballot.Channel


@pytest.fixture
def voting(council):
    return make_process(council, Stage.VOTING, title="Northbridge decides 2027")


@pytest.fixture
def officer(council) -> Client:
    client = Client()
    client.force_login(council.officer)
    return client


def on_ballot(process, area, cost, council, title):
    return make_idea(process, proposer=council.resident, area=area, status=Idea.Status.ON_BALLOT,
                     final_cost=cost, title=title)  # fmt: skip


@pytest.fixture
def projects(council, voting):
    return [
        on_ballot(voting, council.ancoats, cost, council, title)
        for cost, title in ((30_000, "Swings"), (25_000, "Trees"), (5_000, "Benches"))
    ]


def test_an_officer_keys_in_a_paper_ballot_by_ticking_projects(council, voting, projects, officer):
    swings, _trees, benches = projects
    change = officer.get(f"/admin/budgets/process/{voting.pk}/change/").content.decode()
    page = f"/admin/budgets/process/{voting.pk}/paper/"
    assert f'href="{page}"' in change
    first = assert_page(officer.get(page), heading="Paper ballots: Northbridge decides 2027")
    options = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', first)
    assert options == ["Citywide", "Ancoats", "Hulme"]
    assert 'type="checkbox"' not in first

    budget = budget_of(voting, council.ancoats)
    chosen = assert_page(officer.get(page, {"budget": budget.pk}),
                         heading="Paper ballots: Northbridge decides 2027")  # fmt: skip
    ticks = re.findall(r'<input type="checkbox" name="projects" value="(\d+)"', chosen)
    assert sorted(ticks) == sorted(str(idea.pk) for idea in projects)
    assert "Benches (£5,000)" in chosen and "Swings (£30,000)" in chosen

    saved = officer.post(f"{page}?budget={budget.pk}",
                         {"projects": [str(swings.pk), str(benches.pk)],
                          "paper_batch": "Town hall box 3"})  # fmt: skip
    assert saved.status_code == 302
    assert saved["Location"] == f"{page}?budget={budget.pk}&batch=Town%20hall%20box%203"
    ballot = Ballot.objects.get()
    assert (ballot.channel, ballot.keyed_by, ballot.paper_batch, ballot.voter, ballot.code) == (
        Channel.PAPER, council.officer, "Town hall box 3", None, None,
    )  # fmt: skip
    assert sorted(ballot.projects.all(), key=lambda idea: idea.pk) == [swings, benches]
    entry = AuditEntry.objects.get(object_repr=f"Ballot #{ballot.pk}")
    assert (entry.actor, entry.actor_label, entry.action) == (
        council.officer, council.officer.email, AuditEntry.Action.CREATE,
    )  # fmt: skip
    assert entry.summary == (
        f"Keyed in a paper ballot for budget #{budget.pk} from the batch “Town hall box 3”"
    )
    assert entry.organisation == council.organisation

    following = assert_page(officer.get(saved["Location"]),
                            heading="Paper ballots: Northbridge decides 2027")  # fmt: skip
    assert "The paper ballot for Ancoats is saved" in following
    assert 'value="Town hall box 3"' in following  # the next one is from the same batch
    counts = re.search(r'<table id="paper-counts".*?</table>', following, re.S)[0]
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", counts)).split("Ballots", 1)[1].split() == [
        "Town", "hall", "box", "3", "Ancoats", "1",
    ]  # fmt: skip


def test_a_ballot_that_breaks_the_rules_is_shown_with_its_problem_and_not_saved(
    council, voting, projects, officer
):
    swings, trees, _benches = projects
    budget = budget_of(voting, council.ancoats)
    page = f"/admin/budgets/process/{voting.pk}/paper/?budget={budget.pk}"
    over = officer.post(page, {"projects": [str(swings.pk), str(trees.pk)],
                               "paper_batch": "Town hall box 3"})  # fmt: skip
    html = assert_page(over, heading="Paper ballots: Northbridge decides 2027")
    assert (
        "Your choices for Ancoats cost £55,000, which is £5,000 more than its £50,000. "
        "Remove a project" in html
    )
    assert '<a href="#ballot-projects_0">Projects chosen on the paper ballot: Your choices' in html
    assert re.search(r"<title>\s*Error:", html)
    nothing = officer.post(page, {"projects": [], "paper_batch": ""})
    html = nothing.content.decode()
    assert "Choose at least one project for Ancoats" not in html  # the form's own check first
    assert "Enter the batch of paper ballots this one is from" in html
    empty = officer.post(page, {"projects": [], "paper_batch": "Box 1"})
    assert "Choose at least one project for Ancoats" in empty.content.decode()
    elsewhere = on_ballot(voting, council.hulme, 1_000, council, "Fountain")
    wrong = officer.post(page, {"projects": [str(elsewhere.pk)], "paper_batch": "Box 1"})
    assert "Choose only projects in the list" in wrong.content.decode()
    assert not Ballot.objects.exists() and not AuditEntry.objects.exists()


def test_paper_ballots_are_keyed_in_from_voting_until_results_only(council, projects):
    swings = projects[0]
    for stage in (Stage.REVIEW, Stage.IMPLEMENTATION):
        process = make_process(council, stage, title=f"In {stage}")
        idea = on_ballot(process, None, 1_000, council, "Lamp")
        with pytest.raises(Refused) as caught:
            paper_enter(actor=council.officer, budget=budget_of(process), idea_ids=[idea.pk],
                        paper_batch="Box 1")  # fmt: skip
        assert caught.value.code == "closed"
        client = Client()
        client.force_login(council.officer)
        html = client.post(
            f"/admin/budgets/process/{process.pk}/paper/?budget={budget_of(process).pk}",
            {"projects": [str(idea.pk)], "paper_batch": "Box 1"},
        ).content.decode()
        assert "Paper ballots are entered from the day voting opens" in html
    results = make_process(council, Stage.RESULTS, title="Counting")
    late = on_ballot(results, None, 1_000, council, "Lamp")
    paper_enter(actor=council.officer, budget=budget_of(results), idea_ids=[late.pk],
                paper_batch="Late box")  # fmt: skip
    assert Ballot.objects.count() == 1 and swings.pk


def test_paper_enter_refuses_a_blank_batch_by_field(council, voting, projects):
    with pytest.raises(ValidationError) as caught:
        paper_enter(actor=council.officer, budget=budget_of(voting, council.ancoats),
                    idea_ids=[projects[0].pk], paper_batch="   ")  # fmt: skip
    assert "paper_batch" in caught.value.message_dict
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_only_the_officers_who_run_the_process_key_in_paper(council, voting, projects, role):
    user = person(council, role)
    budget = budget_of(voting, council.ancoats)
    if role in {"officer", "admin", "superuser"}:
        paper_enter(actor=user, budget=budget, idea_ids=[projects[0].pk], paper_batch="Box 1")
        assert Ballot.objects.get().keyed_by == user
    else:
        with pytest.raises(PermissionDenied):
            paper_enter(actor=user, budget=budget, idea_ids=[projects[0].pk], paper_batch="Box 1")
        assert not Ballot.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize("role", ["other_officer", "other_council_officer", "other_council_admin"])
def test_the_paper_page_is_not_found_for_others_and_saves_nothing(council, voting, projects, role):
    client = Client()
    client.force_login(getattr(council, role))
    page = f"/admin/budgets/process/{voting.pk}/paper/?budget={budget_of(voting).pk}"
    assert client.get(page).status_code == 404
    response = client.post(page, {"projects": [str(projects[0].pk)], "paper_batch": "Box 1"})
    assert response.status_code == 404
    assert not Ballot.objects.exists()


def test_a_budget_not_in_the_process_is_not_offered(council, voting, officer):
    other = make_process(council, Stage.VOTING, title="Another")
    page = f"/admin/budgets/process/{voting.pk}/paper/"
    html = assert_page(officer.get(page, {"budget": budget_of(other).pk}),
                       heading="Paper ballots: Northbridge decides 2027")  # fmt: skip
    assert "Select a valid choice" in html or "Choose" in html
    assert 'name="projects"' not in html


def test_online_code_and_paper_ballots_count_together_and_by_channel(council, voting, projects):
    swings, trees, benches = projects
    budget = budget_of(voting, council.ancoats)
    elector_register(process=voting, user=council.resident, postcode="M4 6AA")
    ballot_cast(budget=budget, idea_ids=[swings.pk, benches.pk], voter=council.resident)
    _batch, codes = codes_make(actor=council.officer, process=voting, name="Library", count=1,
                               area=council.ancoats)  # fmt: skip
    code = code_find(voting, codes[0])
    elector_register(process=voting, code=code)
    ballot_cast(budget=budget, idea_ids=[trees.pk, benches.pk], code=code)
    paper_enter(actor=council.officer, budget=budget, idea_ids=[swings.pk], paper_batch="Box 1")
    paper_enter(actor=council.officer, budget=budget, idea_ids=[benches.pk], paper_batch="Box 1")

    def votes(election):
        return dict(zip([p.id for p in election.projects], election.votes.tolist(), strict=True))

    election, _ideas = budget_election(budget)
    assert election.voters == 4
    assert votes(election) == {str(swings.pk): 2, str(trees.pk): 1, str(benches.pk): 3}
    by_channel = {
        channel: budget_election(budget, channel=channel)[0] for channel in Channel.values
    }
    assert {channel: e.voters for channel, e in by_channel.items()} == {
        Channel.ONLINE: 1, Channel.CODE: 1, Channel.PAPER: 2,
    }  # fmt: skip
    assert votes(by_channel[Channel.PAPER]) == {
        str(swings.pk): 1, str(trees.pk): 0, str(benches.pk): 1,
    }  # fmt: skip
    assert paper_counts(voting) == [{"paper_batch": "Box 1", "budget": budget, "count": 2}]
    assert isinstance(budget, Budget)
