"""Voting in a participatory budget: who may vote where, what a ballot may hold, and casting one,
by any of the three channels. The pages (budgets.views), the voting-code page and the officers'
paper entry all call these, so the rules are the same whichever way a ballot comes in.

    elector_of(process, user=... | code=...)   the voter's record in the process, or None
    elector_register(...)                       the first step: postcode (or area), age; fixes
                                                the area they vote as
    budgets_for(elector)                        the budgets they may vote in
    ballot_problems(budget, ideas)              what is wrong with a set of choices, in words
    ballot_cast(...)                            a ballot, new or replacing the voter's last one

One ballot per voter per budget is the database's rule (budgets.models.Ballot), so two posts of
the same voter at the same moment make one ballot: the second finds the first (its insert fails
on the unique constraint, and it then waits for and updates the committed row) and the one
that commits last is the ballot that counts. A code makes one ballot per budget and cannot
change it, as a paper ballot cannot be taken back once in the box.

Eligibility online: a signed-in account whose e-mail address is verified, a postcode in the
council's area and, where the process asks, a confirmed minimum age. A code voter proves
nothing more than holding the code: the council gave it to a resident.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime

from allauth.account.models import EmailAddress
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from budgets.allocation.wording import pounds
from budgets.models import (
    ACTIVITY_VOTE,
    SOURCE_BUDGET,
    Ballot,
    BallotChoice,
    Budget,
    BudgetResult,
    Elector,
    Idea,
    Process,
    VotingCode,
)
from budgets.services import WINNERS_WORDING, winners_purpose
from civic.form_guard import FormGuard, Limit, Refused, Setting
from civic.formatting import day
from civic.models import Area, User
from civic.services import area_for_postcode
from civic.sqltext import column, table, written_fields
from contacts.services import ConsentGiven, participation_with_consent

Channel = Ballot.Channel


# Who may vote where ----------------------------------------------------------------------------


# A ballot's page and its POST ask the same questions of the same rows more than once (the view
# to draw the page, the service to enforce the rules): the answers are kept on the process and
# user objects, which live for one request, so each is read from the database once per request.


def elector_of(
    process: Process,
    *,
    user: User | None = None,
    code: VotingCode | None = None,
    budget_id: int | None = None,
):
    """The voter's record in the process, or None before their first step. For an account,
    whether its address is verified comes with it and, given a budget's id, whether the account
    has a ballot there (for ballot_of), all in one query."""
    if code is not None:
        key = ("code", code.pk)
    elif user is None or not getattr(user, "is_authenticated", False):
        return None
    else:
        key = ("user", user.pk)
    known = process.__dict__.setdefault("_civic_electors", {})
    if key not in known:
        if code is not None:
            elector = Elector.objects.filter(process=process, code=code).select_related("area")
            elector = elector.first()
        else:
            elector = _account_elector(process, user, budget_id)
        if elector is None:
            return None  # not kept: the first step may make it later in this request
        elector.process = process
        known[key] = elector
    return known[key]


# An account's first step is read twice for every ballot of a voting spike (the page and its POST):
# one statement, written once from the models' names, rather than the ORM's query built anew.
_ELECTOR = ("id", "area", "age_confirmed")
_AREA = ("organisation", "code", "name", "population")


@functools.cache
def _account_elector_sql() -> str:
    user_of = column(Elector, "user", "e")
    # Only the models' own table and column names, quoted, go into the text.
    return (
        f"SELECT {', '.join(column(Elector, name, 'e') for name in _ELECTOR)}, "  # noqa: S608
        f"{', '.join(column(Area, name, 'a') for name in _AREA)}, "
        f"EXISTS (SELECT 1 FROM {table(EmailAddress, 'm')} "
        f"WHERE {column(EmailAddress, 'user', 'm')} = {user_of} "
        f"AND UPPER({column(EmailAddress, 'email', 'm')}) = UPPER(%s) "
        f"AND {column(EmailAddress, 'verified', 'm')} = %s), "
        f"(SELECT {column(Ballot, 'id', 'b')} FROM {table(Ballot, 'b')} "
        f"WHERE {column(Ballot, 'budget', 'b')} = %s "
        f"AND {column(Ballot, 'voter', 'b')} = {user_of}) "
        f"FROM {table(Elector, 'e')} JOIN {table(Area, 'a')} "
        f"ON {column(Area, 'id', 'a')} = {column(Elector, 'area', 'e')} "
        f"WHERE {column(Elector, 'process', 'e')} = %s AND {user_of} = %s"
    )


def _account_elector(process: Process, user: User, budget_id: int | None) -> Elector | None:
    """The account's elector with its area, whether its address is verified (kept on the user for
    account_refusal) and, given a budget's id, the id of its ballot there or None (kept on the
    elector for ballot_of)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _account_elector_sql(),
            [user.email, True, budget_id, process.pk, user.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    elector_id, area_id, age_confirmed, *area_row, verified, ballot_id = row
    elector = Elector.from_db(
        connection.alias,
        ["id", "process_id", "user_id", "code_id", "area_id", "age_confirmed"],
        [elector_id, process.pk, user.pk, None, area_id, bool(age_confirmed)],
    )
    elector.area = Area.from_db(
        connection.alias, ["id", *(f"{name}_id" if name == "organisation" else name
                                   for name in _AREA)], [area_id, *area_row]
    )  # fmt: skip
    user.__dict__["_civic_email_verified"] = bool(verified)
    if budget_id is not None:
        elector.__dict__["_civic_ballots"] = {budget_id: ballot_id}
    return elector


def process_budgets(process: Process) -> list[Budget]:
    """The process's budgets with their areas."""
    if "_civic_budgets" not in process.__dict__:
        process.__dict__["_civic_budgets"] = list(process.budgets.select_related("area"))
    return process.__dict__["_civic_budgets"]


def _verified_addresses(user: User):
    """The account's own address, if it is verified (what voting online asks of an account)."""
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True)


