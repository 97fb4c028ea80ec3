"""A process's results: worked out once by a worker when voting closes (also with two at once),
stored per budget, shown on the results page with both methods side by side and each project's
reason, by channel, by area and turnout by ward, in a fixed number of queries; served as JSON and
through the API without a voter; worked out again by an officer of the process's department only.

The election of most tests: Ancoats (£50,000) with six voters for Swings (£25,000) and Benches
(£25,000), one more for Swings alone, and four for a Community garden (£18,000). Greedy funds
Swings (7 votes) and Benches (6), which take the whole amount; equal shares gives each of the 11
voters £4,545.45, so the seven pay for Swings and the four for the garden, and Benches is left:
its six voters have too little left of their shares, and the £7,000 left does not cover it.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from budgets.allocation import Completion, equal_shares
from budgets.delivery import delivery_status_set, milestone_add, no_longer_winning
from budgets.models import (
    Ballot,
    BallotChoice,
    BudgetResult,
    CodeBatch,
    Idea,
    Process,
    Project,
    VotingCode,
)
from budgets.results import (
    funded_ideas,
    process_results,
    process_results_compute,
    results_recompute,
    results_sweep,
)
from budgets.tally import budget_election
from budgets.voting import ballot_cast
from civic.models import AuditEntry
from tests.budgets.conftest import budget_of, make_idea, make_process
from tests.concurrency import at_once
from tests.factories import UserFactory
from tests.pages import assert_page

pytestmark = pytest.mark.django_db
Channel = Ballot.Channel
RESULTS = Process.Stage.RESULTS
Status = Project.Status


def on_ballot(process, title, cost, area=None, **fields):
    return make_idea(process, proposer=None, area=area, title=title, final_cost=cost,
                     status=Idea.Status.ON_BALLOT, **fields)  # fmt: skip


def vote(budget, ideas, channel=Channel.ONLINE, *, officer=None, voter=None):
    who = {}
    if channel == Channel.ONLINE:
        who = {"voter": voter or UserFactory()}
    elif channel == Channel.CODE:
        batch, _made = CodeBatch.objects.get_or_create(
            process=budget.process, name="Library", defaults={"salt": b"salt"}
        )
        code = VotingCode.objects.create(
            batch=batch, digest=f"{VotingCode.objects.count()}".encode()
        )
        who = {"code": code}
    else:
        who = {"keyed_by": officer, "paper_batch": "Library, Monday"}
    ballot = Ballot.objects.create(budget=budget, channel=channel, **who)
    BallotChoice.objects.bulk_create([BallotChoice(ballot=ballot, idea=idea) for idea in ideas])
    return ballot


@pytest.fixture
def election(council):
    """The process in its results phase, with the Ancoats election of the module's docstring
    (two of the four garden voters by code and two on paper) and one Hulme voter."""
    process = make_process(council, RESULTS, title="Northbridge decides 2027",
                           completion=Process.Completion.GREEDY)  # fmt: skip
    ancoats = budget_of(process, council.ancoats)
    swings = on_ballot(process, "Swings", 25_000, council.ancoats)
    benches = on_ballot(process, "Benches", 25_000, council.ancoats)
    garden = on_ballot(process, "Community garden", 18_000, council.ancoats)
    for _number in range(6):
        vote(ancoats, [swings, benches])
    vote(ancoats, [swings])
    for channel in (Channel.CODE, Channel.CODE, Channel.PAPER, Channel.PAPER):
        vote(ancoats, [garden], channel, officer=council.officer)
    library = on_ballot(process, "Library books", 10_000, council.hulme)
    vote(budget_of(process, council.hulme), [library])
    council.ancoats.population = 8_000
    council.ancoats.save()
    return process, {"swings": swings, "benches": benches, "garden": garden, "library": library}


# The worker ---------------------------------------------------------------------------------------


def test_the_sweep_works_out_every_budget_of_a_closed_process_once(council, election):
    process, _ideas = election
    voting = make_process(council, Process.Stage.VOTING)
    draft = make_process(council, RESULTS, status=Process.Status.DRAFT)

    assert results_sweep() == 3
    assert set(BudgetResult.objects.values_list("budget__process", flat=True)) == {process.pk}
    stored = BudgetResult.objects.get(budget=budget_of(process, council.ancoats))
    assert stored.voters == 11
    assert stored.figures["voters_by_channel"] == {"online": 7, "code": 2, "paper": 2}
    assert results_sweep() == 0  # nothing left to do: safe to run again
    assert not BudgetResult.objects.filter(budget__process__in=[voting, draft]).exists()


def test_a_process_whose_count_fails_is_logged_and_the_later_ones_are_still_counted(
    council, election, caplog
):
    process, _ideas = election
    # A process whose voting closed first, and whose stored completion is no longer one the
    # count knows (a bad edit in the database), so working it out raises.
    broken = make_process(council, RESULTS, title="Broken")
    Process.objects.filter(pk=broken.pk).update(
        completion="bogus", voting_closes_at=process.voting_closes_at - timedelta(hours=1)
    )
    with caplog.at_level("ERROR", logger="budgets.results"):
        assert results_sweep() == 3
    assert set(BudgetResult.objects.values_list("budget__process", flat=True)) == {process.pk}
    assert [record.getMessage() for record in caplog.records] == [
        f"Could not work out the results of budget process #{broken.pk}"
    ]
    assert caplog.records[0].exc_info is not None  # the cause is logged with it
    # Put right, the next sweep counts it.
    Process.objects.filter(pk=broken.pk).update(completion=Process.Completion.GREEDY)
    assert results_sweep() == 3
    assert BudgetResult.objects.filter(budget__process=broken).count() == 3


def test_a_paper_ballot_keyed_in_after_the_count_has_its_budget_counted_again(council, election):
    process, ideas = election
    results_sweep()
    ancoats = budget_of(process, council.ancoats)
    ballot_cast(budget=ancoats, idea_ids=[ideas["garden"].pk], keyed_by=council.officer,
                paper_batch="Late box")  # fmt: skip
    assert not BudgetResult.objects.filter(budget=ancoats).exists()
    assert BudgetResult.objects.filter(budget__process=process).count() == 2  # the others stay
    assert results_sweep() == 1
    assert BudgetResult.objects.get(budget=ancoats).figures["voters_by_channel"]["paper"] == 3


def test_voting_s_close_is_fixed_once_it_has_passed(council, election):
    process, _ideas = election
    client = Client()
    client.force_login(council.officer)
    html = assert_page(client.get(f"/admin/budgets/process/{process.pk}/change/"),
                       heading="Change budget process")  # fmt: skip
    assert 'name="voting_closes_at_0"' not in html
    voting = make_process(council, Process.Stage.VOTING)
    html = client.get(f"/admin/budgets/process/{voting.pk}/change/").content.decode()
    assert 'name="voting_closes_at_0"' in html  # voting can still be extended while it is open


def test_the_winners_are_those_of_both_methods_with_the_process_s_completion(council, election):
    process, ideas = election
    results_sweep()
    ancoats = next(b for b in process_results(process) if b.budget.area_id == council.ancoats.pk)
    assert [line.idea for line in ancoats.funded] == [ideas["swings"], ideas["garden"]]
    assert ancoats.greedy.funded == (str(ideas["swings"].pk), str(ideas["benches"].pk))
    assert ancoats.equal_shares.funded == (str(ideas["swings"].pk), str(ideas["garden"].pk))
    assert (ancoats.greedy.left, ancoats.equal_shares.left) == (0, 7_000)
    garden = next(line for line in ancoats.projects if line.idea == ideas["garden"])
    assert (garden.votes, garden.votes_by_channel) == (4, {"online": 0, "code": 2, "paper": 2})
    assert garden.equal_shares.payers == 4
    assert garden.equal_shares_words == (
        "Funded: paid for by the equal shares of its 4 voters, £4,500 each."
    )


def test_funded_ideas_follow_the_method_the_process_chose(council, election):
    process, ideas = election
    results_sweep()
    # Citywide has no projects; then Ancoats and Hulme by name, each in the order funded.
    assert funded_ideas(process) == [ideas["swings"], ideas["garden"], ideas["library"]]
    Process.objects.filter(pk=process.pk).update(method=Process.Method.GREEDY)
    process.refresh_from_db()
    assert funded_ideas(process) == [ideas["swings"], ideas["benches"], ideas["library"]]


def test_raising_the_budget_is_the_completion_when_the_process_says_so(council, election):
    process, _ideas = election
    Process.objects.filter(pk=process.pk).update(completion=Process.Completion.RAISE_BUDGET)
    results_sweep()
    ancoats = budget_of(process, council.ancoats)
    expected = equal_shares(budget_election(ancoats)[0], completion=Completion.RAISED_BUDGET)
    stored = BudgetResult.objects.get(budget=ancoats).figures["methods"]["equal_shares"]
    assert (stored["method"], stored["funded"]) == ("equal_shares_raised", list(expected.funded))


def test_a_budget_nobody_voted_in_has_a_result_with_nothing_funded(council):
    process = make_process(council, RESULTS)
    on_ballot(process, "Swings", 25_000)
    assert results_sweep() == 3
    citywide = process_results(process)[0]
    assert (citywide.voters, citywide.chosen.funded, citywide.chosen.left) == (0, (), 100_000)
    assert citywide.projects[0].equal_shares_words == "Not funded: nobody voted for it."


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_work_each_budget_out_once(council, election, postgresql_only):
    assert sum(at_once(results_sweep, results_sweep)) == 3
    assert BudgetResult.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_worker_passes_over_a_process_another_is_counting(council, election, postgresql_only):
    """While one worker holds the process (counting, or dead with its connection still open),
    another writes nothing for it; once the first has rolled back, the next sweep counts it."""
    process, _ideas = election
    holding, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            Process.objects.select_for_update().get(pk=process.pk)
            holding.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    try:
        assert process_results_compute(process_id=process.pk) == 0
        assert not BudgetResult.objects.exists()
    finally:
        release.set()
        holder.join()
    assert results_sweep() == 3


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_works_the_results_out_from_the_beat_task(celery_worker, election):
    from civic.queueing import queue
    from tests.worker import wait_for

    process, _ideas = election
    assert queue("budgets.tasks.results_sweep_task")
    wait_for(
        lambda: BudgetResult.objects.filter(budget__process=process).count() == 3,
        message=f"not worked out:\n{celery_worker.log()}",
    )


def test_the_beat_schedule_names_the_results_sweep(settings):
    assert "budgets.tasks.results_sweep_task" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


# Working them out again ---------------------------------------------------------------------------


def test_an_officer_of_the_department_works_the_results_out_again_audited(council, election):
    process, ideas = election
    results_sweep()
    vote(budget_of(process, council.ancoats), [ideas["benches"]], Channel.PAPER,
         officer=council.officer)  # fmt: skip
    later = timezone.now() + timedelta(minutes=5)
    assert results_recompute(actor=council.officer, process=process, now=later) == 3
    stored = BudgetResult.objects.get(budget=budget_of(process, council.ancoats))
    assert (stored.voters, stored.computed_at) == (12, later)
    entry = AuditEntry.objects.get(summary__startswith="Worked out the results again")
    assert (entry.actor, entry.object_id) == (council.officer, str(process.pk))


def test_a_recount_removes_the_planned_projects_of_ideas_that_no_longer_win(council, election):
    process, ideas = election
    skatepark = on_ballot(process, "Skatepark", 45_000, council.hulme)
    results_sweep()
    planned = {idea.title for idea in funded_ideas(process)}
    assert planned == {"Swings", "Community garden", "Library books"}
    assert set(Project.objects.values_list("idea__title", flat=True)) == planned
    garden = Project.objects.get(idea=ideas["garden"])
    delivery_status_set(actor=council.officer, idea=ideas["garden"], status=Status.IN_PROGRESS)

    # Late paper ballots: Benches overtakes the garden in Ancoats, the skatepark the library
    # books in Hulme.
    for _number in range(10):
        vote(budget_of(process, council.ancoats), [ideas["benches"]], Channel.PAPER,
             officer=council.officer)  # fmt: skip
    for _number in range(5):
        vote(budget_of(process, council.hulme), [skatepark], Channel.PAPER,
             officer=council.officer)  # fmt: skip
    assert results_recompute(actor=council.officer, process=process) == 3
    winners = {idea.title for idea in funded_ideas(process)}
    assert winners == {"Swings", "Benches", "Skatepark"}

    # The library books' planned project is gone, audited; the garden, under way, is kept.
    projects = dict(Project.objects.values_list("idea__title", "status"))
    assert projects == {
        "Swings": Status.PLANNED,
        "Benches": Status.PLANNED,
        "Skatepark": Status.PLANNED,
        "Community garden": Status.IN_PROGRESS,
    }
    removed = AuditEntry.objects.get(action=AuditEntry.Action.DELETE)
    assert (removed.actor, removed.summary) == (
        None,
        f"Removed the planned project of idea #{ideas['library'].pk}: it no longer wins after "
        "the results were worked out again",
    )
    recount = AuditEntry.objects.get(summary__startswith="Worked out the results again")
    assert recount.summary == (
        "Worked out the results again (3 budgets, 1 planned projects that no longer win "
        "removed, 1 projects under way that no longer win kept for a decision)"
    )
    assert no_longer_winning(process, funded_ideas(process)) == [garden]

    # The officer is told on the results page, with a link to the project.
    browser = Client()
    browser.force_login(council.officer)
    html = assert_page(browser.get(f"/admin/budgets/process/{process.pk}/results/"),
                       heading="Results: Northbridge decides 2027")  # fmt: skip
    assert "This project is being built, but its idea no longer wins" in html
    assert f'<a href="/admin/budgets/project/{garden.pk}/change/">Community garden</a>' in html

    # Counted once more with nothing changed, nothing more is removed or planned.
    assert results_recompute(actor=council.officer, process=process) == 3
    assert Project.objects.count() == 4
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DELETE).count() == 1


def test_a_planned_project_with_a_milestone_is_kept_when_its_idea_stops_winning(council, election):
    process, ideas = election
    results_sweep()
    milestone_add(actor=council.officer, idea=ideas["garden"], date=timezone.now().date(),
                  title="Soil tested", percent_complete=5)  # fmt: skip
    for _number in range(10):
        vote(budget_of(process, council.ancoats), [ideas["benches"]], Channel.PAPER,
             officer=council.officer)  # fmt: skip
    # The late ballots took the Ancoats result away; the sweep counts it again by itself.
    BudgetResult.objects.filter(budget=budget_of(process, council.ancoats)).delete()
    assert results_sweep() == 1
    garden = Project.objects.get(idea=ideas["garden"])
    assert garden.status == Status.PLANNED
    assert no_longer_winning(process, funded_ideas(process)) == [garden]
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DELETE).exists()
    # Once the officer cancels it (with a reason), there is nothing left to decide.
    delivery_status_set(actor=council.officer, idea=ideas["garden"], status=Status.CANCELLED,
                        reason="Benches won the recount.")  # fmt: skip
    assert no_longer_winning(process, funded_ideas(process)) == []


@pytest.mark.parametrize("who", ["other_officer", "other_council_officer", "other_council_admin"])
def test_nobody_else_works_the_results_out_again(council, election, who):
    process, _ideas = election
    results_sweep()
    before = list(BudgetResult.objects.values_list("pk", "computed_at"))
    with pytest.raises(PermissionDenied):
        results_recompute(actor=getattr(council, who), process=process)
    assert list(BudgetResult.objects.values_list("pk", "computed_at")) == before
    assert not AuditEntry.objects.filter(summary__startswith="Worked out").exists()

    browser = Client()
    browser.force_login(getattr(council, who))
    url = f"/admin/budgets/process/{process.pk}/results/"
    assert browser.post(url).status_code in (403, 404)
    assert list(BudgetResult.objects.values_list("pk", "computed_at")) == before


def test_the_admin_button_works_them_out_again_for_the_process_s_officer(council, election):
    process, _ideas = election
    browser = Client()
    browser.force_login(council.officer)
    change = browser.get(f"/admin/budgets/process/{process.pk}/change/").content.decode()
    assert f"/admin/budgets/process/{process.pk}/results/" in change
    page = assert_page(browser.get(f"/admin/budgets/process/{process.pk}/results/"),
                       heading="Results: Northbridge decides 2027")  # fmt: skip
    assert "Work out the results again" in page
    response = browser.post(f"/admin/budgets/process/{process.pk}/results/", follow=True)
    html = assert_page(response, heading="Results: Northbridge decides 2027")
    assert "The results of 3 budgets are worked out again from the ballots." in html
    assert BudgetResult.objects.filter(budget__process=process).count() == 3


def test_results_are_not_worked_out_again_before_voting_closes(council):
    process = make_process(council, Process.Stage.VOTING)
    with pytest.raises(ValidationError):
        results_recompute(actor=council.officer, process=process)
    assert not BudgetResult.objects.exists()


# The results page ---------------------------------------------------------------------------------


def test_the_results_page_shows_the_winners_both_methods_and_why(client, council, election):
    process, _ideas = election
    results_sweep()
    html = assert_page(client.get(f"/budgets/{process.slug}/results/"), heading="Results")
    funded = html.split('class="govuk-table govuk-table--small-text-until-tablet budget-funded"')
    ancoats = funded[2]  # citywide first, then Ancoats
    assert "Projects funded in Ancoats" in ancoats.split("</table>")[0]
    rows = ancoats.split("</table>")[0]
    assert rows.index("Swings") < rows.index("Community garden")
    assert "Benches" not in rows
    assert "£7,000" in rows  # left unspent
    assert "Funded: paid for by the equal shares of its 4 voters, £4,500 each." in html
    assert (
        "Not funded: 4 votes, but it costs £18,000, £18,000 more than the £0 left when its "
        "turn came." in html
    )
    assert (
        "Not funded: 6 votes, but it costs £25,000, £18,000 more than the £7,000 left when its "
        "turn came." in html
    )
    assert "£43,000 of £50,000 spent, £7,000 left." in html
    assert "Online 0, by code 2, on paper 2" in html  # the garden's votes by channel
    voters = html.split('budget-channels">')[2].split("</table>")[0]  # Ancoats's
    cells = [cell.split("</")[0].strip() for cell in voters.split('numeric">')[2:]]
    assert cells == ["7", "2", "2"]
    assert "Where the money goes" in html and "Turnout by ward" in html
    # Ancoats: 11 voters of 8,000 residents; Hulme's population is not known.
    assert "1.4" in html.split('id="turnout-table"')[1]
    assert "not known" in html.split('id="turnout-table"')[1]
    assert "Cara" not in html and "cara@example.org" not in html


def test_the_process_page_links_to_the_results(client, council, election):
    process, _ideas = election
    html = assert_page(client.get(f"/budgets/{process.slug}/"), heading=process.title)
    assert f'href="/budgets/{process.slug}/results/"' in html


def test_before_voting_closes_the_page_says_when_the_results_come(client, council):
    process = make_process(council, Process.Stage.VOTING)
    html = assert_page(client.get(f"/budgets/{process.slug}/results/"), heading="Results")
    assert "Voting closes on" in html and "The results will be published here soon after." in html
    closed = make_process(council, RESULTS)
    html = assert_page(client.get(f"/budgets/{closed.slug}/results/"), heading="Results")
    assert "The results are being worked out" in html


def _many_projects(council, count):
    process = make_process(council, RESULTS)
    budget = budget_of(process, council.ancoats)
    ideas = [on_ballot(process, f"Project {n}", 1_000 + n, council.ancoats) for n in range(count)]
    for number in range(3):
        vote(budget, ideas[number::3])
    results_sweep()
    return process


def test_the_results_page_takes_as_many_queries_for_40_projects_as_for_5(council):
    counts = []
    for count in (5, 40):
        process = _many_projects(council, count)
        browser = Client()
        with CaptureQueriesContext(connection) as queries:
            assert_page(browser.get(f"/budgets/{process.slug}/results/"), heading="Results")
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 5


# As data ------------------------------------------------------------------------------------------


def test_the_results_json_has_the_winners_of_both_methods_and_no_voter(client, council, election):
    process, ideas = election
    results_sweep()
    body = assert_page(client.get(f"/budgets/{process.slug}/results.json"), heading=None)
    data = json.loads(body)
    assert (data["slug"], data["method"], data["completion"]) == (
        process.slug, "equal_shares", "greedy")  # fmt: skip
    ancoats = next(b for b in data["budgets"] if b["name"] == "Ancoats")
    assert ancoats["voters"] == 11
    assert ancoats["voters_by_channel"] == {"online": 7, "code": 2, "paper": 2}
    assert ancoats["winners"]["funded"] == [ideas["swings"].pk, ideas["garden"].pk]
    assert ancoats["greedy"]["funded"] == [ideas["swings"].pk, ideas["benches"].pk]
    assert (ancoats["greedy"]["left"], ancoats["equal_shares"]["left"]) == (0, 7_000)
    assert ancoats["turnout_per_thousand"] == 1.4
    garden = next(p for p in ancoats["projects"] if p["id"] == ideas["garden"].pk)
    assert garden["equal_shares"] == {"funded": True, "reason": "shared", "position": 2,
                                      "payers": 4}  # fmt: skip
    assert garden["greedy"]["reason"] == "too_expensive"
    assert 'voter"' not in body and "@example" not in body and "ballot" not in body.lower()


def test_the_api_serves_the_same_results_and_lists_them_in_its_schema(client, council, election):
    process, _ideas = election
    results_sweep()
    make_process(council, Process.Stage.VOTING)  # no results: not listed
    listing = client.get("/api/v1/budget-results/").json()
    assert [row["slug"] for row in listing["results"]] == [process.slug]
    detail = client.get(f"/api/v1/budget-results/{process.slug}/").json()
    from_json = client.get(f"/budgets/{process.slug}/results.json").json()
    assert detail["budgets"] == from_json["budgets"]
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/budget-results/{slug}/" in schema
    assert "turnout_per_thousand" in schema


def test_a_draft_has_no_results_json(client, council):
    draft = make_process(council, RESULTS, status=Process.Status.DRAFT)
    assert client.get(f"/budgets/{draft.slug}/results.json").status_code == 404
