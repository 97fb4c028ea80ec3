"""How a budget's results are worked out: greedy by votes, and the Method of Equal Shares.

Both give the same winners as pabutools 1.2.3, the research reference, which the tests check on
generated elections and on a real Pabulib file:

- `greedy`: pabutools' `greedy_utilitarian_welfare` with `sat_class=Cost_Sat` (a project's
  total satisfaction divided by its cost is its number of votes). Projects are taken in order of
  votes; each is funded if its cost fits in what is left, and skipped if not. A project nobody
  chose comes last and is funded only if money is left over for it, as in pabutools.
- `equal_shares(completion=Completion.NONE)`: `method_of_equal_shares` with `Cost_Sat`. Each
  voter starts with an equal share of the amount (the amount divided by the number of voters,
  empty ballots included). In each round, for every project still affordable, the smallest price
  per pound of cost (rho) is found at which its voters can pay for it between them, each paying
  rho x cost or all they have left if that is less; the project with the lowest rho is funded
  and its voters pay. It stops when no project's voters have enough left between them.
- `Completion.GREEDY`: `completion_by_rule_combination` with MES then greedy (both `Cost_Sat`):
  the money equal shares left unspent goes to the projects it did not fund, in greedy's order.
- `Completion.RAISED_BUDGET`: `exhaustion_by_budget_increase` with MES and pabutools' defaults:
  equal shares is run again with the amount raised in steps of 1% of the real amount (so each
  voter's share grows by the same step), until a run's winners are exhaustive (no project left
  out fits in the real amount's remainder), which is the result, or would cost more than the
  real amount, in which case the previous run's winners are the result. pabutools' bound (the
  amount times the number of voters plus one) limits the steps.

Ties are broken the same way everywhere: **more votes first, then the lower cost, then the
project's place on the ballot paper** (the order of `Election.projects`). It decides greedy's
order among projects with as many votes, and which project equal shares funds when two have
the same rho. The tests give pabutools the same order as a `TieBreakingRule`; pabutools' own
default (by project name as a string) is not used, because names like "10" and "9" would sort
in an order nobody would expect.

The arithmetic: pabutools computes MES in exact fractions; civic computes it in floating point
over numpy arrays, with the distinct ballots standing for all who cast them. Two values of rho
that differ by less than one part in 10^9 count as tied, and a project counts as affordable when
its voters' money falls short of its cost by less than that, so that rounding never decides a
tie that is exact in fractions. Costs, the amount, what is spent and what is left are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

import numpy as np

from budgets.allocation.election import Election, Money, Project

TOLERANCE = 1e-9
"""Relative difference under which two prices (rho) tie, and money counts as enough."""

RAISE_STEPS_PER_BUDGET = 100
"""The raised-budget completion adds 1/100 of the amount at each step (pabutools' default)."""


class Method(StrEnum):
    GREEDY = "greedy"
    EQUAL_SHARES = "equal_shares"
    EQUAL_SHARES_GREEDY = "equal_shares_greedy"
    EQUAL_SHARES_RAISED = "equal_shares_raised"


class Completion(StrEnum):
    """What happens to the money equal shares leaves unspent."""

    NONE = "none"
    GREEDY = "greedy"
    RAISED_BUDGET = "raised_budget"


class Reason(StrEnum):
    """Why a project was or was not funded; `budgets.allocation.wording` puts it in words."""

    FITTED = "fitted"
    """Greedy funded it: its cost fitted in what was left when its turn came."""
    SHARED = "shared"
    """Equal shares funded it: its voters paid for it from their shares."""
    COMPLETED = "completed"
    """Funded from the money equal shares left, in greedy's order."""
    TOO_EXPENSIVE = "too_expensive"
    """Not funded: when its turn came it cost more than what was left."""
    SHARES_SHORT = "shares_short"
    """Not funded by equal shares: its voters had less left of their shares than it costs."""
    NO_VOTES = "no_votes"
    """Not funded by equal shares: nobody chose it."""


@dataclass(frozen=True)
class ProjectResult:
    """One project's outcome under one method, with the figures that explain it."""

    project: Project
    votes: int
    funded: bool
    reason: Reason
    position: int | None = None
    """1 for the first project funded, 2 for the next, ...; None if not funded."""
    left_before: Money | None = None
    """Greedy and the greedy completion: the money left when the project's turn came."""
    share: Decimal | None = None
    """Equal shares, funded: what each of its voters paid who could pay the full share."""
    payers: int | None = None
    """Equal shares, funded: how many of its voters paid towards it."""
    payers_all_left: int | None = None
    """Equal shares, funded: of the payers, how many paid all they had left (less than share)."""
    shares_left: Decimal | None = None
    """Equal shares, not funded: what its voters had left of their shares between them."""


@dataclass(frozen=True)
class Result:
    """The outcome of one method for one budget."""

    method: Method
    budget: Money
    voters: int
    funded: tuple[str, ...]
    """The ids of the funded projects, in the order they were funded."""
    spent: Money
    left: Money
    projects: tuple[ProjectResult, ...]
    """Every project, in ballot-paper order."""
    voter_share: Decimal | None = None
    """Equal shares: each voter's share at the start (after raising, for the raised budget)."""
    raised_budget: Money | None = None
    """Raised budget: the amount shared out in the run whose winners count."""
    raises: int | None = None
    """Raised budget: how many 1% steps that amount is above the real one."""
    raises_capped: bool = False
    """Raised budget: the steps stopped at `max_raises`, before pabutools would have stopped."""

    def project(self, project_id: str) -> ProjectResult:
        for result in self.projects:
            if result.project.id == project_id:
                return result
        raise KeyError(project_id)


def tie_order(election: Election) -> list[int]:
    """Project positions from first to last: more votes, then lower cost, then ballot order.

    This is greedy's order, and the order that settles every tie under equal shares.
    """
    votes = election.votes.tolist()
    costs = election.exact_costs
    return sorted(range(len(election.projects)), key=lambda p: (-votes[p], costs[p], p))


def greedy(election: Election) -> Result:
    """Projects in order of votes, each funded if it fits in what is left."""
    votes = election.votes.tolist()
    left: Money = election.budget
    outcomes: dict[int, ProjectResult] = {}
    funded: list[str] = []
    for position in tie_order(election):
        project = election.projects[position]
        if project.cost <= left:
            funded.append(project.id)
            outcomes[position] = ProjectResult(
                project, votes[position], True, Reason.FITTED, len(funded), left_before=left
            )
            left -= project.cost
        else:
            outcomes[position] = ProjectResult(
                project, votes[position], False, Reason.TOO_EXPENSIVE, left_before=left
            )
    return Result(
        method=Method.GREEDY,
        budget=election.budget,
        voters=election.voters,
        funded=tuple(funded),
        spent=election.budget - left,
        left=left,
        projects=tuple(outcomes[position] for position in range(len(election.projects))),
    )


def equal_shares(
    election: Election,
    *,
    completion: Completion = Completion.GREEDY,
    max_raises: int | None = None,
) -> Result:
    """The Method of Equal Shares with cost utilities, completed as chosen.

    `max_raises` caps the number of 1% steps of the raised-budget completion below pabutools'
    bound (100 steps per voter); None keeps pabutools' bound. Most elections stop within a few
    hundred steps, but one where a costly project that still fits is chosen by very few voters
    keeps raising until their shares can pay for it, which pabutools follows up to its bound:
    a results worker should pass a cap, and `Result.raises_capped` says when it was reached.
    """
    completion = Completion(completion)
    if completion is Completion.RAISED_BUDGET:
        return _equal_shares_raised(election, max_raises=max_raises)
    voters = election.voters
    run = _equal_shares_run(election, Fraction(election.budget) / voters) if voters else None
    if completion is Completion.NONE:
        return _equal_shares_result(election, Method.EQUAL_SHARES, run)
    return _completed_by_greedy(election, run)


# Equal shares ------------------------------------------------------------------------------------


@dataclass
class _Run:
    """One run of equal shares at one share per voter."""

    voter_share: Fraction
    selected: list[int]
    shares: list[float]
    payers: list[int]
    payers_all_left: list[int]
    budgets: np.ndarray
    """Each distinct ballot's voters' money left at the end (per voter)."""


def _equal_shares_run(election: Election, voter_share: Fraction) -> _Run:
    """Equal shares from `voter_share` each. A project's rho never falls as voters spend, so
    each round recomputes only the projects whose last rho is not above the best found so far
    (lazy evaluation); the others cannot win the round."""
    supporter_starts, supporters = election.supporters
    weights = election.ballot_counts.astype(np.float64)
    costs = np.array([float(cost) for cost in election.exact_costs], dtype=np.float64)
    votes = election.votes
    rank = np.empty(len(election.projects), dtype=np.int64)
    rank[tie_order(election)] = np.arange(len(election.projects))
    budgets = np.full(len(weights), float(voter_share), dtype=np.float64)
    active = votes > 0
    lowest_rho = np.full(len(election.projects), np.inf)
    lowest_rho[active] = 1.0 / votes[active]
    run = _Run(voter_share, [], [], [], [], budgets)
    while True:
        candidates = np.flatnonzero(active)
        if not len(candidates):
            break
        candidates = candidates[np.argsort(lowest_rho[candidates], kind="stable")]
        best = np.inf
        computed: list[tuple[float, int, float]] = []
        for project in candidates.tolist():
            if lowest_rho[project] > best * (1 + TOLERANCE):
                break
            groups = supporters[supporter_starts[project] : supporter_starts[project + 1]]
            money = budgets[groups]
            weight = weights[groups]
            cost = costs[project]
            if money @ weight < cost * (1 - TOLERANCE):
                active[project] = False  # its voters can no longer pay for it, now or later
                continue
            rho, share = _price(money, weight, cost, float(votes[project]))
            lowest_rho[project] = rho
            computed.append((rho, project, share))
            best = min(best, rho)
        if not computed:
            break
        _rank, winner, share = min(
            (rank[project], project, share)
            for rho, project, share in computed
            if rho <= best * (1 + TOLERANCE)
        )
        groups = supporters[supporter_starts[winner] : supporter_starts[winner + 1]]
        money = budgets[groups]
        weight = weights[groups]
        has_money = money > 0
        run.selected.append(winner)
        run.shares.append(share)
        run.payers.append(int(weight[has_money].sum()))
        run.payers_all_left.append(int(weight[has_money & (money < share)].sum()))
        budgets[groups] = money - np.minimum(money, share)
        active[winner] = False
    return run


def _price(
    money: np.ndarray, weight: np.ndarray, cost: float, voters: float
) -> tuple[float, float]:
    """The least rho at which these voters can pay `cost` between them, each paying rho x cost
    or all they have left if less, and that equal share (rho x cost). The caller has checked
    that their money covers the cost."""
    if money.min() * voters >= cost:
        # Everyone can pay an equal part: rho is 1 / voters, written so that projects with as
        # many voters get the very same float whatever they cost.
        return cost / (cost * voters), cost / voters
    order = np.argsort(money)
    money, weight = money[order], weight[order]
    paid = money * weight
    paid_before = np.cumsum(paid) - paid
    still_paying = voters - (np.cumsum(weight) - weight)
    shares = (cost - paid_before) / still_paying
    fits = shares <= money
    first = int(np.argmax(fits)) if fits.any() else len(money) - 1
    rho = (cost - paid_before[first]) / (cost * still_paying[first])
    return float(rho), float(shares[first])


def _equal_shares_result(
    election: Election,
    method: Method,
    run: _Run | None,
    *,
    raised_budget: Fraction | None = None,
    raises: int | None = None,
    raises_capped: bool = False,
) -> Result:
    votes = election.votes.tolist()
    selected = run.selected if run else []
    by_position: dict[int, ProjectResult] = {}
    for order, position in enumerate(selected):
        by_position[position] = ProjectResult(
            election.projects[position],
            votes[position],
            True,
            Reason.SHARED,
            order + 1,
            share=_pence(run.shares[order]),
            payers=run.payers[order],
            payers_all_left=run.payers_all_left[order],
        )
    for position, project in enumerate(election.projects):
        if position not in by_position:
            by_position[position] = _not_shared(election, run, position, project, votes[position])
    spent = sum((election.projects[position].cost for position in selected), 0)
    return Result(
        method=method,
        budget=election.budget,
        voters=election.voters,
        funded=tuple(election.projects[position].id for position in selected),
        spent=spent,
        left=election.budget - spent,
        projects=tuple(by_position[position] for position in range(len(election.projects))),
        voter_share=_pence(float(run.voter_share)) if run else None,
        raised_budget=_exact_money(raised_budget) if raised_budget is not None else None,
        raises=raises,
        raises_capped=raises_capped,
    )


def _not_shared(
    election: Election, run: _Run | None, position: int, project: Project, votes: int, **extra
) -> ProjectResult:
    if votes == 0 or run is None:
        return ProjectResult(project, votes, False, Reason.NO_VOTES, **extra)
    supporter_starts, supporters = election.supporters
    groups = supporters[supporter_starts[position] : supporter_starts[position + 1]]
    shares_left = float(run.budgets[groups] @ election.ballot_counts[groups].astype(np.float64))
    return ProjectResult(
        project, votes, False, Reason.SHARES_SHORT, shares_left=_pence(shares_left), **extra
    )


def _completed_by_greedy(election: Election, run: _Run | None) -> Result:
    base = _equal_shares_result(election, Method.EQUAL_SHARES_GREEDY, run)
    left = base.left
    funded = list(base.funded)
    outcomes = list(base.projects)
    for position in tie_order(election):
        outcome = outcomes[position]
        if outcome.funded:
            continue
        project = outcome.project
        if project.cost <= left:
            funded.append(project.id)
            outcomes[position] = ProjectResult(
                project, outcome.votes, True, Reason.COMPLETED, len(funded), left_before=left
            )
            left -= project.cost
        else:
            outcomes[position] = ProjectResult(
                project,
                outcome.votes,
                False,
                Reason.TOO_EXPENSIVE,
                left_before=left,
                shares_left=outcome.shares_left,
            )
    return Result(
        method=base.method,
        budget=base.budget,
        voters=base.voters,
        funded=tuple(funded),
        spent=election.budget - left,
        left=left,
        projects=tuple(outcomes),
        voter_share=base.voter_share,
    )


def _equal_shares_raised(election: Election, *, max_raises: int | None) -> Result:
    voters = election.voters
    budget = Fraction(election.budget)
    costs = election.exact_costs
    if voters == 0:
        return _equal_shares_result(election, Method.EQUAL_SHARES_RAISED, None, raises=0)
    supported = set(np.flatnonzero(election.votes > 0).tolist())
    fits_whole = sum((costs[position] for position in supported), Fraction(0)) <= budget
    bound = RAISE_STEPS_PER_BUDGET * voters  # pabutools' bound: the amount x (voters + 1)
    last_step = bound if max_raises is None else max(0, min(bound, max_raises))
    capped = False
    previous: tuple[_Run, int] | None = None
    for step in range(last_step + 1):
        run = _equal_shares_run(election, _raised(budget, step) / voters)
        spent = sum((costs[position] for position in run.selected), Fraction(0))
        # The first run cannot overspend (the shares add up to the amount); only a raised one can.
        if step > 0 and spent > budget:
            break
        previous = (run, step)
        chosen = set(run.selected)
        exhaustive = all(
            costs[position] > budget - spent
            for position in range(len(election.projects))
            if position not in chosen
        )
        if exhaustive:
            break
        if fits_whole and chosen == supported:
            # Every project anyone chose fits in the amount and is funded, yet one nobody chose
            # still fits: no step can be exhaustive or overspend, so pabutools raises to its
            # bound. Its last run funds the same projects, in an order of its own: go there.
            if step < last_step:
                previous = (
                    _equal_shares_run(election, _raised(budget, last_step) / voters),
                    last_step,
                )
            break
    else:
        capped = last_step < bound
    run, step = previous
    return _equal_shares_result(
        election,
        Method.EQUAL_SHARES_RAISED,
        run,
        raised_budget=_raised(budget, step),
        raises=step,
        raises_capped=capped,
    )


def _raised(budget: Fraction, step: int) -> Fraction:
    return budget * (RAISE_STEPS_PER_BUDGET + step) / RAISE_STEPS_PER_BUDGET


def _pence(amount: float) -> Decimal:
    return Decimal(f"{amount:.2f}")


def _exact_money(amount: Fraction) -> Money:
    if amount.denominator == 1:
        return amount.numerator
    return Decimal(amount.numerator) / Decimal(amount.denominator)
