"""Conversations with opinion groups planted in them, drawn from a seed, for the tests of
debates.opinion and for bench/debates_conversation_groups.py.

Each planted group holds a stance on every statement (agree or disagree): on the consensus
statements every group holds the same one, and on every other statement at least one group
differs. A participant votes the group's stance with probability `loyalty`, the other way or
passes otherwise, on `votes_each` statements drawn at random (a few vote on only `sparse_votes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Planted:
    votes: np.ndarray  # participants x statements, 1 / -1 / 0
    voted: np.ndarray  # participants x statements, bool
    labels: np.ndarray  # each participant's planted group
    stances: np.ndarray  # groups x statements, 1 or -1
    consensus: dict[int, str]  # statement -> "agree" or "disagree"
    sparse: np.ndarray  # participants given only sparse_votes votes

    def alone(self, group: int) -> set[int]:
        """Statements on which `group` holds a stance no other group holds."""
        others = np.delete(self.stances, group, axis=0)
        return set(np.flatnonzero((others != self.stances[group]).all(axis=0)).tolist())


def planted(
    *,
    participants: int,
    statements: int,
    sizes: tuple[float, ...] = (0.5, 0.3, 0.2),
    consensus_agree: int = 3,
    consensus_disagree: int = 1,
    votes_each: tuple[int, int] = (30, 70),
    loyalty: float = 0.8,
    pass_share: float = 0.08,
    sparse_share: float = 0.0,
    sparse_votes: int = 3,
    seed: int = 2027,
) -> Planted:
    rng = np.random.default_rng(seed)
    groups = len(sizes)
    labels = rng.choice(groups, size=participants, p=np.asarray(sizes) / sum(sizes))
    stances = rng.choice(np.array([1, -1], dtype=np.int8), size=(groups, statements))
    # Every statement that is not planted as consensus sets one group against the others.
    split = (stances == stances[0]).all(axis=0)
    stances[rng.integers(groups, size=statements)[split], np.flatnonzero(split)] *= -1
    consensus_columns = rng.choice(
        statements, size=consensus_agree + consensus_disagree, replace=False
    )
    consensus = {}
    for position, column in enumerate(consensus_columns):
        stance = 1 if position < consensus_agree else -1
        stances[:, column] = stance
        consensus[int(column)] = "agree" if stance == 1 else "disagree"
    counts = rng.integers(votes_each[0], votes_each[1] + 1, size=participants)
    sparse = rng.random(participants) < sparse_share
    counts[sparse] = sparse_votes
    counts = np.minimum(counts, statements)
    ranks = np.argsort(rng.random((participants, statements)), axis=1).argsort(axis=1)
    voted = ranks < counts[:, None]
    draw = rng.random((participants, statements))
    stance = stances[labels]
    votes = np.where(draw < loyalty, stance, np.where(draw < 1 - pass_share, -stance, 0))
    votes = np.where(voted, votes, 0).astype(np.int8)
    return Planted(
        votes=votes,
        voted=voted,
        labels=labels,
        stances=stances,
        consensus=consensus,
        sparse=np.flatnonzero(sparse),
    )
