"""A budget's ballots read from the database into an election (budgets.allocation.Election), for
the results, the Pabulib export and the benches: one query for the projects, one for the votes
(as two integer columns, into numpy without a Python object per vote) and one for the ballots
that chose nothing.

    election, ideas = budget_election(budget)              # every channel
    budget_election(budget, channel=Ballot.Channel.PAPER)  # one channel's ballots only

A project's id in the election is its idea's primary key as a string, which is also the
project_id a Pabulib export writes; `ideas` maps it back to the Idea.
"""

from __future__ import annotations

import numpy as np

from budgets.allocation import Election, Project
from budgets.models import Ballot, BallotChoice, Budget, Idea


def ballot_ideas(budget: Budget) -> list[Idea]:
    """The projects on the budget's ballot paper, in the order the ballot shows them."""
    return list(
        Idea.objects.filter(budget=budget, status=Idea.Status.ON_BALLOT)
        .select_related("category")
        .order_by("title", "pk")
    )


def budget_election(
    budget: Budget, *, channel: str | None = None, ideas: list[Idea] | None = None
) -> tuple[Election, dict[str, Idea]]:
    """The budget's election: its ballot paper, its amount, and every counted ballot (or one
    channel's). A ballot that chose nothing still counts as a voter."""
    ideas = ballot_ideas(budget) if ideas is None else ideas
    projects = [Project(id=str(idea.pk), cost=idea.cost, name=idea.title) for idea in ideas]
    position = {idea.pk: index for index, idea in enumerate(ideas)}
    ballots = Ballot.objects.filter(budget=budget)
    if channel is not None:
        ballots = ballots.filter(channel=channel)
    pairs = BallotChoice.objects.filter(ballot__in=ballots, idea_id__in=list(position))
    rows = np.array(list(pairs.values_list("ballot_id", "idea_id")), dtype=np.int64)
    rows = rows.reshape(-1, 2)
    lookup = np.full(max(position, default=0) + 1, -1, dtype=np.int64)
    for idea_id, index in position.items():
        lookup[idea_id] = index
    voting = len(np.unique(rows[:, 0])) if len(rows) else 0
    empty = ballots.count() - voting
    election = Election.from_pairs(
        projects=projects,
        budget=budget.amount,
        ballot_keys=rows[:, 0],
        project_positions=lookup[rows[:, 1]],
        empty_ballots=max(empty, 0),
    )
    return election, {str(idea.pk): idea for idea in ideas}
