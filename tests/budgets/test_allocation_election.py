"""An election holds its ballots as distinct sets with how many cast each, in arrays, whatever
way it was built; every voter counts, empty ballots too; bad input is refused by name."""

from __future__ import annotations

import gc
import tracemalloc
from decimal import Decimal

import numpy as np
import pytest

from budgets.allocation import Election, Project, equal_shares, greedy, money

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


def test_an_election_and_its_results_keep_no_python_object_per_ballot():
    def blocks_kept(voters: int) -> int:
        rng = np.random.default_rng(voters)
        sizes = rng.integers(1, 6, size=voters)
        starts = np.concatenate([[0], np.cumsum(sizes)])
        chosen = np.concatenate([rng.choice(40, size, replace=False) for size in sizes])
        projects = [Project(id=str(number), cost=int(rng.integers(1, 50))) for number in range(40)]
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        election = Election.from_csr(projects=projects, budget=300, starts=starts, chosen=chosen)
        kept = (election, greedy(election), equal_shares(election))
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        assert kept[0].voters == voters
        return sum(stat.count_diff for stat in after.compare_to(before, "filename"))

    small, large = blocks_kept(2_000), blocks_kept(20_000)
    assert large < small * 1.5, (small, large)
