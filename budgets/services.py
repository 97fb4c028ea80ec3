"""Every change to a participatory budget: publishing a process, proposing and supporting ideas,
and the council's review of them. Each officer action checks a permission and the process's
phase, is audited, and is told to the people it concerns through the mailing engine.

    process_publish     a draft process goes public once it passes its checks
    idea_propose        a signed-in resident proposes an idea in the ideas phase
    idea_support        a signed-in resident supports an idea, once (the database is the referee)
    idea_feasible       review: feasible, with a public reason and the final cost if known
    idea_not_feasible   review: not feasible, with a public reason
    idea_cost_set       review: the council's final cost
    idea_merge          review: a duplicate merged into the idea that carries on; its supporters
                        move there and are told
    idea_ballot_add     review: a feasible idea with a final cost goes on the ballot
    idea_ballot_remove  ... or comes off it, until voting opens
    idea_withdraw       its proposer withdraws it, or the council removes it, with a reason
    winners_purpose     the consent to hear about a process's winning projects, offered to voters

Who hears of a decision: everyone who asked to hear about the idea's progress, through the
consenters' notice (mailing.services.notices), and its proposer, once: through that notice if
they asked to hear, else by a message of their own.

Public form settings, read when used:

    CIVIC_BUDGET_PROPOSE_BURST        "5/m"   ideas from one address in a short burst
    CIVIC_BUDGET_PROPOSE_SUSTAINED    "30/h"  ... and over a longer window
    CIVIC_BUDGET_IP_ALLOWLIST         []      networks exempt from both
    CIVIC_BUDGET_PROPOSE_MIN_SECONDS  5       the least time from drawing the form to posting it
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from budgets.allocation.wording import pounds
from budgets.models import (
    ACTIVITY_IDEA,
    ACTIVITY_SUPPORT,
    SOURCE_BUDGET,
    Budget,
    Category,
    Idea,
    Process,
    Support,
)
from civic.form_guard import FormGuard, Limit, Refused, Setting
from civic.formatting import day
from civic.models import AuditEntry, User
from civic.services import audit_record, require, state_move
from civic.validators import validate_upload
from contacts.models import ConsentPurpose, Contact
from contacts.services import (
    ConsentGiven,
    consent_is_live,
    contact_email_key,
    item_purpose,
    participation_with_consent,
)
from mailing.services import transactional_enqueue, transactional_enqueue_many
from mailing.services.notices import consenters_notify_after_commit

NOT_RUNNER = gettext_lazy("You do not run this budget process.")
TITLE_LIMIT = 100
DESCRIPTION_LIMIT = 2000
REASON_LIMIT = 2000
IMAGE_TYPES = (".png", ".jpg", ".jpeg")
Status = Idea.Status

# The propose form: a resident must be signed in, so a script needs an account; the guard still
# keeps one account or address from filling a process with ideas.
PROPOSING = FormGuard(
    action="budgets:propose",
    salt="budgets.propose-start",
    least_seconds=Setting("CIVIC_BUDGET_PROPOSE_MIN_SECONDS", 5),
    limits=[
        Limit("burst", "CIVIC_BUDGET_PROPOSE_BURST", "5/m"),
        Limit("sustained", "CIVIC_BUDGET_PROPOSE_SUSTAINED", "30/h"),
    ],
    allow_list="CIVIC_BUDGET_IP_ALLOWLIST",
    too_many=gettext_lazy(
        "There have been too many ideas from your internet connection in a short time. "
        "Try again later."
    ),
)
propose_token = PROPOSING.token


# Addresses, consent and e-mail ------------------------------------------------------------------


def process_url(process: Process) -> str:
    return settings.CIVIC_SITE_URL + reverse("budgets:process", args=[process.slug])


def idea_url(idea: Idea) -> str:
    return settings.CIVIC_SITE_URL + reverse("budgets:idea", args=[idea.process.slug, idea.pk])


def idea_purpose_name(idea: Idea) -> str:
    return _("News about the idea “%(title)s”") % {"title": idea.title[:150]}


def idea_purpose(idea: Idea) -> ConsentPurpose:
    """The consent purpose "news about this idea": its review, the vote and its building."""
    return item_purpose(
        organisation_id=idea.process.organisation_id,
        item=idea,
        name=idea_purpose_name(idea),
        description=_(
            "An e-mail when the council decides whether the idea can be done, when it goes to the "
            "vote, and how it goes after that."
        ),
    )


def winners_purpose(process: Process) -> ConsentPurpose:
    """The consent purpose "news about the winning projects" of a process, which voters are
    offered: the result, and how each winning project is built (budgets.delivery)."""
    return item_purpose(
        organisation_id=process.organisation_id,
        item=process,
        name=_("The winning projects of “%(title)s”") % {"title": process.title[:150]},
        description=_(
            "An e-mail when the result is published, and when a winning project is planned, "
            "started, finished or cancelled."
        ),
    )


def _existing_purpose(idea: Idea) -> ConsentPurpose | None:
    """The idea's purpose if anyone has asked to hear about it; None without making one."""
    return ConsentPurpose.objects.filter(
        organisation_id=idea.process.organisation_id,
        content_type=ContentType.objects.get_for_model(Idea),
        object_id=str(idea.pk),
    ).first()


