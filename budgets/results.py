"""A process's results: worked out once voting closes, stored per budget, and read back for the
results page, the JSON, the API and building the winning projects.

    results_sweep(now=)                   the beat task's work: every published process whose
                                          voting has closed and that has a budget without a result
    process_results_compute(process_id=)  one process's missing results (a worker, no officer)
    results_recompute(actor=, process=)   every budget's result again, for an officer (audited)
    process_results(process)              the stored results, ready to show (two queries)
    funded_ideas(process) -> list[Idea]   the winners under the method the process chose

Each budget's election is read with `budgets.tally.budget_election` (three queries, arrays, no
Python object per ballot) and counted by both methods of `budgets.allocation`: greedy, and the
Method of Equal Shares completed as the process chose. The figures are stored as the
`allocation.Result` they came from (`BudgetResult.figures`), and turned back into `Result`s to
be worded by `budgets.allocation.wording` in the reader's language.

Safe to run twice and from two workers at once: a process's results are worked out inside one
transaction that holds its row (`select_for_update(skip_locked=True)`), so a second worker passes
over a process the first is counting, and finds nothing left to do once it has committed; a
worker that dies mid-way rolls back everything it wrote, and the next sweep starts that process
again. `BudgetResult.budget` is unique besides, so a result can never be stored twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from budgets.allocation import (
    Completion,
    Method,
    Project,
    ProjectResult,
    Reason,
    Result,
    equal_shares,
    greedy,
    money,
)
from budgets.allocation.wording import explain, summary
from budgets.delivery import Followed, delivery_follow
from budgets.models import Ballot, BallotChoice, Budget, BudgetResult, Idea, Process
from budgets.tally import ballot_ideas, budget_election
from civic.models import AuditEntry, User
from civic.services import audit_record, require

logger = logging.getLogger(__name__)

# The raised-budget completion stops after this many 1% steps (the budget raised a hundredfold):
# far beyond any real election's, and short of pabutools' bound of 100 steps per voter, which an
# election with a costly project chosen by very few voters could run towards for hours. The page
# says so when it is reached (`Result.raises_capped`).
MAX_RAISES = 10_000

COMPLETIONS = {
    Process.Completion.GREEDY: Completion.GREEDY,
    Process.Completion.RAISE_BUDGET: Completion.RAISED_BUDGET,
}
CHANNELS = [str(channel) for channel in Ballot.Channel]
RECOMPUTE = "budgets.recompute_results"


def completion_of(process: Process) -> Completion:
    """How the process completes equal shares, in the terms of budgets.allocation."""
    return COMPLETIONS[Process.Completion(process.completion)]


# Working the results out ------------------------------------------------------------------------


def budget_figures(budget: Budget, *, completion: Completion) -> dict:
    """A budget's result as the document `BudgetResult.figures` stores: five queries (the
    ballot paper, the votes, the empty ballots, and the votes and voters by channel)."""
    ideas = ballot_ideas(budget)
    election, _ideas = budget_election(budget, ideas=ideas)
    results = {
        "greedy": greedy(election),
        "equal_shares": equal_shares(election, completion=completion, max_raises=MAX_RAISES),
    }
    votes_by_channel: dict[int, dict[str, int]] = {idea.pk: {} for idea in ideas}
    rows = (
        BallotChoice.objects.filter(ballot__budget=budget, idea__in=ideas)
        .values_list("idea_id", "ballot__channel")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for idea_id, channel, count in rows:
        votes_by_channel[idea_id][channel] = count
    voters_by_channel = dict(
        Ballot.objects.filter(budget=budget)
        .values_list("channel")
        .annotate(count=Count("pk"))
        .order_by()
    )
    votes = election.votes.tolist()
    return {
        "budget": budget.amount,
        "voters": election.voters,
        "voters_by_channel": {channel: voters_by_channel.get(channel, 0) for channel in CHANNELS},
        "projects": [
            {
                "idea": idea.pk,
                "cost": idea.cost,
                "votes": votes[position],
                "votes_by_channel": {
                    channel: votes_by_channel[idea.pk].get(channel, 0) for channel in CHANNELS
                },
            }
            for position, idea in enumerate(ideas)
        ],
        "methods": {name: result_data(result) for name, result in results.items()},
    }


def _unresulted(budgets):
    return budgets.filter(~Exists(BudgetResult.objects.filter(budget=OuterRef("pk"))))


def _closed(now: datetime):
    return Process.objects.published().filter(voting_closes_at__lte=now)


def results_sweep(*, now: datetime | None = None) -> int:
    """Work out the results of every process whose voting has closed and that has a budget
    without one, each process in a transaction of its own; how many budgets were worked out.

    A process whose count fails (its data broken, say) rolls back alone and is logged with its
    number; the others are still counted, and the next sweep tries it again."""
    now = now or timezone.now()
    waiting = (
        _closed(now)
        .filter(Exists(_unresulted(Budget.objects.filter(process=OuterRef("pk")))))
        .order_by("voting_closes_at", "pk")
        .values_list("pk", flat=True)
    )
    computed = 0
    for pk in list(waiting):
        try:
            computed += process_results_compute(process_id=pk, now=now)
        except Exception:
            logger.exception("Could not work out the results of budget process #%s", pk)
    return computed


@transaction.atomic
def process_results_compute(*, process_id: int, now: datetime | None = None) -> int:
    """One process's missing results, by the platform once voting has closed; how many budgets
    were worked out (0 if another worker holds the process, or nothing is missing)."""
    now = now or timezone.now()
    process = _closed(now).select_for_update(skip_locked=True, of=("self",))
    process = process.filter(pk=process_id).first()
    if process is None:
        return 0
    computed, _followed = _compute(
        process, _unresulted(Budget.objects.filter(process=process)), now=now
    )
    return computed


@transaction.atomic
def results_recompute(*, actor: User, process: Process, now: datetime | None = None) -> int:
    """Every budget's result of the process worked out again from the ballots, for an officer
    of its department (after paper ballots were keyed in late, say). Only once voting has
    closed; waits for a worker counting the same process. Audited."""
    require(actor, RECOMPUTE, process, message=_("You do not run this budget process."))
    now = now or timezone.now()
    locked = Process.objects.select_for_update(of=("self",)).filter(pk=process.pk).first()
    if locked is None or not locked.voting_closed(now):
        raise ValidationError(
            _("The results can be worked out once the process is published and voting has closed.")
        )
    BudgetResult.objects.filter(budget__process=locked).delete()
    computed, followed = _compute(locked, Budget.objects.filter(process=locked), now=now)
    changes = [f"{computed} budgets"]
    if followed.removed:
        changes.append(f"{len(followed.removed)} planned projects that no longer win removed")
    if followed.kept:
        changes.append(
            f"{len(followed.kept)} projects under way that no longer win kept for a decision"
        )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EDIT,
        obj=locked,
        summary=f"Worked out the results again ({', '.join(changes)})",
    )
    return computed


def _compute(process: Process, budgets, *, now: datetime) -> tuple[int, Followed]:
    completion = completion_of(process)
    rows = []
    for budget in budgets.order_by("pk"):
        figures = budget_figures(budget, completion=completion)
        rows.append(
            BudgetResult(budget=budget, voters=figures["voters"], figures=figures, computed_at=now)
        )
    BudgetResult.objects.bulk_create(rows)
    # The winners under the process's method become projects to build, and those who asked to
    # hear are told; a planned project whose idea no longer wins is removed, one under way kept
    # for the officers (budgets.delivery; a winner already planned is left as it is).
    followed = delivery_follow(process=process, ideas=funded_ideas(process), now=now)
    return len(rows), followed


# The figures as stored, and back -----------------------------------------------------------------


def _amount(value) -> str | None:
    return None if value is None else str(value)


def result_data(result: Result) -> dict:
    """An `allocation.Result` as JSON: amounts as strings (exact), the projects by id."""
    return {
        "method": str(result.method),
        "budget": _amount(result.budget),
        "voters": result.voters,
        "funded": list(result.funded),
        "spent": _amount(result.spent),
        "left": _amount(result.left),
        "voter_share": _amount(result.voter_share),
        "raised_budget": _amount(result.raised_budget),
        "raises": result.raises,
        "raises_capped": result.raises_capped,
        "projects": [
            {
                "id": outcome.project.id,
                "votes": outcome.votes,
                "funded": outcome.funded,
                "reason": str(outcome.reason),
                "position": outcome.position,
                "left_before": _amount(outcome.left_before),
                "share": _amount(outcome.share),
                "payers": outcome.payers,
                "payers_all_left": outcome.payers_all_left,
                "shares_left": _amount(outcome.shares_left),
            }
            for outcome in result.projects
        ],
    }


def _money(value) -> int | Decimal | None:
    return None if value is None else money(value)


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def result_from_data(data: dict, projects: dict[str, Project]) -> Result:
    """The `allocation.Result` stored by `result_data`, to be worded again."""
    return Result(
        method=Method(data["method"]),
        budget=money(data["budget"]),
        voters=data["voters"],
        funded=tuple(data["funded"]),
        spent=money(data["spent"]),
        left=money(data["left"]),
        voter_share=_decimal(data["voter_share"]),
        raised_budget=_money(data["raised_budget"]),
        raises=data["raises"],
        raises_capped=data["raises_capped"],
        projects=tuple(
            ProjectResult(
                project=projects[row["id"]],
                votes=row["votes"],
                funded=row["funded"],
                reason=Reason(row["reason"]),
                position=row["position"],
                left_before=_money(row["left_before"]),
                share=_decimal(row["share"]),
                payers=row["payers"],
                payers_all_left=row["payers_all_left"],
                shares_left=_decimal(row["shares_left"]),
            )
            for row in data["projects"]
        ),
    )


# Reading the results -----------------------------------------------------------------------------


@dataclass
class ProjectLine:
    """One project of a budget's result: its idea, votes, and its outcome under each method."""

    idea: Idea
    cost: int
    votes: int
    votes_by_channel: dict[str, int]
    greedy: ProjectResult
    equal_shares: ProjectResult
    greedy_words: str = ""
    equal_shares_words: str = ""

    def outcome(self, method: str) -> ProjectResult:
        return self.equal_shares if method == Process.Method.EQUAL_SHARES else self.greedy


