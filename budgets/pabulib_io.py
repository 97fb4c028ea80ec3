"""A budget's election exchanged as a Pabulib `.pb` file (pabulib.org/format), the format
researchers share real participatory budgets in: exported from the results once voting has
closed, and imported into a process so that a real election can be replayed and compared.

    election_text(process, budget)      the budget's election as the text of a `.pb` file
    election_file(process, budget)      the same for the download, drawn once per count and kept
                                        in the cache (election_files_forget after an erasure)
    election_filename(process, budget)  the name a download of it takes
    import_refusal(process, budget)     why a file cannot be imported into the budget now, or None
    election_import(actor=, process=, budget=, file=)
                                        the file's projects on the budget's ballot and its voters'
                                        ballots counted as paper ballots, in one transaction

The file itself is read and written by budgets.allocation.pabulib; this module is the part that
knows the database. An export never names a voter: voters are numbered 1, 2, 3, ... in an order
that says nothing about who voted when, and nothing else about them is written. An import refuses
a file with any error, naming the line where there is one, and then changes nothing.

An import sets the budget's amount and how it is voted from the file's META section: a file that
limits what the chosen projects cost (max_sum_cost, min_sum_cost) is "choose projects up to the
amount", with the least share a ballot must spend from min_sum_cost (rounded down to a whole per
cent); any other is "choose a number of projects", with min_length and max_length (choose-1 is at
most one). Every vote line is checked against those limits, and against the file's own where
civic cannot hold one (a min_length beside a cost limit; a max_sum_cost below the budget); a vote
costing more than the budget is refused too, since civic's ballots spend up to the amount.

Where a file can go: into a budget that has no projects and no ballots yet (so an election is
never mixed with residents' own ideas and votes, and importing a file twice is refused), of a
process that is a draft (set up to replay a real election) or whose voting has closed (a vote
held elsewhere, counted here). While a published process takes ideas or votes, residents are
taking part in it, and a file cannot go in.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from budgets.allocation import (
    Election,
    PabulibError,
    Project,
    money,
    pabulib_text,
    read_pabulib_text,
)
from budgets.allocation.pabulib import BallotLimits, ballot_limits
from budgets.models import Ballot, Budget, BudgetResult, Category, Idea, Process
from budgets.tally import budget_election
from civic.models import AuditEntry, User
from civic.services import audit_record, require

IMPORT = "budgets.import_election"
COUNTRY = "United Kingdom"
# Pabulib's names for the rules; how equal shares spends what it leaves goes in a key of its own.
RULES = {Process.Method.GREEDY: "greedy", Process.Method.EQUAL_SHARES: "equalshares"}
COMPLETIONS = {
    Process.Completion.GREEDY: "greedy",
    Process.Completion.RAISE_BUDGET: "budget_increase",
}
# Rows in one INSERT: a 100,000-voter file is a few dozen statements, never one per ballot.
CHUNK = 5_000
TITLE_LIMIT = Idea._meta.get_field("title").max_length
DESCRIPTION_LIMIT = Idea._meta.get_field("description").max_length
CATEGORY_LIMIT = Category._meta.get_field("name").max_length
BATCH_LIMIT = Ballot._meta.get_field("paper_batch").max_length
MAX_AMOUNT = 2_147_483_647  # the largest PositiveIntegerField PostgreSQL holds
MAX_PROJECTS = 32_767  # the largest PositiveSmallIntegerField PostgreSQL holds
FILE_SECONDS = 3600  # how long a drawn `.pb` file is kept for its downloads


# Export -----------------------------------------------------------------------------------------


def exportable(process: Process, now: datetime | None = None) -> bool:
    """Whether a process's elections may be downloaded: published, and voting closed."""
    return process.status == Process.Status.PUBLISHED and process.voting_closed(now)


