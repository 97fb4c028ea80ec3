"""An election holds its ballots as distinct sets with how many cast each, in arrays, whatever
way it was built; every voter counts, empty ballots too; bad input is refused by name."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from budgets.allocation import Election, Project, money

PROJECTS = [Project(id="a", cost=10), Project(id="b", cost=20), Project(id="c", cost=30)]


def test_equal_ballots_are_held_once_with_how_many_cast_them():
    election = Election.from_ballots(
        projects=PROJECTS,
        budget=50,
        ballots=[["a", "b"], ["b", "a"], ["c"], [], ["a", "b", "a"]],
    )
    assert sorted(election.ballots()) == [((), 1), (("a", "b"), 3), (("c",), 1)]
    assert election.voters == 5
    assert election.votes.tolist() == [3, 3, 1]
    assert len(election.ballot_counts) == 3
    assert election.ballot_projects.dtype == np.int32


def test_the_same_ballots_in_another_order_or_built_from_pairs_give_an_equal_election():
    ballots = [["a", "b"], ["c"], ["b"], ["a", "b"], []]
    first = Election.from_ballots(projects=PROJECTS, budget=50, ballots=ballots)
    second = Election.from_ballots(projects=PROJECTS, budget=50, ballots=ballots[::-1])
    pairs = Election.from_pairs(
        projects=PROJECTS,
        budget=50,
        ballot_keys=np.array([907, 907, 12, 40, 3, 3]),
        project_positions=np.array([0, 1, 2, 1, 1, 0]),
        empty_ballots=1,
    )
    assert first == second == pairs
    assert first != Election.from_ballots(projects=PROJECTS, budget=51, ballots=ballots)


def test_more_than_64_projects_are_told_apart():
    projects = [Project(id=str(number), cost=1) for number in range(130)]
    election = Election.from_ballots(
        projects=projects, budget=5, ballots=[["0", "129"], ["129", "0"], ["64"], ["63", "64"]]
    )
    assert sorted(election.ballots()) == [(("0", "129"), 2), (("63", "64"), 1), (("64",), 1)]


def test_a_ballot_naming_a_project_not_on_the_paper_is_refused():
    with pytest.raises(ValueError, match="names project 'z'"):
        Election.from_ballots(projects=PROJECTS, budget=50, ballots=[["a"], ["z"]])


def test_projects_must_have_unique_ids_and_a_cost_above_nothing():
    with pytest.raises(ValueError, match="repeated: a"):
        Election.from_ballots(projects=[PROJECTS[0], PROJECTS[0]], budget=50, ballots=[])
    with pytest.raises(ValueError, match="must cost more than nothing"):
        Project(id="free", cost=0)


def test_amounts_are_exact_and_floats_are_refused():
    assert money("1234.50") == Decimal("1234.50")
    assert money(Decimal("7.00")) == 7 and isinstance(money(Decimal("7.00")), int)
    assert money("12,5") == Decimal("12.5")
    with pytest.raises(TypeError):
        money(0.1)
    with pytest.raises(ValueError, match="cannot be negative"):
        money(-1)