@dataclass
class BudgetLines:
    """One budget's stored result, ready to show."""

    budget: Budget
    stored: BudgetResult
    voters: int
    voters_by_channel: dict[str, int]
    greedy: Result
    equal_shares: Result
    projects: list[ProjectLine] = field(default_factory=list)
    chosen_method: str = Process.Method.EQUAL_SHARES

    @property
    def chosen(self) -> Result:
        if self.chosen_method == Process.Method.EQUAL_SHARES:
            return self.equal_shares
        return self.greedy

    @property
    def funded(self) -> list[ProjectLine]:
        """The winners under the process's method, in the order they were funded."""
        by_id = {str(line.idea.pk): line for line in self.projects}
        return [by_id[project_id] for project_id in self.chosen.funded]

    @property
    def channel_rows(self) -> list[tuple[str, int]]:
        """Each channel's label and its number of voters, in the page's order."""
        labels = dict(Ballot.Channel.choices)
        return [(labels[channel], count) for channel, count in self.voters_by_channel.items()]

    @property
    def greedy_summary(self) -> str:
        return summary(self.greedy)

    @property
    def equal_shares_summary(self) -> str:
        return summary(self.equal_shares)

    @property
    def differ(self) -> bool:
        return set(self.greedy.funded) != set(self.equal_shares.funded)