def _pabulib_date(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y") if moment else ""


def election_meta(process: Process, budget: Budget) -> dict[str, str]:
    """What the META section says about the election besides what is counted from it."""
    meta = {
        "description": f"{process.title}: {budget.name}",
        "country": COUNTRY,
        "unit": process.organisation.name,
    }
    if budget.area_id:
        meta["subunit"] = budget.area.name
    if process.voting_closes_at:
        meta["instance"] = str(timezone.localtime(process.voting_closes_at).year)
    meta["rule"] = RULES[process.method]
    if process.method == Process.Method.EQUAL_SHARES:
        meta["completion"] = COMPLETIONS[process.completion]
    meta["date_begin"] = _pabulib_date(process.voting_opens_at)
    meta["date_end"] = _pabulib_date(process.voting_closes_at)
    # Pabulib writes both styles as approval ballots, with the limits a ballot had to keep to.
    if budget.style == Budget.Style.KNAPSACK:
        if budget.min_spend_percent:
            meta["min_sum_cost"] = str(-(-budget.amount * budget.min_spend_percent // 100))
        meta["max_sum_cost"] = str(budget.amount)
    else:
        if budget.min_projects is not None:
            meta["min_length"] = str(budget.min_projects)
        if budget.max_projects is not None:
            meta["max_length"] = str(budget.max_projects)
    meta["currency"] = "GBP"
    meta["language"] = "english"
    return {key: value for key, value in meta.items() if value}


def election_text(process: Process, budget: Budget) -> str:
    """The budget's election as a `.pb` file: every channel's ballots, voters numbered from 1,
    each project with its name, category, cost and votes."""
    election, ideas = budget_election(budget)
    votes = election.votes.tolist()
    projects = []
    for position, project in enumerate(election.projects):
        category = ideas[project.id].category
        details = {"category": category.name} if category is not None else {}
        details["votes"] = str(votes[position])
        projects.append(
            Project(id=project.id, cost=project.cost, name=project.name, details=details)
        )
    described = Election(
        projects=projects,
        budget=election.budget,
        ballot_starts=election.ballot_starts,
        ballot_projects=election.ballot_projects,
        ballot_counts=election.ballot_counts,
    )
    return pabulib_text(described, meta=election_meta(process, budget))


def election_file(process: Process, budget: Budget) -> str:
    """The budget's `.pb` file for the download, drawn once and kept in the cache for an hour:
    a results day's many downloads cost one drawing (every ballot read) per budget.

    Keyed on when the budget's result was worked out: a recount, or a late paper ballot or an
    import (each removes the result until the worker counts it again), gives a new key, and a
    budget without a result is drawn for each request. The key also holds the META's words (an
    officer's new title for the process shows at once) and the process's version, which an
    erasure moves (`election_files_forget`), so a redacted idea's old title is never served."""
    computed_at = (
        BudgetResult.objects.filter(budget=budget).values_list("computed_at", flat=True).first()
    )
    if computed_at is None:
        return election_text(process, budget)
    meta = json.dumps(election_meta(process, budget), sort_keys=True)
    words = hashlib.sha256(meta.encode()).hexdigest()[:16]
    version = cache.get(_version_key(process.pk), "0")
    key = f"budgets:pabulib:{budget.pk}:{computed_at.timestamp()}:{version}:{words}"
    text = cache.get(key)
    if text is None:
        text = election_text(process, budget)
        cache.set(key, text, FILE_SECONDS)
    return text


def election_files_forget(process_ids) -> None:
    """The processes' kept `.pb` files are drawn again at their next download (their ideas'
    titles changed: an erasure redacted them)."""
    for process_id in set(process_ids):
        cache.set(_version_key(process_id), secrets.token_hex(8), None)


def _version_key(process_id: int) -> str:
    return f"budgets:pabulib-version:{process_id}"


def election_filename(process: Process, budget: Budget) -> str:
    return f"{process.slug}_{slugify(budget.name) or budget.pk}.pb"


# Import -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    budget: Budget
    projects: int
    ballots: int
    amount_before: int


def import_refusal(process: Process, budget: Budget, now: datetime | None = None) -> str | None:
    """Why a Pabulib file cannot be imported into `budget` now, in words for the officer."""
    if budget.process_id != process.pk:
        return _("Choose one of this process's budgets.")
    if process.status == Process.Status.PUBLISHED and not process.voting_closed(now):
        return _(
            "Residents are taking part in this process, so a file cannot be imported into it. "
            "Import into a draft process, or once voting has closed."
        )
    if Idea.objects.filter(budget=budget).exists() or Ballot.objects.filter(budget=budget).exists():
        return _(
            "The %(budget)s budget already has projects or ballots. Import into a budget that "
            "has none, so that the file's election is not mixed with another."
        ) % {"budget": budget.name}
    return None


@dataclass(frozen=True)
class VotingStyle:
    """How the budget is voted, as the file's META section says (the fields of Budget)."""

    style: str
    min_spend_percent: int | None = None
    min_projects: int | None = None
    max_projects: int | None = None

    def words(self) -> str:
        """For the audit log."""
        if self.style == Budget.Style.KNAPSACK:
            least = (
                f", spending at least {self.min_spend_percent}%" if self.min_spend_percent else ""
            )
            return f"projects up to the amount{least}"
        bounds = [f"at least {self.min_projects}"] if self.min_projects else []
        if self.max_projects is not None:
            bounds.append(f"at most {self.max_projects}")
        return "a number of projects" + (f" ({' and '.join(bounds)})" if bounds else "")


def voting_style(meta) -> tuple[VotingStyle, BallotLimits]:
    """The budget's voting style from a file's META section, and what each of its votes may
    hold: the file's own limits, and the budget's amount for a ballot choosing up to it."""
    limits = ballot_limits(meta)
    amount = _meta_budget(meta)
    if limits.limits_cost:
        percent = min(int(limits.least_cost * 100 // amount), 100) if amount else 0
        if limits.most_cost is None or limits.most_cost > amount:
            limits = replace(limits, most_cost=amount, most_cost_key="budget")
        return VotingStyle(Budget.Style.KNAPSACK, min_spend_percent=percent or None), limits
    for key, value in (("min_length", limits.least_projects), ("max_length", limits.most_projects)):
        if value is not None and value > MAX_PROJECTS:
            raise PabulibError(
                _("The META section's %(key)s, %(value)s, is more projects than civic can hold.")
                % {"key": key, "value": value}
            )
    style = VotingStyle(
        Budget.Style.APPROVAL,
        min_projects=limits.least_projects or None,
        max_projects=limits.most_projects,
    )
    return style, limits


def _meta_budget(meta):
    try:
        return money(meta.get("budget", ""))
    except (TypeError, ValueError):
        return 0  # the reader says what is wrong with it


def _read(file) -> tuple[Election, str]:
    """The election in an uploaded or opened file (bytes), and the file's name."""
    name = os.path.basename(getattr(file, "name", "") or "") or "upload.pb"
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read()
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise PabulibError(
            _("The file is not UTF-8 text. Save it as UTF-8 and upload it again.")
        ) from None
    election = read_pabulib_text(text, limits=lambda meta: voting_style(meta)[1])
    if not isinstance(election.budget, int):
        raise PabulibError(
            _("The META section's budget, %(budget)s, has pence: civic holds whole pounds.")
            % {"budget": election.budget}
        )
    if election.budget > MAX_AMOUNT:
        raise PabulibError(_("The META section's budget is larger than civic can hold."))
    if not election.projects:
        raise PabulibError(_("The PROJECTS section lists no project."))
    for project in election.projects:
        if not isinstance(project.cost, int):
            raise PabulibError(
                _("Project %(id)s costs %(cost)s, which has pence: civic holds whole pounds.")
                % {"id": project.id, "cost": project.cost}
            )
        if project.cost > MAX_AMOUNT:
            raise PabulibError(
                _("Project %(id)s costs more than civic can hold.") % {"id": project.id}
            )
    return election, name


def _categories(process: Process, election: Election) -> dict[str, Category]:
    """Each project's category of the process, by the name the file gives: the whole cell when
    the process has a category of that name, else the first of a list (Pabulib writes
    "education,sport"), made if the process has no such category yet."""
    existing = {category.name: category for category in Category.objects.filter(process=process)}
    chosen: dict[str, Category] = {}
    for project in election.projects:
        cell = project.details.get("category", "").strip()
        if not cell or cell in chosen:
            continue
        name = cell if cell in existing else cell.split(",")[0].strip()[:CATEGORY_LIMIT]
        if not name:
            continue
        if name not in existing:
            existing[name] = Category.objects.create(process=process, name=name)
        chosen[cell] = existing[name]
    return chosen


def _voters_choices(election: Election) -> tuple[np.ndarray, np.ndarray]:
    """Every voter's ballot expanded from the distinct ballots: for each (voter, project) pair,
    the voter's number (0, 1, ...) and the project's position, as arrays."""
    lengths = np.diff(election.ballot_starts)
    group_of_voter = np.repeat(np.arange(len(lengths)), election.ballot_counts)
    voter_lengths = lengths[group_of_voter]
    pair_voter = np.repeat(np.arange(len(group_of_voter)), voter_lengths)
    voter_first_pair = np.zeros(len(group_of_voter), dtype=np.int64)
    np.cumsum(voter_lengths[:-1], out=voter_first_pair[1:])
    offset = np.arange(len(pair_voter)) - voter_first_pair[pair_voter]
    positions = election.ballot_projects[
        election.ballot_starts[group_of_voter][pair_voter] + offset
    ]
    return pair_voter, positions


@transaction.atomic
def election_import(
    *,
    actor: User | None,
    process: Process,
    budget: Budget,
    file,
    now: datetime | None = None,
) -> Imported:
    """Put a Pabulib file's projects on the budget's ballot and count its voters' ballots.

    Each project becomes an idea on the ballot (its cost the final cost, no proposer); each
    voter a paper ballot keyed in by `actor` in the batch "Pabulib file <name>"; the budget's
    amount and voting style become the file's (`voting_style`), and every vote is checked
    against them. All of it or nothing: a file with an error is refused with a
    ValidationError on `file` that says where and why; a budget that cannot take a file, on
    `budget`. `actor` None is the platform (the management command run without --as).
    """
    require(
        actor,
        IMPORT,
        process,
        message=_("You do not run this budget process."),
        system=True,
    )
    now = now or timezone.now()
    try:
        election, name = _read(file)
    except PabulibError as error:
        raise ValidationError({"file": str(error)}) from None
    budget = Budget.objects.select_for_update(of=("self",)).select_related("area").get(pk=budget.pk)
    refusal = import_refusal(process, budget, now)
    if refusal:
        raise ValidationError({"budget": refusal})
    # A closed process's empty budget may have been counted already: the worker counts it again.
    BudgetResult.objects.filter(budget=budget).delete()
    amount_before = budget.amount
    style, _limits = voting_style(election.meta)
    budget.amount = election.budget
    budget.style = style.style
    budget.min_spend_percent = style.min_spend_percent
    budget.min_projects = style.min_projects
    budget.max_projects = style.max_projects
    budget.save(
        update_fields=["amount", "style", "min_spend_percent", "min_projects", "max_projects"]
    )
    categories = _categories(process, election)
    ideas = Idea.objects.bulk_create(
        [
            Idea(
                process=process,
                budget=budget,
                category=categories.get(project.details.get("category", "").strip()),
                title=(project.name or _("Project %(id)s") % {"id": project.id})[:TITLE_LIMIT],
                description=(project.name or _("Project %(id)s") % {"id": project.id})[
                    :DESCRIPTION_LIMIT
                ],
                estimated_cost=project.cost,
                final_cost=project.cost,
                status=Idea.Status.ON_BALLOT,
                proposer=None,
                reviewed_at=now,
                created_at=now,
            )
            for project in election.projects
        ]
    )
    batch = (_("Pabulib file %(name)s") % {"name": name})[:BATCH_LIMIT]
    ballot_ids = _ballots_insert(budget, election.voters, actor, batch, now)
    pair_voter, positions = _voters_choices(election)
    idea_ids = np.array([idea.pk for idea in ideas], dtype=np.int64)
    _choices_insert(ballot_ids[pair_voter], idea_ids[positions])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.IMPORT,
        obj=budget,
        summary=(
            f"Imported a Pabulib file: {len(ideas)} projects on the ballot, "
            f"{election.voters} paper ballots, amount {amount_before} now {budget.amount}, "
            f"voters choose {style.words()}"
        ),
    )
    return Imported(
        budget=budget, projects=len(ideas), ballots=election.voters, amount_before=amount_before
    )


def _ballots_insert(budget: Budget, count: int, actor, batch: str, now) -> np.ndarray:
    """`count` paper ballots, made by the database a chunk at a time from one row of values each
    (not sent row by row: 100,000 ballots are twenty statements); their ids. The ballots are
    alike but for their ids, so which voter of the file becomes which ballot does not matter."""
    keyed_by = actor.pk if actor is not None and actor.pk else None
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, count, CHUNK):
            cursor.execute(
                "INSERT INTO budgets_ballot (budget_id, channel, voter_id, code_id, keyed_by_id, "
                "paper_batch, submitted_at) "
                "SELECT %s, %s, NULL, NULL, %s, %s, %s FROM generate_series(1, %s) RETURNING id",
                [budget.pk, Ballot.Channel.PAPER, keyed_by, batch, now, min(CHUNK, count - start)],
            )
            ids.extend(row[0] for row in cursor.fetchall())
    return np.array(ids, dtype=np.int64)


def _choices_insert(ballot_ids: np.ndarray, idea_ids: np.ndarray) -> None:
    """One choice per (ballot, idea) pair, sent with COPY as tab-separated text: one statement
    for them all, and no model instance per choice."""
    if not len(ballot_ids):
        return
    rows = "\n".join(
        map("%d\t%d".__mod__, zip(ballot_ids.tolist(), idea_ids.tolist(), strict=True))
    )
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy("COPY budgets_ballotchoice (ballot_id, idea_id) FROM STDIN") as copy,
    ):
        copy.write(rows)
