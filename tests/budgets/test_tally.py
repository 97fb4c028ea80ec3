"""A budget's ballots are read from the database into the election the results are worked out
from: only the budget's ballot paper, every channel (or one), and a ballot that chose nothing
still counted as a voter."""

from __future__ import annotations

import pytest

from budgets.allocation import greedy
from budgets.models import Ballot, BallotChoice, Idea
from budgets.tally import budget_election
from tests.budgets.conftest import budget_of, make_idea, make_process
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Channel = Ballot.Channel


def on_ballot(process, area, cost, *, proposer):
    return make_idea(process, proposer=proposer, area=area, status=Idea.Status.ON_BALLOT,
                     final_cost=cost)  # fmt: skip


def cast(budget, ideas, channel=Channel.ONLINE, **who):
    if channel == Channel.ONLINE and not who:
        who = {"voter": UserFactory()}
    ballot = Ballot.objects.create(budget=budget, channel=channel, **who)
    BallotChoice.objects.bulk_create([BallotChoice(ballot=ballot, idea=idea) for idea in ideas])
    return ballot


def test_the_election_holds_the_ballot_paper_and_every_counted_ballot(council):
    process = make_process(council)
    budget = budget_of(process, council.ancoats)
    on = [on_ballot(process, council.ancoats, cost, proposer=council.resident)
          for cost in (30_000, 20_000, 25_000)]  # fmt: skip
    off = make_idea(process, proposer=council.resident, area=council.ancoats)
    elsewhere = make_idea(process, proposer=council.resident, area=council.hulme,
                          status=Idea.Status.ON_BALLOT, final_cost=1_000)  # fmt: skip
    cast(budget, [on[0], on[1]])
    cast(budget, [on[0], off])  # a choice no longer on the paper does not count
    cast(budget, [])
    cast(budget, [on[2]], Channel.PAPER, keyed_by=council.officer)
    cast(budget_of(process, council.hulme), [elsewhere])

    election, ideas = budget_election(budget)
    assert election.voters == 4
    assert sorted(ideas) == sorted(str(idea.pk) for idea in on)
    votes = dict(zip([p.id for p in election.projects], election.votes.tolist(), strict=True))
    assert votes == {str(on[0].pk): 2, str(on[1].pk): 1, str(on[2].pk): 1}
    assert [ideas[i] for i in greedy(election).funded] == [on[0], on[1]]

    paper, _ideas = budget_election(budget, channel=Channel.PAPER)
    assert paper.voters == 1
    assert paper.votes.tolist()[[p.id for p in paper.projects].index(str(on[2].pk))] == 1


def test_a_budget_without_ballots_is_an_election_without_voters(council):
    budget = budget_of(make_process(council))
    election, ideas = budget_election(budget)
    assert election.voters == 0 and ideas == {}
