"""seed_demo gives Northbridge a budget process in every phase, with ideas in every status; the
processes that reached voting have ballots from every channel, one of them thousands across the
wards, each keeping its budget's rules, and results that differ between greedy and the Method of
Equal Shares; and it runs twice the same."""

from collections import Counter, defaultdict

import pytest
from django.core.management import call_command

from budgets.allocation import Completion, equal_shares, greedy
from budgets.codes import code_find
from budgets.demo import TRY_CODES, seed_budgets
from budgets.models import (
    Ballot,
    BallotChoice,
    Budget,
    BudgetResult,
    CodeBatch,
    Elector,
    Idea,
    Process,
    Support,
    VotingCode,
)
from budgets.results import funded_ideas
from budgets.tally import budget_election
from budgets.voting import ballot_problems
from civic.models import Area, User
from tests.factories import AreaFactory, OrganisationFactory

MES_COMPLETION = {
    Process.Completion.GREEDY: Completion.GREEDY,
    Process.Completion.RAISE_BUDGET: Completion.RAISED_BUDGET,
}


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Process,
            Budget,
            Idea,
            Support,
            CodeBatch,
            VotingCode,
            Elector,
            Ballot,
            BallotChoice,
            User,
        )
    }


def _rule_breakers(budgets) -> list[tuple[int, list[str]]]:
    """Every ballot of `budgets` checked against its budget's rules: those that break them."""
    ideas = {idea.pk: idea for idea in Idea.objects.filter(budget__in=budgets)}
    chosen = defaultdict(list)
    for ballot_id, idea_id in BallotChoice.objects.filter(ballot__budget__in=budgets).values_list(
        "ballot_id", "idea_id"
    ):
        chosen[ballot_id].append(ideas[idea_id])
    by_pk = {budget.pk: budget for budget in budgets}
    broken = []
    for ballot_id, budget_id in Ballot.objects.filter(budget__in=budgets).values_list(
        "pk", "budget_id"
    ):
        problems = ballot_problems(by_pk[budget_id], chosen[ballot_id])
        if problems:
            broken.append((ballot_id, problems))
    return broken


@pytest.mark.django_db
def test_seed_demo_has_a_process_in_every_phase_and_runs_twice_the_same():
    call_command("seed_demo")
    before = _counts()
    call_command("seed_demo")

    assert _counts() == before
    stages = {process.stage for process in Process.objects.all()}
    assert stages == set(Process.Stage.values) - {Process.Stage.DRAFT}
    assert set(Idea.objects.values_list("status", flat=True)) == set(Idea.Status.values)
    assert Support.objects.count() > 20
    # Ideas say why the council turned them down, and a merged one where it went.
    for idea in Idea.objects.exclude(status__in=[Idea.Status.PROPOSED]):
        assert idea.reason, idea
    merged = Idea.objects.filter(status=Idea.Status.MERGED)
    assert merged and all(idea.merged_into.process_id == idea.process_id for idea in merged)
    assert not Support.objects.filter(idea__in=merged).exists()
    assert Idea.objects.filter(title="A zebra crossing by St Anne's school").exists()
    # Turnout per 1,000 residents can be shown for every ward with a budget.
    wards = Area.objects.filter(pk__in=Budget.objects.values("area"))
    assert wards.count() == 3 and not wards.filter(population__isnull=True).exists()