def _email_verified(user: User) -> bool:
    if not user.__dict__.get("_civic_email_verified"):
        user.__dict__["_civic_email_verified"] = _verified_addresses(user).exists()
    return user.__dict__["_civic_email_verified"]


def voting_refusal(process: Process, now: datetime | None = None) -> Refused | None:
    """Why nobody can vote in the process now, in words; None while voting is open."""
    now = now or timezone.now()
    if process.allows("vote", now):
        return None
    if (
        process.status == Process.Status.PUBLISHED
        and process.voting_opens_at
        and (now < process.voting_opens_at)
    ):
        return Refused(
            _("Voting opens on %(date)s.") % {"date": day(process.voting_opens_at)}, code="closed"
        )
    return Refused(_("Voting in this process has closed."), code="closed")


def account_refusal(user) -> Refused | None:
    """Why this visitor cannot vote online; None if they can (given a postcode)."""
    if not getattr(user, "is_authenticated", False) or not user.email:
        return Refused(_("Sign in to vote."), code="sign_in")
    if not _email_verified(user):
        return Refused(
            _("Confirm your e-mail address to vote: follow the link in the e-mail we sent you."),
            code="unverified",
        )
    return None


def area_choices(process: Process) -> list[Area]:
    """The areas with a budget in the process, for a voter who chooses theirs."""
    return [
        budget.area
        for budget in process.budgets.select_related("area").order_by("area__name")
        if budget.area_id is not None
    ]


