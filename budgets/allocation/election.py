"""One budget's election held compactly: its projects, its amount and its ballots as arrays.

A ballot is the set of projects a voter chose: an approval ballot, or a knapsack ballot (whose
costs add up to no more than the amount) read as the set it chose, which is what both result
methods use. Ballots are kept de-duplicated, as the distinct sets with how many voters cast each
one, in three numpy arrays (a CSR layout): `ballot_starts` (int64, one more than the number of
distinct ballots), `ballot_projects` (int32 project positions, ascending within a ballot) and
`ballot_counts` (int64). Memory grows by a few bytes per vote and never by a Python object per
ballot, so 100,000 ballots cost a few megabytes.

Voters who cast the same set stay together through both methods: under equal shares they start
with the same share and pay the same for every project they support, so their budgets never part.

The distinct ballots are stored in a canonical order (sorted by their sets), so two elections with
the same projects, amount and ballots compare equal however their ballots were ordered.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cached_property

import numpy as np

Money = int | Decimal
"""An amount: a whole number, or a Decimal where it has pence (never a float, which is inexact)."""


def money(value: int | Decimal | str) -> Money:
    """An amount as civic holds it: `int` when whole, else the exact `Decimal`.

    Refuses floats (their binary value is not the amount written) and anything negative or not
    finite, with a ValueError that names the value.
    """
    if isinstance(value, bool | float):
        raise TypeError(f"an amount must be an int, a Decimal or a string, not {value!r}")
    if isinstance(value, str):
        try:
            value = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not an amount") from None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value!r} is not an amount")
        if value == value.to_integral_value():
            value = int(value)
    if not isinstance(value, int | Decimal):
        raise TypeError(f"an amount must be an int, a Decimal or a string, not {value!r}")
    if value < 0:
        raise ValueError(f"an amount cannot be negative ({value})")
    return value


@dataclass(frozen=True)
class Project:
    """A project on the ballot. `id` is how ballots name it (a Pabulib project_id, or a primary
    key as a string); `details` holds any other columns a Pabulib file gave it (category,
    target, ...), written back on export."""

    id: str
    cost: Money
    name: str = ""
    details: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self):
        if not isinstance(self.id, str) or not self.id.strip():
            raise ValueError(f"a project id must be a non-empty string, not {self.id!r}")
        cost = money(self.cost)
        if cost <= 0:
            raise ValueError(f"project {self.id} must cost more than nothing (it costs {cost})")
        object.__setattr__(self, "cost", cost)
        object.__setattr__(self, "details", dict(self.details))


class Election:
    """Projects, the amount to share out, and the distinct ballots with how many cast each.

    Build one with `from_ballots` (an iterable of sets of project ids) or `from_pairs` (numpy
    arrays of (ballot, project position) pairs, as read from a table of votes). Every voter
    counts, also one whose ballot is empty: under equal shares each voter's share is the amount
    divided by the number of voters.
    """

    def __init__(
        self,
        *,
        projects: Sequence[Project],
        budget: int | Decimal | str,
        ballot_starts: np.ndarray,
        ballot_projects: np.ndarray,
        ballot_counts: np.ndarray,
        meta: Mapping[str, str] | None = None,
    ):
        """Wrap arrays that are already canonical; use the class methods to build from ballots."""
        self.projects: tuple[Project, ...] = tuple(projects)
        ids = [project.id for project in self.projects]
        if len(set(ids)) != len(ids):
            repeated = sorted({id_ for id_ in ids if ids.count(id_) > 1})
            raise ValueError(f"project ids must be unique; repeated: {', '.join(repeated)}")
        self.budget: Money = money(budget)
        self.ballot_starts = np.asarray(ballot_starts, dtype=np.int64)
        self.ballot_projects = np.asarray(ballot_projects, dtype=np.int32)
        self.ballot_counts = np.asarray(ballot_counts, dtype=np.int64)
        self.meta: dict[str, str] = dict(meta or {})
        self.index: dict[str, int] = {id_: position for position, id_ in enumerate(ids)}

    # Building ---------------------------------------------------------------------------------

    @classmethod
    def from_ballots(
        cls,
        *,
        projects: Sequence[Project],
        budget: int | Decimal | str,
        ballots: Iterable[Iterable[str]],
        meta: Mapping[str, str] | None = None,
    ) -> Election:
        """Ballots as sets (or lists) of project ids, read one at a time and not kept.

        A project id that is not on the ballot paper raises ValueError naming it; a project
        named twice on one ballot counts once.
        """
        index = {project.id: position for position, project in enumerate(projects)}
        starts = array("q", [0])
        chosen = array("i")
        for ballot in ballots:
            for project_id in ballot:
                try:
                    chosen.append(index[project_id])
                except KeyError:
                    raise ValueError(
                        f"a ballot names project {project_id!r}, which is not on the ballot paper"
                    ) from None
            starts.append(len(chosen))
        return cls.from_csr(
            projects=projects,
            budget=budget,
            starts=np.frombuffer(starts, dtype=np.int64),
            chosen=np.frombuffer(chosen, dtype=np.int32),
            meta=meta,
        )

    @classmethod
    def from_pairs(
        cls,
        *,
        projects: Sequence[Project],
        budget: int | Decimal | str,
        ballot_keys: np.ndarray,
        project_positions: np.ndarray,
        empty_ballots: int = 0,
        meta: Mapping[str, str] | None = None,
    ) -> Election:
        """One (ballot, project) pair per vote: `ballot_keys` any integers that tell ballots apart
        (a ballot's primary key), `project_positions` the project's position in `projects`.
        `empty_ballots` adds voters who chose nothing, since no pair names them."""
        ballot_keys = np.asarray(ballot_keys)
        project_positions = np.asarray(project_positions, dtype=np.int64)
        if ballot_keys.shape != project_positions.shape:
            raise ValueError("ballot_keys and project_positions must have the same length")
        _check_positions(project_positions, len(projects))
        _keys, voter = np.unique(ballot_keys, return_inverse=True)
        voters = len(_keys)
        order = np.argsort(voter, kind="stable")
        counts = np.bincount(voter, minlength=voters)
        starts = np.zeros(voters + 1 + empty_ballots, dtype=np.int64)
        np.cumsum(counts, out=starts[1 : voters + 1])
        starts[voters + 1 :] = starts[voters]
        return cls.from_csr(
            projects=projects,
            budget=budget,
            starts=starts,
            chosen=project_positions[order].astype(np.int32),
            meta=meta,
        )

    @classmethod
    def from_csr(
        cls,
        *,
        projects: Sequence[Project],
        budget: int | Decimal | str,
        starts: np.ndarray,
        chosen: np.ndarray,
        counts: np.ndarray | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> Election:
        """Ballot i chose `chosen[starts[i]:starts[i + 1]]` (project positions), cast by
        `counts[i]` voters (one each if not given). Groups equal ballots and sorts them."""
        starts = np.asarray(starts, dtype=np.int64)
        chosen = np.asarray(chosen, dtype=np.int64)
        if len(starts) == 0:
            raise ValueError("starts must hold at least one entry (0)")
        ballots = len(starts) - 1
        counts = (
            np.ones(ballots, dtype=np.int64)
            if counts is None
            else np.asarray(counts, dtype=np.int64)
        )
        if starts[0] != 0 or starts[-1] != len(chosen) or np.any(np.diff(starts) < 0):
            raise ValueError("starts must rise from 0 to the number of chosen projects")
        if len(counts) != ballots or np.any(counts < 0):
            raise ValueError("counts must give a non-negative number of voters for each ballot")
        _check_positions(chosen, len(projects))
        starts, chosen, counts = _distinct_ballots(starts, chosen, counts, len(projects))
        return cls(
            projects=projects,
            budget=budget,
            ballot_starts=starts,
            ballot_projects=chosen,
            ballot_counts=counts,
            meta=meta,
        )

    # Reading ----------------------------------------------------------------------------------

    @property
    def voters(self) -> int:
        """Everyone who voted in this budget, empty ballots included."""
        return int(self.ballot_counts.sum())

    @cached_property
    def votes(self) -> np.ndarray:
        """How many voters chose each project (int64, in project order)."""
        per_vote = np.repeat(self.ballot_counts, np.diff(self.ballot_starts))
        votes = np.zeros(len(self.projects), dtype=np.int64)
        np.add.at(votes, self.ballot_projects, per_vote)
        return votes

    @cached_property
    def supporters(self) -> tuple[np.ndarray, np.ndarray]:
        """For each project, the distinct ballots that chose it, as (starts, ballot numbers):
        project p's are `ballot_numbers[starts[p]:starts[p + 1]]`."""
        ballot_of_vote = np.repeat(
            np.arange(len(self.ballot_counts), dtype=np.int64), np.diff(self.ballot_starts)
        )
        order = np.argsort(self.ballot_projects, kind="stable")
        starts = np.zeros(len(self.projects) + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.ballot_projects, minlength=len(self.projects)), out=starts[1:])
        return starts, ballot_of_vote[order]

    @cached_property
    def exact_costs(self) -> tuple[Fraction, ...]:
        return tuple(Fraction(project.cost) for project in self.projects)

    def ballots(self) -> Iterable[tuple[tuple[str, ...], int]]:
        """Each distinct ballot as (project ids, how many voters cast it), in canonical order."""
        ids = [project.id for project in self.projects]
        starts, chosen = self.ballot_starts, self.ballot_projects
        for group, count in enumerate(self.ballot_counts.tolist()):
            positions = chosen[starts[group] : starts[group + 1]].tolist()
            yield tuple(ids[position] for position in positions), count

    def __eq__(self, other) -> bool:
        if not isinstance(other, Election):
            return NotImplemented
        return (
            self.projects == other.projects
            and self.budget == other.budget
            and np.array_equal(self.ballot_starts, other.ballot_starts)
            and np.array_equal(self.ballot_projects, other.ballot_projects)
            and np.array_equal(self.ballot_counts, other.ballot_counts)
        )

    __hash__ = None

    def __repr__(self) -> str:
        return (
            f"<Election: {len(self.projects)} projects, budget {self.budget}, "
            f"{self.voters} voters, {len(self.ballot_counts)} distinct ballots>"
        )