@pytest.mark.django_db
def test_seed_demo_ballots_come_from_every_channel_keep_the_rules_and_mes_differs_from_greedy():
    call_command("seed_demo")

    with_ballots = {
        process.slug: process
        for process in Process.objects.filter(budgets__ballots__isnull=False).distinct()
    }
    assert {process.stage for process in with_ballots.values()} == {
        Process.Stage.VOTING,
        Process.Stage.RESULTS,
        Process.Stage.IMPLEMENTATION,
    }
    budgets = list(Budget.objects.filter(process__in=with_ballots.values()).select_related("area"))
    assert _rule_breakers(budgets) == []

    # One process has thousands of ballots across its wards, by every channel.
    big = with_ballots["neighbourhood-fund-2026"]
    ballots = Ballot.objects.filter(budget__process=big)
    assert 3000 <= ballots.count() <= 6000
    by_ward = Counter(ballots.filter(budget__area__isnull=False).values_list("budget__area__name"))
    assert len(by_ward) == 3 and min(by_ward.values()) > 500
    for process in with_ballots.values():
        channels = Counter(
            Ballot.objects.filter(budget__process=process).values_list("channel", flat=True)
        )
        assert set(channels) == set(Ballot.Channel.values), process

    # Online ballots are demo residents', voting as the ward they live in.
    online = ballots.filter(channel=Ballot.Channel.ONLINE, budget__area__isnull=False)
    elector_area = dict(Elector.objects.filter(process=big).values_list("user_id", "area_id"))
    assert all(
        elector_area[voter] == area
        for voter, area in online.values_list("voter_id", "budget__area")
    )
    assert not online.filter(voter__emailaddress__verified=False).exists()
    # Code ballots: each code's elector, in the area of its batch, once per budget.
    for ballot in ballots.filter(channel=Ballot.Channel.CODE).select_related("code__batch"):
        elector = Elector.objects.get(process=big, code=ballot.code)
        assert ballot.budget.area_id in (None, elector.area_id)
        assert ballot.code.batch.area_id in (None, elector.area_id)
    # Paper ballots: keyed in by the demo officer, from named batches.
    paper = ballots.filter(channel=Ballot.Channel.PAPER)
    assert set(paper.values_list("keyed_by__email", flat=True)) == {"officer@northbridge.example"}
    assert "" not in set(paper.values_list("paper_batch", flat=True))
    # Every ballot was cast while voting was open.
    assert not ballots.exclude(
        submitted_at__range=(big.voting_opens_at, big.voting_closes_at)
    ).exists()

    # The codes to try in the voting process are its drop-in batch's, hashed, and still unused.
    young = with_ballots["young-northbridge"]
    drop_in = CodeBatch.objects.get(process=young, area=None)
    for code in TRY_CODES:
        stored = code_find(young, code)  # as the code page finds it
        assert stored is not None and stored.batch == drop_in
        assert not stored.ballots.exists() and not stored.electors.exists()

    # Under the method each process chose to complete MES, the larger group takes the whole
    # citywide budget by greedy, and the smaller group's projects get a share under MES.
    for budget in Budget.objects.filter(process=big):
        election, ideas = budget_election(budget)
        by_greedy = set(greedy(election).funded)
        by_shares = set(equal_shares(election, completion=MES_COMPLETION[big.completion]).funded)
        assert by_greedy != by_shares, budget
        if budget.area_id is None:
            assert {ideas[project].title for project in by_shares - by_greedy} == {
                "Free holiday activities for children"
            }
            assert greedy(election).left == 0

    # The seed works out the results of the processes whose voting has closed, as the worker
    # would; the demo's results page shows the chosen method's winners.
    for process in (big, with_ballots["northbridge-decides-2025"]):
        assert BudgetResult.objects.of_process(process).count() == process.budgets.count()
    assert (
        "Free holiday activities for children" in {idea.title for idea in funded_ideas(big)}
        or big.method == Process.Method.GREEDY
    )


@pytest.mark.django_db
def test_seeding_budgets_returns_the_new_processes_whose_voting_has_closed():
    council = OrganisationFactory(slug="northbridge")
    AreaFactory(organisation=council, name="Ancoats Ward", population=14211)
    AreaFactory(organisation=council, name="Hulme Ward", population=12000)  # no demo projects

    closed = seed_budgets(organisations={"northbridge": council})

    assert {process.slug for process in closed} == {
        "neighbourhood-fund-2026",
        "northbridge-decides-2025",
    }
    assert seed_budgets(organisations={"northbridge": council}) == []
    hulme = Budget.objects.filter(area__name="Hulme Ward", process__in=closed)
    assert Ballot.objects.filter(budget__in=hulme).count() > 100
    assert Idea.objects.filter(budget__in=hulme, title="Street trees in Hulme").count() == 2
    assert _rule_breakers(list(Budget.objects.filter(process__in=closed))) == []