def _drawn(template: str, **context) -> tuple[str, str]:
    context = {"site_name": settings.CIVIC_SITE_NAME, **context}
    return (
        " ".join(render_to_string(f"budgets/email/{template}_subject.txt", context).split()),
        render_to_string(f"budgets/email/{template}.txt", context),
    )


def _follows(email: str, organisation_id: int, purpose: ConsentPurpose | None) -> bool:
    if purpose is None or not email:
        return False
    contact = Contact.objects.filter(
        organisation_id=organisation_id, email=contact_email_key(email)
    ).first()
    return contact is not None and consent_is_live(contact=contact, purpose=purpose)


def _tell(idea: Idea, template: str, **extra) -> None:
    """Tell the idea's followers and its proposer (once) of a decision."""
    context = {"idea": idea, "process": idea.process, "url": idea_url(idea), **extra}
    purpose = _existing_purpose(idea)
    if purpose is not None:
        subject, text = _drawn(template, to_proposer=False, **context)
        consenters_notify_after_commit(purpose=purpose, subject=subject, text=text)
    proposer = idea.proposer
    organisation = idea.process.organisation
    if proposer is not None and not _follows(proposer.email, organisation.pk, purpose):
        subject, text = _drawn(template, to_proposer=True, **context)
        transactional_enqueue(
            organisation=organisation, to_email=proposer.email, subject=subject, text=text
        )


def _phase_refusal(process: Process, action: str, now: datetime) -> Refused | None:
    """Why `action` cannot be done in the process now, in words; None if it can."""
    if process.allows(action, now):
        return None
    if action == "review":
        return Refused(
            _("Decisions on ideas are made until voting opens, and voting has opened."),
            code="closed",
        )
    upcoming = process.stage_at(now) == Process.Stage.UPCOMING
    if upcoming and process.ideas_open_at is not None:
        return Refused(
            _("Ideas can be proposed and supported from %(date)s.")
            % {"date": day(process.ideas_open_at)},
            code="closed",
        )
    return Refused(
        _("The time for proposing and supporting ideas in this process is over."), code="closed"
    )


# Publishing -------------------------------------------------------------------------------------


def process_problems(process: Process) -> dict[str, str]:
    """What stops a process from being published, by field ("" for the process as a whole),
    in words an officer can act on."""
    problems: dict[str, str] = {}
    for name in ("ideas_open_at", "review_starts_at", "voting_opens_at", "voting_closes_at"):
        if getattr(process, name) is None:
            label = str(process._meta.get_field(name).verbose_name)
            problems[name] = _("Enter the date %(phase)s") % {"phase": label}
    problems.update(
        {k: v for k, v in Process.SCHEDULE.problems(process).items() if k not in problems}
    )
    budgets = list(process.budgets.all())
    if not budgets:
        problems[""] = _("Add at least one budget: citywide, or for an area")
    for budget in budgets:
        if budget.style == Budget.Style.APPROVAL and not budget.max_projects:
            problems[f"budget-{budget.pk}"] = _(
                "Give the budget “%(name)s” the most projects a voter may choose"
            ) % {"name": budget.name}
    return problems