def _check_positions(positions: np.ndarray, project_count: int) -> None:
    if len(positions) and (positions.min() < 0 or positions.max() >= project_count):
        raise ValueError(f"project positions must lie between 0 and {project_count - 1}")


def _distinct_ballots(
    starts: np.ndarray, chosen: np.ndarray, counts: np.ndarray, project_count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group equal ballots: each ballot becomes a bit set (one bit a project, in 64-bit words),
    equal bit sets are found by sorting them as raw bytes, and each distinct ballot keeps its
    projects in ascending order. Ballots cast by nobody are dropped."""
    ballots = len(counts)
    words = max(1, -(-project_count // 64))
    voter = np.repeat(np.arange(ballots, dtype=np.int64), np.diff(starts))
    bits = np.zeros(ballots * words, dtype=np.uint64)
    np.bitwise_or.at(
        bits,
        voter * words + chosen // 64,
        np.left_shift(np.uint64(1), (chosen % 64).astype(np.uint64)),
    )
    rows = (
        np.ascontiguousarray(bits.reshape(ballots, words))
        .view(np.dtype((np.void, 8 * words)))
        .ravel()
    )
    distinct, group_of = np.unique(rows, return_inverse=True)
    group_counts = np.zeros(len(distinct), dtype=np.int64)
    np.add.at(group_counts, group_of.ravel(), counts)
    # The projects of each distinct ballot, read back from its bit set in ascending order.
    distinct_bits = distinct.view(np.uint64).reshape(len(distinct), words)
    group_parts, project_parts = [], []
    for word in range(words):
        column = distinct_bits[:, word]
        for bit in range(64):
            if word * 64 + bit >= project_count:
                break
            has = np.flatnonzero((column >> np.uint64(bit)) & np.uint64(1))
            if len(has):
                group_parts.append(has)
                project_parts.append(np.full(len(has), word * 64 + bit, dtype=np.int32))
    if group_parts:
        groups = np.concatenate(group_parts)
        projects = np.concatenate(project_parts)
        order = np.lexsort((projects, groups))
        groups, projects = groups[order], projects[order]
    else:
        groups = np.zeros(0, dtype=np.int64)
        projects = np.zeros(0, dtype=np.int32)
    kept = group_counts > 0
    if not np.all(kept):
        keep_group = kept[groups]
        renumber = np.cumsum(kept) - 1
        groups, projects = renumber[groups[keep_group]], projects[keep_group]
        group_counts = group_counts[kept]
    new_starts = np.zeros(len(group_counts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(groups, minlength=len(group_counts)), out=new_starts[1:])
    return new_starts, projects.astype(np.int32), group_counts