def elector_register(
    *,
    process: Process,
    user: User | None = None,
    code: VotingCode | None = None,
    postcode: str = "",
    area: Area | None = None,
    age_confirmed: bool = False,
    now: datetime | None = None,
) -> Elector:
    """The voter's first step in a process: the area they vote as, fixed from now on.

    Online (`user`): from their postcode, which must be in the council's area; where the
    process lets voters choose any one area, the `area` they choose. By code: the area of the
    code's batch, or the `area` they choose. Raises Refused for what the form cannot fix and
    ValidationError by field ("postcode", "area", "age_confirmed"). Returns the existing record
    if they took this step before (also when two tabs take it at once)."""
    now = now or timezone.now()
    refusal = voting_refusal(process, now)
    if refusal is None and user is not None:
        refusal = account_refusal(user)
    if refusal is not None:
        raise refusal
    if (user is None) == (code is None):
        raise ValueError("an elector is an account or a code")
    if code is not None and code.batch.process_id != process.pk:
        raise Refused(_("This code is not for this process."), code="other_process")
    existing = elector_of(process, user=user, code=code)
    if existing is not None:
        return existing

    errors: dict[str, ValidationError] = {}
    areas = area_choices(process)
    home = None
    if user is not None:
        if not str(postcode or "").strip():
            errors["postcode"] = ValidationError(_("Enter your postcode"), code="required")
        else:
            try:
                home = area_for_postcode(organisation=process.organisation, postcode=postcode)
            except ValidationError:
                errors["postcode"] = ValidationError(
                    _("Enter a real postcode, like M1 1AE"), code="invalid"
                )
            else:
                if home is None:
                    errors["postcode"] = ValidationError(
                        _("Enter a postcode in %(council)s's area. Only its residents can vote.")
                        % {"council": process.organisation.name},
                        code="outside",
                    )
    # Online, "any one area" lets the voter choose; a code's batch names its area, and only a
    # batch without one lets its voters choose.
    if code is not None:
        chooses = code.batch.area_id is None
        home = code.batch.area
    else:
        chooses = process.voters == Process.Voters.ANY_ONE_AREA
    if chooses:
        if area is None or area.pk not in {choice.pk for choice in areas}:
            errors["area"] = ValidationError(
                _("Choose the area whose budget you want to vote in"), code="required"
            )
        else:
            home = area if code is not None else home
    if process.min_age and not age_confirmed:
        errors["age_confirmed"] = ValidationError(
            _("Confirm that you are %(age)s or older to vote") % {"age": process.min_age},
            code="required",
        )
    if errors:
        raise ValidationError(errors)
    voting_area = area if chooses else home
    try:
        with transaction.atomic():
            return Elector.objects.create(
                process=process,
                user=user,
                code=code,
                area=voting_area,
                age_confirmed=bool(age_confirmed),
                created_at=now,
            )
    except IntegrityError:
        existing = elector_of(process, user=user, code=code)
        if existing is None:
            raise
        return existing


def budgets_for(elector: Elector | None, budgets: list[Budget] | None = None) -> list[Budget]:
    """The budgets the voter may vote in: their area's, and the citywide one where the process
    says so. For a paper ballot there is no elector: officers key any budget."""
    if elector is None:
        return []
    process = elector.process
    if budgets is None:
        budgets = process_budgets(process)
    area_budgets = [budget for budget in budgets if budget.area_id == elector.area_id]
    if process.voters == Process.Voters.OWN_AREA:
        return area_budgets
    return area_budgets + [budget for budget in budgets if budget.area_id is None]


# What a ballot may hold ------------------------------------------------------------------------


def ballot_problems(budget: Budget, ideas: list[Idea]) -> list[str]:
    """What is wrong with choosing `ideas` in `budget`, in words a voter can act on; [] if
    nothing. The ideas must be on this budget's ballot paper."""
    problems = []
    if any(idea.budget_id != budget.pk or idea.status != Idea.Status.ON_BALLOT for idea in ideas):
        problems.append(
            _("Choose only projects on the ballot for %(budget)s") % {"budget": budget.name}
        )
        return problems
    if not ideas:
        return [_("Choose at least one project for %(budget)s") % {"budget": budget.name}]
    if budget.style == Budget.Style.KNAPSACK:
        total = sum(idea.cost for idea in ideas)
        if total > budget.amount:
            problems.append(
                _(
                    "Your choices for %(budget)s cost %(total)s, which is %(over)s more than "
                    "its %(amount)s. Remove a project"
                )
                % {
                    "budget": budget.name,
                    "total": pounds(total),
                    "over": pounds(total - budget.amount),
                    "amount": pounds(budget.amount),
                }
            )
        least = least_spend(budget)
        if least and total < least:
            problems.append(
                _(
                    "Choose projects for %(budget)s worth at least %(least)s (%(percent)s%% of "
                    "its budget). Your choices come to %(total)s"
                )
                % {
                    "budget": budget.name,
                    "least": pounds(least),
                    "percent": budget.min_spend_percent,
                    "total": pounds(total),
                }
            )
    else:
        count = len(ideas)
        if budget.min_projects and count < budget.min_projects:
            problems.append(
                _("Choose at least %(least)s projects for %(budget)s. You have chosen %(count)s")
                % {"least": budget.min_projects, "budget": budget.name, "count": count}
            )
        if budget.max_projects and count > budget.max_projects:
            problems.append(
                _("Choose no more than %(most)s projects for %(budget)s. You have chosen %(count)s")
                % {"most": budget.max_projects, "budget": budget.name, "count": count}
            )
    return problems


