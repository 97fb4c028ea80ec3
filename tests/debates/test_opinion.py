"""Opinion groups from planted vote matrices (debates.opinion): no database, seeded draws."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from debates import opinion
from tests.debates.planted import planted


def _majority(found, truth) -> dict[int, int]:
    """Each found group's planted group: the one most of its members were planted in."""
    return {
        int(group): int(np.bincount(truth[found == group]).argmax()) for group in np.unique(found)
    }


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_the_three_planted_groups_are_found(seed):
    data = planted(participants=600, statements=40, seed=seed)

    found = opinion.opinion_groups(data.votes, data.voted)

    assert len(found.groups) == 3
    assert adjusted_rand_score(data.labels[found.included], found.labels) >= 0.9
    assert [group.size for group in found.groups] == sorted(
        (group.size for group in found.groups), reverse=True
    )
    assert sum(group.size for group in found.groups) == len(found.included) == 600


def test_two_planted_groups_are_found_as_two():
    data = planted(participants=400, statements=30, sizes=(0.6, 0.4), seed=5)

    found = opinion.opinion_groups(data.votes, data.voted)

    assert len(found.groups) == 2
    assert adjusted_rand_score(data.labels[found.included], found.labels) >= 0.9


def test_the_planted_consensus_statements_are_found_and_no_others():
    data = planted(participants=600, statements=40, consensus_agree=3, consensus_disagree=2, seed=3)

    found = opinion.opinion_groups(data.votes, data.voted)

    assert {item.statement: item.direction for item in found.consensus} == data.consensus
    assert all(item.least_share >= opinion.CONSENSUS_SHARE for item in found.consensus)


def test_each_groups_representative_statements_are_where_it_stands_apart():
    data = planted(participants=600, statements=40, seed=21)

    found = opinion.opinion_groups(data.votes, data.voted)

    planted_group = _majority(found.labels, data.labels[found.included])
    for group in found.groups:
        truth = planted_group[group.number]
        assert group.representative, f"group {group.number} has no representative statement"
        assert len(group.representative) <= opinion.REPRESENTATIVE_LIMIT
        # The strongest is one on which the planted group alone holds its stance.
        assert group.representative[0].statement in data.alone(truth)
        for standout in group.representative:
            stance = data.stances[truth, standout.statement]
            assert standout.direction == ("agree" if stance == 1 else "disagree")
            assert standout.statement not in data.consensus
            assert standout.group_share > 0.5
            assert standout.difference >= opinion.REPRESENTATIVE_GAP
            assert standout.z >= opinion.REPRESENTATIVE_Z


def test_participants_with_too_few_votes_are_left_out_but_their_votes_still_count():
    data = planted(participants=500, statements=30, sparse_share=0.1, sparse_votes=3, seed=8)
    assert len(data.sparse) > 0

    found = opinion.opinion_groups(data.votes, data.voted)

    assert set(found.included.tolist()) == set(range(500)) - set(data.sparse.tolist())
    assert found.counts.sum() == data.voted.sum()
    assert found.group_counts.sum() == data.voted[found.included].sum()


def test_the_shares_add_up_from_the_votes():
    votes = np.array([[1, -1, 0], [1, 1, 0], [-1, 0, 0]], dtype=np.int8)
    voted = np.array([[True, True, True], [True, True, False], [True, False, False]])

    found = opinion.opinion_groups(votes, voted, min_votes=1)

    assert found.counts.tolist() == [[2, 1, 0], [1, 1, 0], [0, 0, 1]]
    shares = opinion.OpinionGroups.shares(found.counts)
    assert shares[0].tolist() == pytest.approx([2 / 3, 1 / 3, 0])
    assert shares[2].tolist() == [0, 0, 1]


def test_too_few_participants_make_no_groups():
    data = planted(participants=opinion.MIN_GROUPED - 1, statements=20, seed=1)

    found = opinion.opinion_groups(data.votes, data.voted)

    assert (found.groups, found.consensus, len(found.included)) == ([], [], opinion.MIN_GROUPED - 1)
    assert found.counts.sum() == data.voted.sum()


def test_everyone_voting_alike_makes_no_groups():
    votes = np.ones((30, 8), dtype=np.int8)
    voted = np.ones((30, 8), dtype=bool)

    found = opinion.opinion_groups(votes, voted)

    assert (found.groups, found.consensus) == ([], [])


def test_the_same_votes_give_the_same_groups():
    data = planted(participants=300, statements=25, seed=4)

    first = opinion.opinion_groups(data.votes, data.voted)
    second = opinion.opinion_groups(data.votes.copy(), data.voted.copy())

    assert first.labels.tolist() == second.labels.tolist()
    assert first.consensus == second.consensus
