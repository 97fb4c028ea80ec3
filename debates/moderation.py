"""Moderating debates: residents report what breaks the house rules, officers decide.

    report_add      a signed-in resident reports a comment or point, once; at
                    CIVIC_DEBATE_REPORT_THRESHOLD distinct reports it is hidden for review
    item_hide       an officer hides an item, reported or not, until they decide
    review_restore  an officer puts a hidden item back, with a reason the author is told
    review_remove   an officer takes an item off the page for good, with a reason the author is told
    account_block   an officer stops an account adding points or comments in the organisation's
                    debates for one of BLOCK_DAYS
    block_lift      an officer ends a block early
    block_refusal   why an account cannot take part now (the services of debates ask it)

The review row of an item is the referee of its state: reports and decisions lock it, so that the
threshold is passed once however many residents report at the same moment, and two officers'
clicks make one decision. Every officer action is audited; the hiding at the threshold is audited
as the platform's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.form_guard import Refused
from civic.formatting import when
from civic.models import AuditEntry, Organisation, User
from civic.services import audit_record, require, state_move
from debates.models import Block, Comment, Point, Report, Review
from mailing.services import transactional_enqueue

MODERATE = "debates.moderate_debate"
BLOCK = "debates.block_account"
NOT_MODERATOR = gettext_lazy("You do not moderate this debate.")
NOT_BLOCKER = gettext_lazy("You do not moderate this council's debates.")
DETAIL_LIMIT = 500
# How long an officer may block an account for, in days, with the words the form offers.
BLOCK_DAYS = {
    1: gettext_lazy("1 day"),
    7: gettext_lazy("7 days"),
    30: gettext_lazy("30 days"),
    90: gettext_lazy("90 days"),
    365: gettext_lazy("1 year"),
}
Status = Review.Status


def report_threshold() -> int:
    return max(1, int(settings.CIVIC_DEBATE_REPORT_THRESHOLD))


def item_url(item: Comment | Point) -> str:
    """Where the item is on its debate's page."""
    kind = "comment" if isinstance(item, Comment) else "point"
    path = reverse("debates:debate", args=[item.debate.slug])
    return f"{settings.CIVIC_SITE_URL}{path}#{kind}-{item.pk}"


def _detail(detail: str) -> str:
    detail = str(detail or "").strip()
    if len(detail) > DETAIL_LIMIT:
        raise ValidationError(
            {
                "detail": _("The detail must be %(limit)s characters or fewer")
                % {"limit": DETAIL_LIMIT}
            }
        )
    return detail


def _review(*, comment: Comment | None, point: Point | None, now: datetime) -> Review:
    """The item's review, made if it has none (two at once make one: the database is the
    referee), and locked for the rest of the transaction."""
    if (comment is None) == (point is None):
        raise ValueError("Name a comment or a point")
    item = comment or point
    Review.objects.bulk_create(
        [Review(debate_id=item.debate_id, comment=comment, point=point, created_at=now)],
        ignore_conflicts=True,
    )
    found = Review.objects.select_for_update(of=("self",)).select_related("debate__department")
    if comment is not None:
        return found.select_related("comment__author").get(comment=comment)
    return found.select_related("point__author").get(point=point)


# Reporting --------------------------------------------------------------------------------------


