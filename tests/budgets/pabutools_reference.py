"""The reference: pabutools 1.2.3 run on the same election as civic, with the same tie-breaking.

Used by the tests and by bench/budgets_results.py. Every ballot becomes one pabutools ballot
(multiplicities expanded), as a council's export would give pabutools.
"""

from __future__ import annotations

from fractions import Fraction

from gmpy2 import mpq
from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance
from pabutools.election import Project as ReferenceProject
from pabutools.rules import (
    completion_by_rule_combination,
    exhaustion_by_budget_increase,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)
from pabutools.tiebreaking import TieBreakingRule

from budgets.allocation import Election


def reference_election(election: Election):
    """(instance, profile, tie_breaking) for pabutools. The tie-breaking is civic's, written here
    from pabutools' own figures: more approvals first, then the lower cost, then ballot order."""
    projects = [ReferenceProject(project.id, exact(project.cost)) for project in election.projects]
    instance = Instance(projects, budget_limit=exact(election.budget))
    ballots = []
    for project_ids, count in election.ballots():
        chosen = [projects[election.index[project_id]] for project_id in project_ids]
        ballots.extend(ApprovalBallot(chosen) for _ in range(count))
    profile = ApprovalProfile(ballots)
    place = {project.name: position for position, project in enumerate(projects)}
    # Counted once here rather than by profile.approval_score() at every tie, which reads every
    # ballot each time: the bench measures the rules, not the tie-breaking's bookkeeping.
    scores = {project.name: score for project, score in profile.approval_scores().items()}

    def key(instance, profile, project):
        return (-scores.get(project.name, 0), project.cost, place[project.name])

    return instance, profile, TieBreakingRule(key)


def exact(amount) -> mpq:
    """An amount as pabutools holds one read from a file: a gmpy2 fraction."""
    amount = Fraction(amount)
    return mpq(amount.numerator, amount.denominator)


def reference_winners(election: Election, method: str, *, prepared=None) -> list[str]:
    """pabutools' winners, in the order it funded them, for "greedy", "equal_shares",
    "equal_shares_greedy" or "equal_shares_raised"."""
    instance, profile, tie_breaking = prepared or reference_election(election)
    mes = {"sat_class": Cost_Sat, "tie_breaking": tie_breaking}
    if method == "greedy":
        outcome = greedy_utilitarian_welfare(instance, profile, **mes)
    elif method == "equal_shares":
        outcome = method_of_equal_shares(instance, profile, **mes)
    elif method == "equal_shares_greedy":
        outcome = completion_by_rule_combination(
            instance,
            profile,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [dict(mes), dict(mes)],
        )
    elif method == "equal_shares_raised":
        outcome = exhaustion_by_budget_increase(
            instance, profile, method_of_equal_shares, dict(mes)
        )
    else:
        raise ValueError(method)
    return [project.name for project in outcome]