def settings_fixed(process: Process, now: datetime | None = None) -> bool:
    """Whether the result method, its completion and who votes where are fixed: from the
    moment voting opens, so that nobody changes the rules of a vote under way."""
    now = now or timezone.now()
    return (
        process.status == Process.Status.PUBLISHED
        and process.voting_opens_at is not None
        and process.voting_opens_at <= now
    )


@transaction.atomic
def process_publish(*, actor: User, process: Process, now: datetime | None = None) -> Process:
    require(actor, "budgets.publish_process", process, message=NOT_RUNNER)
    now = now or timezone.now()
    locked = Process.objects.select_for_update().get(pk=process.pk)
    problems = process_problems(locked)
    if problems:
        raise ValidationError(
            {field or NON_FIELD_ERRORS: message for field, message in problems.items()}
        )
    state_move(
        locked,
        Process.Status.PUBLISHED,
        actor=actor,
        action=AuditEntry.Action.PUBLISH,
        summary="Published the budget process",
        fields={"published_at": now},
    )
    return locked


# Proposing and supporting -----------------------------------------------------------------------


def _signed_in(user) -> None:
    if not getattr(user, "is_authenticated", False) or not user.email:
        raise Refused(_("Sign in to take part."), code="sign_in")


@transaction.atomic
def idea_propose(
    *,
    user: User,
    process: Process,
    title: str,
    description: str,
    estimated_cost: int | None,
    budget: Budget | None,
    category: Category | None = None,
    image=None,
    image_alt: str = "",
    hears_progress: bool = False,
    honeypot: str = "",
    token: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> Idea:
    """A signed-in resident proposes an idea for one of the process's budgets, in the ideas
    phase. Raises Refused for what they cannot fix on the form, ValidationError by field."""
    now = now or timezone.now()
    _signed_in(user)
    refusal = _phase_refusal(process, "propose", now)
    if refusal is not None:
        raise refusal
    PROPOSING.check(honeypot=honeypot, token=token, ip=ip, now=now)

    errors: dict[str, ValidationError] = {}
    title = " ".join(str(title or "").split())
    description = str(description or "").strip()
    for field, value, limit, missing, too_long in (
        (
            "title",
            title,
            TITLE_LIMIT,
            _("Enter a title for your idea"),
            _("The title must be %(limit)s characters or fewer"),
        ),
        (
            "description",
            description,
            DESCRIPTION_LIMIT,
            _("Describe your idea"),
            _("The description must be %(limit)s characters or fewer"),
        ),
    ):
        if not value:
            errors[field] = ValidationError(missing, code="required")
        elif len(value) > limit:
            errors[field] = ValidationError(too_long % {"limit": limit}, code="max_length")
    if budget is None or budget.process_id != process.pk:
        errors["budget"] = ValidationError(
            _("Choose the area your idea is for, or citywide"), code="required"
        )
    if estimated_cost is None:
        errors["estimated_cost"] = ValidationError(
            _("Enter what you think your idea would cost, in pounds"), code="required"
        )
    elif estimated_cost <= 0:
        errors["estimated_cost"] = ValidationError(
            _("Enter a cost of at least £1"), code="min_value"
        )
    elif budget is not None and budget.process_id == process.pk and estimated_cost > budget.amount:
        errors["estimated_cost"] = ValidationError(
            _("An idea for %(budget)s must cost no more than its budget of %(amount)s")
            % {"budget": budget.name, "amount": pounds(budget.amount)},
            code="over_budget",
        )
    if category is not None and category.process_id != process.pk:
        errors["category"] = ValidationError(_("Choose one of the categories"), code="invalid")
    image_alt = " ".join(str(image_alt or "").split())[:300]
    if image:
        try:
            validate_upload(image, allowed=IMAGE_TYPES)
        except ValidationError as error:
            errors["image"] = error
        if not image_alt:
            errors["image_alt"] = ValidationError(
                _("Describe what the image shows, for people who cannot see it"),
                code="required",
            )
    if errors:
        raise ValidationError(errors)

    idea = Idea.objects.create(
        process=process,
        budget=budget,
        category=category,
        title=title,
        description=description,
        estimated_cost=estimated_cost,
        image_alt=image_alt if image else "",
        proposer=user,
        created_at=now,
    )
    if image:
        idea.image.save(image.name, image, save=True)
    _record(user, idea, ACTIVITY_IDEA, f"idea-{idea.pk}", hears_progress, now)
    subject, text = _drawn("proposed", idea=idea, process=process, url=idea_url(idea))
    transactional_enqueue(
        organisation=process.organisation, to_email=user.email, subject=subject, text=text
    )
    return idea


def _record(user: User, idea: Idea, kind: str, reference: str, hears: bool, now) -> None:
    """The person took part in the process; with their consent to hear about the idea."""
    process = idea.process
    consent = None
    if hears:
        consent = ConsentGiven(
            purpose=idea_purpose(idea),
            wording=str(HEAR_WORDING),
            method=_("Budget idea #%(number)s in “%(process)s”")
            % {"number": idea.pk, "process": process.title[:120]},
        )
    participation_with_consent(
        item=process, item_title=process.title, kind=kind, reference=reference,
        source=SOURCE_BUDGET, user=user, occurred_at=now, consent=consent,
    )  # fmt: skip


HEAR_WORDING = gettext_lazy("Tell me about this idea's progress")
WINNERS_WORDING = gettext_lazy("Tell me which projects win and how they are built")


def idea_support(
    *, user: User, idea: Idea, hears_progress: bool = False, now: datetime | None = None
) -> Support:
    """A signed-in resident supports an idea while ideas are collected. Once per person: a
    second support, even sent at the same moment, is refused by the database and answered
    with the first."""
    now = now or timezone.now()
    _signed_in(user)
    refusal = _phase_refusal(idea.process, "support", now)
    if refusal is not None:
        raise refusal
    if idea.status not in (Status.PROPOSED, Status.FEASIBLE):
        raise Refused(_("This idea can no longer be supported."), code="closed")
    try:
        with transaction.atomic():
            if _idea_status_shared(idea.pk) not in (Status.PROPOSED, Status.FEASIBLE):
                raise Refused(_("This idea can no longer be supported."), code="closed")
            support = Support.objects.create(idea=idea, user=user, created_at=now)
            _record(user, idea, ACTIVITY_SUPPORT, f"support-{support.pk}", hears_progress, now)
    except IntegrityError:
        existing = Support.objects.filter(idea=idea, user=user).first()
        if existing is None:
            raise
        raise Refused(_("You already support this idea."), code="already") from None
    return support


def _idea_status_shared(idea_id: int) -> str | None:
    """The idea's status, read under a key-share lock held to the end of the transaction: it
    waits for a merge or any other decision that holds the row (select_for_update) and reads
    the status that decision left, yet does not hold back other supports of the same idea (key
    share locks do not conflict with one another). The foreign key's own check would take the
    same lock, but only at COMMIT, since Django's are deferred. Django's ORM has no FOR KEY
    SHARE, hence the SQL."""
    if connection.vendor != "postgresql":
        # SQLite (`make run`) writes one transaction at a time: nothing can come between.
        return Idea.objects.filter(pk=idea_id).values_list("status", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT status FROM budgets_idea WHERE id = %s FOR KEY SHARE", [idea_id])
        row = cursor.fetchone()
    return row[0] if row else None


# Review -----------------------------------------------------------------------------------------


def _locked(
    actor: User,
    idea: Idea,
    now: datetime,
    *,
    permission: str = "budgets.review_idea",
    message: str = NOT_RUNNER,
) -> Idea:
    """The idea, locked to the end of the transaction, once the actor holds `permission` on it
    and while the process's phase allows review (deciding on ideas, withdrawing them)."""
    require(actor, permission, idea, message=message)
    locked = (
        Idea.objects.select_for_update(of=("self",))
        .select_related("process__department__organisation", "proposer", "budget")
        .get(pk=idea.pk)
    )
    refusal = _phase_refusal(locked.process, "review", now)
    if refusal is not None:
        raise refusal
    return locked


def _reason(reason: str, *, required: bool = True) -> str:
    reason = str(reason or "").strip()
    if required and not reason:
        raise ValidationError(
            {"reason": _("Enter the reason, which is shown on the idea's page")}, code="required"
        )
    if len(reason) > REASON_LIMIT:
        raise ValidationError(
            {
                "reason": _("The reason must be %(limit)s characters or fewer")
                % {"limit": REASON_LIMIT}
            }
        )
    return reason


def _cost(final_cost, *, budget: Budget, required: bool) -> int | None:
    if final_cost in (None, ""):
        if required:
            raise ValidationError({"final_cost": _("Enter the final cost, in pounds")})
        return None
    if int(final_cost) <= 0:
        raise ValidationError({"final_cost": _("Enter a cost of at least £1")})
    if int(final_cost) > budget.amount:
        raise ValidationError(
            {
                "final_cost": _("Enter a cost no more than the budget of %(amount)s")
                % {"amount": pounds(budget.amount)}
            }
        )
    return int(final_cost)


@transaction.atomic
def idea_feasible(
    *,
    actor: User,
    idea: Idea,
    reason: str,
    final_cost: int | None = None,
    now: datetime | None = None,
) -> Idea:
    now = now or timezone.now()
    locked = _locked(actor, idea, now)
    reason = _reason(reason)
    cost = _cost(final_cost, budget=locked.budget, required=False)
    fields = {"reason": reason, "reviewed_at": now}
    if cost is not None:
        fields["final_cost"] = cost
    state_move(
        locked,
        Status.FEASIBLE,
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        summary="Found the idea feasible" + (f" at {pounds(cost)}" if cost is not None else ""),
        fields=fields,
    )
    _tell(locked, "feasible")
    return locked


@transaction.atomic
def idea_not_feasible(*, actor: User, idea: Idea, reason: str, now: datetime | None = None) -> Idea:
    now = now or timezone.now()
    locked = _locked(actor, idea, now)
    reason = _reason(reason)
    state_move(
        locked,
        Status.NOT_FEASIBLE,
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        summary="Found the idea not feasible",
        fields={"reason": reason, "reviewed_at": now},
    )
    _tell(locked, "not_feasible")
    return locked


@transaction.atomic
def idea_cost_set(*, actor: User, idea: Idea, final_cost: int, now: datetime | None = None) -> Idea:
    """The council's own figure for what the idea would cost, which the ballot shows."""
    now = now or timezone.now()
    locked = _locked(actor, idea, now)
    if locked.status in (Status.MERGED, Status.WITHDRAWN):
        raise ValidationError(_("A merged or withdrawn idea has no cost to set."))
    cost = _cost(final_cost, budget=locked.budget, required=True)
    locked.final_cost = cost
    locked.save(update_fields=["final_cost"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EDIT,
        obj=locked,
        summary=f"Set the final cost to {pounds(cost)}",
    )
    return locked


@transaction.atomic
def idea_merge(
    *, actor: User, idea: Idea, into: Idea, reason: str = "", now: datetime | None = None
) -> Idea:
    """A duplicate merged into the idea that carries on. Its supporters' support moves there
    (once per person), and they and its proposer are told where to find it."""
    now = now or timezone.now()
    require(actor, "budgets.review_idea", idea, message=NOT_RUNNER)
    if into.pk == idea.pk:
        raise ValidationError({"into": _("Choose another idea to merge this one into")})
    # Both rows locked, in a fixed order, so that two merges of the pair cannot deadlock.
    rows = {
        row.pk: row
        for row in Idea.objects.select_for_update(of=("self",))
        .select_related("process__department__organisation", "proposer", "budget")
        .filter(pk__in=[idea.pk, into.pk])
        .order_by("pk")
    }
    locked, target = rows[idea.pk], rows[into.pk]
    refusal = _phase_refusal(locked.process, "review", now)
    if refusal is not None:
        raise refusal
    if target.process_id != locked.process_id:
        raise ValidationError({"into": _("Choose an idea of the same process")})
    if target.status not in (Status.PROPOSED, Status.FEASIBLE, Status.ON_BALLOT):
        raise ValidationError(
            {"into": _("Choose an idea that is proposed, feasible or on the ballot")}
        )
    reason = _reason(reason, required=False)
    supporters = list(
        Support.objects.filter(idea=locked, user__isnull=False)
        .select_related("user")
        .values_list("user__email", flat=True)
    )
    state_move(
        locked,
        Status.MERGED,
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        summary=f"Merged the idea into idea #{target.pk}",
        fields={"merged_into": target, "reason": reason, "reviewed_at": now},
    )
    already = Support.objects.filter(idea=target, user__isnull=False).values("user")
    try:
        with transaction.atomic():
            moved = (
                Support.objects.filter(idea=locked).exclude(user__in=already).update(idea=target)
            )
    except IntegrityError:
        # One of its supporters supported the other idea at this very moment.
        raise ValidationError(
            {"into": _("Someone supported one of the ideas just now. Merge them again.")}
        ) from None
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EDIT,
        obj=target,
        summary=f"Took in idea #{locked.pk} and {moved} of its supports",
    )
    context = {"idea": locked, "into": target, "url": idea_url(target), "process": locked.process}
    organisation = locked.process.organisation
    proposer = locked.proposer.email if locked.proposer else ""
    messages = []
    for email in dict.fromkeys([proposer, *supporters]):
        if not email:
            continue
        subject, text = _drawn("merged", to_proposer=email == proposer, **context)
        messages.append(
            {"organisation": organisation, "to_email": email, "subject": subject, "text": text}
        )
    transactional_enqueue_many(messages)
    return locked


@transaction.atomic
def idea_ballot_add(*, actor: User, idea: Idea, now: datetime | None = None) -> Idea:
    now = now or timezone.now()
    locked = _locked(actor, idea, now)
    if locked.status == Status.FEASIBLE and locked.final_cost is None:
        raise ValidationError(
            {"final_cost": _("Set the idea's final cost before it goes on the ballot")}
        )
    state_move(
        locked,
        Status.ON_BALLOT,
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        summary="Put the idea on the ballot",
        fields={"reviewed_at": now},
    )
    _tell(locked, "on_ballot", voting_opens=day(locked.process.voting_opens_at))
    return locked


@transaction.atomic
def idea_ballot_remove(*, actor: User, idea: Idea, now: datetime | None = None) -> Idea:
    now = now or timezone.now()
    locked = _locked(actor, idea, now)
    if locked.status != Status.ON_BALLOT:
        raise ValidationError(
            _("Only an idea on the ballot can be taken off it."), code="transition"
        )
    state_move(
        locked,
        Status.FEASIBLE,
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        summary="Took the idea off the ballot",
        fields={"reviewed_at": now},
    )
    _tell(locked, "off_ballot")
    return locked


@transaction.atomic
def idea_withdraw(
    *, actor: User, idea: Idea, reason: str = "", now: datetime | None = None
) -> Idea:
    """Its proposer withdraws it, or the council removes it (an officer gives the reason, which
    is shown). Until voting opens."""
    now = now or timezone.now()
    locked = _locked(
        actor, idea, now, permission="budgets.withdraw_idea", message=_("This is not your idea.")
    )
    by_proposer = locked.proposer_id == actor.pk
    reason = _reason(reason, required=not by_proposer)
    if by_proposer and not reason:
        reason = _("Its proposer withdrew it.")
    state_move(
        locked,
        Status.WITHDRAWN,
        # The audit log is append-only and never holds a resident: a proposer's own withdrawal
        # is recorded without naming them.
        actor=None if by_proposer else actor,
        action=AuditEntry.Action.MODERATE,
        summary="Withdrew the idea" + (" (its proposer)" if by_proposer else ""),
        fields={"reason": reason, "reviewed_at": now},
    )
    if not by_proposer:
        _tell(locked, "withdrawn")
    return locked