@transaction.atomic
def report_add(
    *,
    user: User,
    comment: Comment | None = None,
    point: Point | None = None,
    reason: str,
    detail: str = "",
    now: datetime | None = None,
) -> Report:
    """A signed-in resident reports a comment or point, once. Raises Refused for what they
    cannot fix on the form, ValidationError by field."""
    now = now or timezone.now()
    if not getattr(user, "is_authenticated", False):
        raise Refused(_("Sign in to report something."), code="sign_in")
    item = comment or point
    if item is not None and item.author_id == user.pk:
        raise Refused(_("You cannot report what you wrote yourself."), code="own")
    if comment is not None and comment.deleted_at is not None:
        raise Refused(_("This comment has been deleted."), code="deleted")
    errors = {}
    if reason not in Report.Reason.values:
        errors["reason"] = _("Choose why you are reporting it")
    try:
        detail = _detail(detail)
    except ValidationError as error:
        errors.update(error.message_dict)
    if reason == Report.Reason.OTHER and not detail and "detail" not in errors:
        errors["detail"] = _("Say what is wrong with it, since you chose “Something else”")
    if errors:
        raise ValidationError(errors)
    review = _review(comment=comment, point=point, now=now)
    if review.status == Status.REMOVED:
        raise Refused(_("A moderator has removed this already."), code="removed")
    try:
        with transaction.atomic():
            report = Report.objects.create(
                review=review, reporter=user, reason=reason, detail=detail, created_at=now
            )
    except IntegrityError:
        raise Refused(
            _("You have reported this already. A moderator will look at it."), code="already"
        ) from None
    # Counted under the review's lock, after every earlier report committed: passed once.
    count = review.reports.count()
    if review.status == Status.REPORTED and count >= report_threshold():
        state_move(
            review,
            Status.HIDDEN,
            actor=None,
            action=AuditEntry.Action.MODERATE,
            summary=f"Hidden for review after {count} reports",
            fields={"hidden_at": now},
        )
    return report


# Deciding ---------------------------------------------------------------------------------------


def _decision(decision: str, detail: str) -> tuple[str, str]:
    errors = {}
    if decision not in Review.Decision.values:
        errors["decision"] = _("Choose the reason the author will be told")
    try:
        detail = _detail(detail)
    except ValidationError as error:
        errors.update(error.message_dict)
    if decision == Review.Decision.OTHER and not detail and "detail" not in errors:
        errors["detail"] = _("Write the reason, since you chose “Another reason”")
    if errors:
        raise ValidationError(errors)
    return decision, detail


def _tell_author(review: Review, template: str) -> None:
    """The author hears of the decision and its reason, whatever they consented to."""
    item = review.item
    author = item.author
    if author is None or not author.email:
        return
    context = {
        "site_name": settings.CIVIC_SITE_NAME,
        "kind": _("comment") if review.comment_id else _("point"),
        "text": item.text,
        "debate": review.debate,
        "reason": review.get_decision_display(),
        "detail": review.decision_detail,
        "url": item_url(item),
    }
    transactional_enqueue(
        organisation=review.debate.department.organisation,
        to_email=author.email,
        subject=" ".join(
            render_to_string(f"debates/email/{template}_subject.txt", context).split()
        ),
        text=render_to_string(f"debates/email/{template}.txt", context),
    )


# What each decision does: its state, its audit summary and the author's e-mail.
DECISIONS = {
    Status.RESTORED: ("Restored the item", "restored"),
    Status.REMOVED: ("Removed the item", "removed"),
}


def _decide(*, actor: User, review: Review, target: str, decision: str, detail: str, now) -> Review:
    require(actor, MODERATE, review.debate, message=NOT_MODERATOR)
    decision, detail = _decision(decision, detail)
    now = now or timezone.now()
    summary, template = DECISIONS[target]
    locked = _review(comment=review.comment, point=review.point, now=now)
    state_move(
        locked,
        target,
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        summary=f"{summary} ({decision})",
        fields={
            "decided_at": now,
            "decided_by": actor,
            "decision": decision,
            "decision_detail": detail,
        },
    )
    _tell_author(locked, template)
    return locked


@transaction.atomic
def review_restore(
    *, actor: User, review: Review, decision: str, detail: str = "", now: datetime | None = None
) -> Review:
    """A hidden item goes back on the page; its author is told why."""
    return _decide(actor=actor, review=review, target=Status.RESTORED, decision=decision,
                   detail=detail, now=now)  # fmt: skip