def least_spend(budget: Budget) -> int:
    """The least a knapsack ballot must spend, in whole pounds (rounded up), or 0."""
    if budget.style != Budget.Style.KNAPSACK or not budget.min_spend_percent:
        return 0
    return -(-budget.amount * budget.min_spend_percent // 100)


# Casting a ballot ------------------------------------------------------------------------------


def _chosen(
    budget: Budget, idea_ids: Iterable[int | str], on_ballot: dict[int, Idea] | None = None
) -> list[Idea]:
    ids = set()
    for value in idea_ids:
        try:
            ids.add(int(value))
        except (TypeError, ValueError):
            raise ValidationError(
                {
                    "projects": _("Choose only projects on the ballot for %(budget)s")
                    % {"budget": budget.name}
                }
            ) from None
    if on_ballot is not None:
        ideas = [on_ballot[number] for number in ids if number in on_ballot]
    else:
        ideas = list(Idea.objects.filter(pk__in=ids))
    if len(ideas) != len(ids):
        raise ValidationError(
            {
                "projects": _("Choose only projects on the ballot for %(budget)s")
                % {"budget": budget.name}
            }
        )
    return sorted(ideas, key=lambda idea: idea.pk)


def ballot_cast(
    *,
    budget: Budget,
    idea_ids: Iterable[int | str],
    voter: User | None = None,
    code: VotingCode | None = None,
    keyed_by: User | None = None,
    paper_batch: str = "",
    hears_winners: bool = False,
    on_ballot: dict[int, Idea] | None = None,
    now: datetime | None = None,
) -> Ballot:
    """Cast a ballot in `budget`: online by `voter`, with a voting `code`, or on paper keyed in
    by the officer `keyed_by` (the caller checks their permission and audits the entry).
    `on_ballot` is the budget's projects on the ballot (id to idea) where the caller has just
    read them, as the ballot page has, so that they are not read again.

    Online, a second ballot replaces the first (the last submitted counts). A code's ballot and
    a paper ballot are final. Raises Refused (closed, not eligible, code used) or
    ValidationError {"projects": [...]} for choices that break the budget's rules; either way
    nothing changes."""
    now = now or timezone.now()
    if sum(who is not None for who in (voter, code, keyed_by)) != 1:
        raise ValueError("a ballot is cast by a voter, a code or an officer")
    process = budget.process
    channel = Channel.ONLINE if voter else Channel.CODE if code else Channel.PAPER
    if channel == Channel.PAPER:
        stage = process.stage_at(now)
        if stage not in (Process.Stage.VOTING, Process.Stage.RESULTS):
            raise Refused(
                _(
                    "Paper ballots are entered from the day voting opens until building the "
                    "projects starts."
                ),
                code="closed",
            )
    else:
        refusal = voting_refusal(process, now)
        if refusal is None and voter is not None:
            refusal = account_refusal(voter)
        if refusal is not None:
            raise refusal
        elector = elector_of(process, user=voter, code=code)
        if elector is None:
            raise Refused(_("Tell us where you live before you vote."), code="no_area")
        if budget.pk not in {choice.pk for choice in budgets_for(elector)}:
            raise Refused(
                _("You cannot vote in the budget for %(budget)s.") % {"budget": budget.name},
                code="not_yours",
            )
    ideas = _chosen(budget, idea_ids, on_ballot)
    problems = ballot_problems(budget, ideas)
    if problems:
        raise ValidationError({"projects": problems})

    with transaction.atomic():
        if channel == Channel.ONLINE:
            ballot, voted_before = _online_ballot(budget, voter, [idea.pk for idea in ideas], now)
        else:
            if channel == Channel.PAPER:
                # A ballot keyed in after the count: the budget is counted again by the worker.
                BudgetResult.objects.filter(budget=budget).delete()
            ballot = _ballot_row(budget, channel, code=code, keyed_by=keyed_by,
                                 paper_batch=paper_batch, now=now)  # fmt: skip
            BallotChoice.objects.bulk_create(
                [BallotChoice(ballot=ballot, idea=idea) for idea in ideas]
            )
            voted_before = True
        # Taking part is recorded with the voter's first ballot in the process; a later one
        # records only a consent they give with it.
        if voter is not None and (hears_winners or not voted_before):
            _record(voter, process, hears_winners, now)
    if voter is not None:
        elector.__dict__.setdefault("_civic_ballots", {})[budget.pk] = ballot.pk
    return ballot


# An online ballot, the busiest write of a voting spike, is three statements written once from the
# models' names: the ballot (new, or the voter's last one re-dated, and locked to the end of the
# transaction, so that two ballots of one voter cast at once are counted one after the other and
# the last one stands) with whether the voter has a ballot in another of the process's budgets;
# then its choices, the earlier ones it no longer holds removed and the new ones added.


@functools.cache
def _online_ballot_sql() -> tuple[str, str, str]:
    ballot, choice, budget = (table(model) for model in (Ballot, BallotChoice, Budget))
    if {field.name for field in written_fields(Ballot)} != set(_ONLINE_BALLOT):
        raise ImproperlyConfigured("budgets.voting._online_ballot_sql does not write every field")
    budget_id, voter_id = column(Ballot, "budget"), column(Ballot, "voter")
    # Only the models' own table and column names, quoted, go into the text.
    upsert = (
        f"INSERT INTO {ballot} ({', '.join(column(Ballot, name) for name in _ONLINE_BALLOT)}) "  # noqa: S608
        f"VALUES ({', '.join('%s' for _name in _ONLINE_BALLOT)}) "
        f"ON CONFLICT ({budget_id}, {voter_id}) DO UPDATE "
        f"SET {column(Ballot, 'submitted_at')} = excluded.{column(Ballot, 'submitted_at')} "
        f"RETURNING {column(Ballot, 'id')}, EXISTS (SELECT 1 FROM {ballot} o "
        f"JOIN {budget} g ON g.{column(Budget, 'id')} = o.{budget_id} "
        f"WHERE g.{column(Budget, 'process')} = %s AND o.{voter_id} = %s "
        f"AND o.{budget_id} <> %s)"
    )
    chosen = f"{column(BallotChoice, 'ballot')}, {column(BallotChoice, 'idea')}"
    others = (
        f"DELETE FROM {choice} WHERE {column(BallotChoice, 'ballot')} = %s "  # noqa: S608
        f"AND {column(BallotChoice, 'idea')} NOT IN ({{ideas}})"
    )
    added = (
        f"INSERT INTO {choice} ({chosen}) VALUES {{rows}} "  # noqa: S608
        f"ON CONFLICT ({chosen}) DO NOTHING"
    )
    return upsert, others, added


_ONLINE_BALLOT = ("budget", "channel", "voter", "code", "keyed_by", "paper_batch", "submitted_at")


def _online_ballot(budget: Budget, voter: User, idea_ids: list[int], now) -> tuple[Ballot, bool]:
    """The voter's ballot in the budget holding `idea_ids` (at least one), and whether they have
    a ballot in another budget of the process."""
    upsert, others, added = _online_ballot_sql()
    when = connection.ops.adapt_datetimefield_value(now)
    process_id = budget.process_id
    with connection.cursor() as cursor:
        # The values in _ONLINE_BALLOT's order, then what the check for another ballot asks.
        fields = [budget.pk, Channel.ONLINE.value, voter.pk, None, None, "", when]
        cursor.execute(upsert, [*fields, process_id, voter.pk, budget.pk])
        ballot_id, voted_before = cursor.fetchone()
        marks = ", ".join("%s" for _idea in idea_ids)
        cursor.execute(others.format(ideas=marks), [ballot_id, *idea_ids])
        rows = ", ".join("(%s, %s)" for _idea in idea_ids)
        cursor.execute(added.format(rows=rows), [value for idea in idea_ids
                                                 for value in (ballot_id, idea)])  # fmt: skip
    ballot = Ballot(id=ballot_id, budget=budget, channel=Channel.ONLINE, voter=voter,
                    submitted_at=now)  # fmt: skip
    ballot._state.adding = False
    return ballot, bool(voted_before)


def _ballot_row(budget, channel, *, code, keyed_by, paper_batch, now) -> Ballot:
    """A new ballot by code or on paper."""
    if channel == Channel.PAPER:
        return Ballot.objects.create(
            budget=budget, channel=channel, keyed_by=keyed_by,
            paper_batch=str(paper_batch or "")[:100], submitted_at=now,
        )  # fmt: skip
    try:
        with transaction.atomic():
            return Ballot.objects.create(
                budget=budget, channel=channel, submitted_at=now, code=code
            )
    except IntegrityError:
        raise Refused(
            _("This code has already been used to vote in the budget for %(budget)s.")
            % {"budget": budget.name},
            code="used",
        ) from None


def _record(user: User, process: Process, hears: bool, now) -> None:
    """They voted in the process (never how), with their consent to hear about the winners."""
    consent = None
    if hears:
        consent = ConsentGiven(
            purpose=winners_purpose(process),
            wording=str(WINNERS_WORDING),
            method=_("Voting in “%(process)s”") % {"process": process.title[:120]},
        )
    participation_with_consent(
        item=process, item_title=process.title, kind=ACTIVITY_VOTE, reference=f"vote-{process.pk}",
        source=SOURCE_BUDGET, user=user, occurred_at=now, consent=consent,
    )  # fmt: skip


def ballot_of(budget: Budget, *, voter: User | None = None, code: VotingCode | None = None):
    """The voter's counted ballot in the budget, or None. An account's elector read for this
    budget in this request (elector_of) has already said whether there is one."""
    if voter is not None:
        elector = budget.process.__dict__.get("_civic_electors", {}).get(("user", voter.pk))
        ballots = elector.__dict__.get("_civic_ballots", {}) if elector is not None else {}
        if budget.pk in ballots and ballots[budget.pk] is None:
            return None
        return Ballot.objects.filter(budget=budget, voter=voter).first()
    if code is not None:
        return Ballot.objects.filter(budget=budget, code=code).first()
    return None


# Voting with a code ------------------------------------------------------------------------------

# Guessing codes is what a script would do here: every attempt counts against the address, and
# a wrong code and a used one get the same answer, so that nothing is learnt about which exist.
VOTING_BY_CODE = FormGuard(
    action="budgets:code",
    salt="budgets.code-start",
    least_seconds=Setting("CIVIC_BUDGET_CODE_MIN_SECONDS", 2),
    limits=[
        Limit("burst", "CIVIC_BUDGET_CODE_BURST", "10/m"),
        Limit("sustained", "CIVIC_BUDGET_CODE_SUSTAINED", "60/h"),
    ],
    allow_list="CIVIC_BUDGET_IP_ALLOWLIST",
    too_many=gettext_lazy(
        "There have been too many codes tried from your internet connection in a short time. "
        "Try again later."
    ),
)
code_token = VOTING_BY_CODE.token
CODE_NOT_VALID = gettext_lazy(
    "This code is not valid or has been used. Enter it as it is printed on your card, like "
    "7KQM-X3PA-RW9C"
)


def code_check(
    *,
    process: Process,
    text: str,
    honeypot: str = "",
    token: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> VotingCode:
    """The voting code a resident typed, if it is one of the process's and can still vote in a
    budget. Raises Refused (voting closed, a script's form, too many attempts from the address)
    or ValidationError {"code": ...}, the same words whether the code does not exist or is used
    up."""
    from budgets.codes import code_find  # the codes' own module; it imports the models only

    now = now or timezone.now()
    refusal = voting_refusal(process, now)
    if refusal is not None:
        raise refusal
    VOTING_BY_CODE.check(honeypot=honeypot, token=token, ip=ip, now=now)
    if not str(text or "").strip():
        raise ValidationError(
            {"code": ValidationError(_("Enter the voting code from your letter"), code="required")}
        )
    code = code_find(process, text)
    if code is None or code_used_up(process, code):
        raise ValidationError({"code": ValidationError(str(CODE_NOT_VALID), code="invalid")})
    return code


def code_used_up(process: Process, code: VotingCode) -> bool:
    """Whether the code has voted in every budget it may vote in."""
    elector = elector_of(process, code=code)
    if elector is None:
        return False
    budgets = {budget.pk for budget in budgets_for(elector)}
    voted = set(Ballot.objects.filter(code=code).values_list("budget_id", flat=True))
    return bool(budgets) and budgets <= voted
