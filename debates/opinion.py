"""Opinion groups in a conversation: who votes alike, what sets each group apart, and what every
group agrees on. Pure numpy and scikit-learn, no database: the worker
(debates.conversation_results) builds the vote matrix and keeps what this returns.

The method, and every threshold below, is described for residents and officers in
docs/features/debates.md ("Opinion groups"):

1. Participants with fewer than MIN_VOTES votes (or, in a conversation with fewer statements
   than that, fewer than one vote on each) are left out of the grouping; their votes still count
   in the overall shares.
2. Each vote is a number: agree 1, disagree -1, pass 0. A missing vote is imputed as the
   statement's mean vote among the included participants who voted on it, so it adds nothing
   to the statement's variance and pulls the participant towards no side.
3. PCA to two components (the matrix centred per statement). A participant's point is scaled by
   sqrt(statements / statements they voted on), so that someone who voted on few statements is
   not drawn to the centre by their imputed votes alone.
4. k-means on the two components for k = 2 to 5 (fixed random_state, several starts); the k
   with the highest silhouette score is kept (on a fixed sample of SILHOUETTE_SAMPLE points when
   there are more). Groups are numbered from the largest.
5. A statement represents a group in a direction (agree or disagree) when most of the group
   votes that way (share above one half), the group's share is at least REPRESENTATIVE_GAP above
   the rest's, and a two-proportion z-test puts the difference at least REPRESENTATIVE_Z standard
   errors from nothing. Strength is the difference of shares; each group keeps its
   REPRESENTATIVE_LIMIT strongest.
6. A statement is consensus when, in every group, at least CONSENSUS_SHARE of those who voted
   on it agree (or every group disagrees that much), with at least CONSENSUS_LEAST_VOTES votes
   in each group.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

AGREE, DISAGREE, PASS = 1, -1, 0
MIN_VOTES = 7
MIN_GROUPED = 10  # fewer included participants than this: no groups yet
GROUP_COUNTS = range(2, 6)
SILHOUETTE_SAMPLE = 3000
RANDOM_STATE = 0
REPRESENTATIVE_GAP = 0.1
REPRESENTATIVE_Z = 1.96
REPRESENTATIVE_LIMIT = 5
CONSENSUS_SHARE = 0.6
CONSENSUS_LEAST_VOTES = 3


@dataclass(frozen=True)
class Standout:
    """A statement that sets a group apart: most of the group votes `direction`, `difference`
    more of it (a share, 0 to 1) than everyone else grouped, `z` standard errors from chance."""

    statement: int  # column of the matrix
    direction: str  # "agree" or "disagree"
    group_share: float
    rest_share: float
    difference: float
    z: float


@dataclass(frozen=True)
class Consensus:
    """A statement every group agrees (or disagrees) with: `least_share` in the group that
    agrees least."""

    statement: int
    direction: str
    least_share: float


@dataclass
class Group:
    number: int  # 0 is the largest
    size: int
    representative: list[Standout] = field(default_factory=list)


@dataclass
class OpinionGroups:
    """What the grouping found. `counts` and `group_counts` hold (agree, disagree, pass) per
    statement, overall (every vote) and per group (the group's members' votes)."""

    included: np.ndarray  # rows of the matrix grouped, ascending
    labels: np.ndarray  # group number of each included row
    points: np.ndarray  # each included row's two components
    groups: list[Group]
    consensus: list[Consensus]
    counts: np.ndarray  # statements x 3
    group_counts: np.ndarray  # groups x statements x 3
    silhouette: float | None = None

    @staticmethod
    def shares(counts: np.ndarray) -> np.ndarray:
        """(agree, disagree, pass) as shares of the votes on each statement; 0 with no votes."""
        totals = counts.sum(axis=-1, keepdims=True)
        return np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)


def matrix_from_votes(
    participants: np.ndarray, statements: np.ndarray, choices: np.ndarray, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """(votes, voted) from one row per vote given as three arrays of indices and choices."""
    votes = np.zeros(shape, dtype=np.int8)
    voted = np.zeros(shape, dtype=bool)
    votes[participants, statements] = choices
    voted[participants, statements] = True
    return votes, voted


def _counts(votes: np.ndarray, voted: np.ndarray) -> np.ndarray:
    return np.stack(
        [
            (voted & (votes == AGREE)).sum(axis=0),
            (voted & (votes == DISAGREE)).sum(axis=0),
            (voted & (votes == PASS)).sum(axis=0),
        ],
        axis=-1,
    ).astype(np.int64)


def _group_counts(votes, voted, labels, group_total) -> np.ndarray:
    """groups x statements x 3 by one matrix product per choice (no loop over participants)."""
    membership = np.zeros((group_total, len(labels)), dtype=np.float32)
    membership[labels, np.arange(len(labels))] = 1
    return np.stack(
        [
            membership @ (voted & (votes == choice)).astype(np.float32)
            for choice in (AGREE, DISAGREE, PASS)
        ],
        axis=-1,
    ).astype(np.int64)


def _points(votes: np.ndarray, voted: np.ndarray) -> np.ndarray:
    values = votes.astype(np.float32)
    voted_counts = voted.sum(axis=0)
    means = np.divide(
        (values * voted).sum(axis=0),
        voted_counts,
        out=np.zeros(values.shape[1]),
        where=voted_counts > 0,
    ).astype(np.float32)
    values = np.where(voted, values, means)
    if not (values != values[0]).any():  # everyone alike: no direction to find
        return np.zeros((len(values), 2))
    points = PCA(n_components=2, random_state=RANDOM_STATE).fit_transform(values)
    per_row = voted.sum(axis=1)
    return points * np.sqrt(values.shape[1] / per_row)[:, None]


def _cluster(points: np.ndarray) -> tuple[np.ndarray, float | None]:
    best_labels, best_score = np.zeros(len(points), dtype=np.int64), None
    distinct = len(np.unique(points.round(9), axis=0))
    sample = min(len(points), SILHOUETTE_SAMPLE)
    for k in GROUP_COUNTS:
        if k >= distinct:
            break
        labels = KMeans(n_clusters=k, n_init=4, random_state=RANDOM_STATE).fit_predict(points)
        score = float(
            silhouette_score(points, labels, sample_size=sample, random_state=RANDOM_STATE)
        )
        if best_score is None or score > best_score:
            best_labels, best_score = labels, score
    # Number the groups from the largest (ties by first member), so that group A is the biggest.
    sizes = np.bincount(best_labels)
    firsts = [int(np.argmax(best_labels == label)) for label in range(len(sizes))]
    order = sorted(range(len(sizes)), key=lambda label: (-sizes[label], firsts[label]))
    renumber = np.empty(len(sizes), dtype=np.int64)
    renumber[order] = np.arange(len(sizes))
    return renumber[best_labels], best_score


def _representative(group_counts: np.ndarray, group: int) -> list[Standout]:
    mine = group_counts[group]
    rest = group_counts.sum(axis=0) - mine
    mine_total, rest_total = mine.sum(axis=-1), rest.sum(axis=-1)
    found = []
    for column, direction in ((0, "agree"), (1, "disagree")):
        share = np.divide(
            mine[:, column], mine_total, out=np.zeros(len(mine)), where=mine_total > 0
        )
        rest_share = np.divide(
            rest[:, column], rest_total, out=np.zeros(len(rest)), where=rest_total > 0
        )
        pooled = np.divide(
            mine[:, column] + rest[:, column],
            mine_total + rest_total,
            out=np.zeros(len(mine)),
            where=(mine_total + rest_total) > 0,
        )
        error = np.sqrt(
            pooled
            * (1 - pooled)
            * (
                np.divide(1, mine_total, out=np.zeros(len(mine)), where=mine_total > 0)
                + np.divide(1, rest_total, out=np.zeros(len(rest)), where=rest_total > 0)
            )
        )
        difference = share - rest_share
        z = np.divide(difference, error, out=np.zeros(len(mine)), where=error > 0)
        chosen = (
            (share > 0.5)
            & (difference >= REPRESENTATIVE_GAP)
            & (z >= REPRESENTATIVE_Z)
            & (rest_total > 0)
        )
        found += [
            Standout(
                statement=int(statement),
                direction=direction,
                group_share=float(share[statement]),
                rest_share=float(rest_share[statement]),
                difference=float(difference[statement]),
                z=float(z[statement]),
            )
            for statement in np.flatnonzero(chosen)
        ]
    found.sort(key=lambda standout: (-standout.difference, standout.statement))
    return found[:REPRESENTATIVE_LIMIT]


def _consensus(group_counts: np.ndarray) -> list[Consensus]:
    totals = group_counts.sum(axis=-1)
    enough = (totals >= CONSENSUS_LEAST_VOTES).all(axis=0)
    shares = OpinionGroups.shares(group_counts)
    found = []
    for column, direction in ((0, "agree"), (1, "disagree")):
        least = shares[:, :, column].min(axis=0)
        found += [
            Consensus(
                statement=int(statement), direction=direction, least_share=float(least[statement])
            )
            for statement in np.flatnonzero(enough & (least >= CONSENSUS_SHARE))
        ]
    found.sort(key=lambda consensus: (-consensus.least_share, consensus.statement))
    return found


def _ungrouped(included: np.ndarray, counts: np.ndarray) -> OpinionGroups:
    return OpinionGroups(
        included=included,
        labels=np.zeros(0, dtype=np.int64),
        points=np.zeros((0, 2)),
        groups=[],
        consensus=[],
        counts=counts,
        group_counts=np.zeros((0, counts.shape[0], 3), dtype=np.int64),
    )


def opinion_groups(
    votes: np.ndarray, voted: np.ndarray, *, min_votes: int = MIN_VOTES
) -> OpinionGroups:
    """Group the participants (rows) of a participants x statements matrix of votes (1, -1, 0)
    where `voted` is True; see the module's docstring for the method.

    On one thread: a worker shares its machine with other workers and the web processes, and
    BLAS and OpenMP threads fighting over busy CPUs made the grouping several times slower
    (10,000 x 300: 10 s instead of 2 s on two loaded CPUs)."""
    with threadpool_limits(limits=1):
        return _opinion_groups(votes, voted, min_votes=min_votes)


def _opinion_groups(votes: np.ndarray, voted: np.ndarray, *, min_votes: int) -> OpinionGroups:
    votes = np.asarray(votes, dtype=np.int8)
    voted = np.asarray(voted, dtype=bool)
    counts = _counts(votes, voted)
    statements = votes.shape[1]
    least = min(min_votes, statements)
    included = np.flatnonzero(voted.sum(axis=1) >= max(least, 1))
    if statements < 2 or len(included) < MIN_GROUPED:
        return _ungrouped(included, counts)
    votes, voted = votes[included], voted[included]
    points = _points(votes, voted)
    labels, silhouette = _cluster(points)
    if silhouette is None:  # fewer than three distinct points: nothing to tell apart
        return _ungrouped(included, counts)
    group_total = int(labels.max()) + 1
    group_counts = _group_counts(votes, voted, labels, group_total)
    sizes = np.bincount(labels, minlength=group_total)
    groups = [
        Group(
            number=group,
            size=int(sizes[group]),
            representative=_representative(group_counts, group),
        )
        for group in range(group_total)
    ]
    return OpinionGroups(
        included=included,
        labels=labels,
        points=points,
        groups=groups,
        consensus=_consensus(group_counts) if group_total > 1 else [],
        counts=counts,
        group_counts=group_counts,
        silhouette=silhouette,
    )