@transaction.atomic
def review_remove(
    *, actor: User, review: Review, decision: str, detail: str = "", now: datetime | None = None
) -> Review:
    """The item leaves the page for good; its author is told why."""
    return _decide(actor=actor, review=review, target=Status.REMOVED, decision=decision,
                   detail=detail, now=now)  # fmt: skip


@transaction.atomic
def item_review(
    *,
    actor: User,
    comment: Comment | None = None,
    point: Point | None = None,
    now: datetime | None = None,
) -> Review:
    """The review of an item an officer moderates, reported or not (made if it has none)."""
    item = comment or point
    require(actor, MODERATE, item.debate if item is not None else None, message=NOT_MODERATOR)
    return _review(comment=comment, point=point, now=now or timezone.now())


@transaction.atomic
def item_hide(*, actor: User, review: Review, now: datetime | None = None) -> Review:
    """An officer hides an item until they restore or remove it."""
    require(actor, MODERATE, review.debate, message=NOT_MODERATOR)
    now = now or timezone.now()
    locked = _review(comment=review.comment, point=review.point, now=now)
    state_move(
        locked,
        Status.HIDDEN,
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        summary="Hid the item for review",
        fields={"hidden_at": now},
    )
    return locked


# Blocking ---------------------------------------------------------------------------------------


def block_refusal(user: User, organisation_id: int, now: datetime) -> Refused | None:
    """Why the account cannot add points or comments in the organisation's debates now; None
    if it can."""
    block = (
        Block.objects.in_force(now)
        .filter(user_id=user.pk, organisation_id=organisation_id)
        .order_by("-until")
        .first()
    )
    if block is None:
        return None
    return Refused(
        _(
            "A moderator has stopped your account from adding points and comments in this "
            "council's debates until %(date)s. You can still read them."
        )
        % {"date": when(block.until)},
        code="blocked",
    )


@transaction.atomic
def account_block(
    *,
    actor: User,
    user: User,
    organisation: Organisation,
    days: int,
    reason: str,
    now: datetime | None = None,
) -> Block:
    """An officer stops an account adding points and comments in their organisation's debates
    for one of BLOCK_DAYS. A longer block already in force stays; a shorter one is replaced."""
    require(actor, BLOCK, organisation, message=NOT_BLOCKER)
    now = now or timezone.now()
    errors = {}
    if days not in BLOCK_DAYS:
        errors["days"] = _("Choose how long to block the account for")
    if reason not in Review.Decision.values or reason == Review.Decision.KEPT:
        errors["reason"] = _("Choose why you are blocking the account")
    if user.is_staff or user.is_superuser:
        errors["__all__"] = _("Staff accounts cannot be blocked here.")
    if errors:
        raise ValidationError(errors)
    until = now + timedelta(days=days)
    in_force = (
        Block.objects.select_for_update().in_force(now).filter(user=user, organisation=organisation)
    )
    for older in in_force:
        older.lifted_at, older.lifted_by = now, actor
        older.save(update_fields=["lifted_at", "lifted_by"])
    block = Block.objects.create(
        organisation=organisation,
        user=user,
        until=until,
        reason=reason,
        created_at=now,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        obj=block,
        summary=f"Blocked account #{user.pk} from debates for {days} days ({reason})",
    )
    return block


@transaction.atomic
def block_lift(*, actor: User, block: Block, now: datetime | None = None) -> Block:
    """An officer ends a block early."""
    require(actor, BLOCK, block.organisation, message=NOT_BLOCKER)
    now = now or timezone.now()
    locked = Block.objects.select_for_update().get(pk=block.pk)
    if locked.lifted_at is not None or locked.until <= now:
        raise ValidationError(_("This block has ended already."))
    locked.lifted_at, locked.lifted_by = now, actor
    locked.save(update_fields=["lifted_at", "lifted_by"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        obj=locked,
        summary=f"Lifted the block on account #{locked.user_id} early",
    )
    return locked