def _in_order(counts: dict[str, int]) -> dict[str, int]:
    """Counts by channel in the order the page shows them (PostgreSQL keeps JSON keys sorted)."""
    return {channel: counts.get(channel, 0) for channel in CHANNELS}


def process_results(process: Process, *, words: bool = True) -> list[BudgetLines]:
    """The process's stored results, per budget (citywide first, then by area name): two
    queries whatever the number of budgets and projects. Empty before they are worked out."""
    stored = list(
        BudgetResult.objects.of_process(process).select_related("budget__area").order_by("pk")
    )
    idea_ids = [row["idea"] for result in stored for row in result.figures["projects"]]
    ideas = {
        idea.pk: idea
        for idea in Idea.objects.filter(pk__in=idea_ids).select_related("category", "budget__area")
    }
    lines = []
    for result in sorted(
        stored, key=lambda result: (result.budget.area_id is not None, result.budget.name)
    ):
        figures = result.figures
        result.budget.process = process
        projects = {
            str(row["idea"]): Project(id=str(row["idea"]), cost=row["cost"])
            for row in figures["projects"]
        }
        methods = {
            name: result_from_data(data, projects) for name, data in figures["methods"].items()
        }
        budget_lines = BudgetLines(
            budget=result.budget,
            stored=result,
            voters=figures["voters"],
            voters_by_channel=_in_order(figures["voters_by_channel"]),
            greedy=methods["greedy"],
            equal_shares=methods["equal_shares"],
            chosen_method=process.method,
        )
        for position, row in enumerate(figures["projects"]):
            line = ProjectLine(
                idea=ideas[row["idea"]],
                cost=row["cost"],
                votes=row["votes"],
                votes_by_channel=_in_order(row["votes_by_channel"]),
                greedy=methods["greedy"].projects[position],
                equal_shares=methods["equal_shares"].projects[position],
            )
            if words:
                line.greedy_words = explain(line.greedy)
                line.equal_shares_words = explain(line.equal_shares)
            budget_lines.projects.append(line)
        lines.append(budget_lines)
    return lines


def funded_ideas(process: Process) -> list[Idea]:
    """The winning projects under the method the process chose, from the stored results: per
    budget (citywide first, then by area name), in the order they were funded. Empty until the
    results are worked out. For building the projects (budgets.delivery)."""
    return [line.idea for budget in process_results(process, words=False) for line in budget.funded]
