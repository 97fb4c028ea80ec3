"""Every change to a debate. Each officer action checks a permission and is audited.

    debate_problems   what stops a draft debate from being published, by field
    debate_publish    a draft debate goes public once it passes its checks
    debate_purpose    the consent to follow a debate, offered to those who take part
    point_add         a signed-in resident adds a point for or against while the debate is open
    point_endorse     a signed-in resident endorses a point, once (the database is the referee)
    comment_post      a signed-in resident comments or replies (three levels) with a stance
    comment_edit      its author edits a comment within CIVIC_DEBATE_COMMENT_EDIT_MINUTES
    comment_delete    its author deletes a comment; its place in the thread stays
    comment_vote      up or down, one per person per comment, changeable

An account an officer has blocked (debates.moderation.account_block) adds and edits nothing.

Public form settings, read when used:

    CIVIC_DEBATE_POINT_BURST        "5/m"   points from one address in a short burst
    CIVIC_DEBATE_POINT_SUSTAINED    "30/h"  ... and over a longer window
    CIVIC_DEBATE_IP_ALLOWLIST       []      networks exempt from both
    CIVIC_DEBATE_POINT_MIN_SECONDS  3       the least time from drawing the form to posting it
    CIVIC_DEBATE_COMMENT_BURST, _SUSTAINED, _MIN_SECONDS   the same for comments
    CIVIC_DEBATE_COMMENT_EDIT_MINUTES  15   how long its author may edit a comment
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.form_guard import FormGuard, Limit, Refused, Setting
from civic.formatting import when
from civic.models import AuditEntry, User
from civic.queueing import queue_after_commit
from civic.services import require, state_move
from contacts.models import ConsentPurpose
from contacts.services import ConsentGiven, item_purpose, participation_with_consent
from debates.models import (
    ACTIVITY_COMMENT,
    ACTIVITY_ENDORSEMENT,
    ACTIVITY_POINT,
    COMMENT_DEPTH_LIMIT,
    RESERVED_DEBATE_SLUGS,
    SOURCE_DEBATE,
    Comment,
    CommentVote,
    Debate,
    Endorsement,
    Point,
    Review,
)
from debates.moderation import block_refusal

NOT_RUNNER = gettext_lazy("You do not run this debate.")
POINT_LIMIT = 280
FOLLOW_WORDING = gettext_lazy("Tell me how this debate goes")

# The add-a-point form: a resident must be signed in, so a script needs an account; the guard
# still keeps one account or address from filling a debate with points.
POINTING = FormGuard(
    action="debates:point",
    salt="debates.point-start",
    least_seconds=Setting("CIVIC_DEBATE_POINT_MIN_SECONDS", 3),
    limits=[
        Limit("burst", "CIVIC_DEBATE_POINT_BURST", "5/m"),
        Limit("sustained", "CIVIC_DEBATE_POINT_SUSTAINED", "30/h"),
    ],
    allow_list="CIVIC_DEBATE_IP_ALLOWLIST",
    too_many=gettext_lazy(
        "There have been too many points from your internet connection in a short time. "
        "Try again later."
    ),
)
point_token = POINTING.token


def debate_url(debate: Debate) -> str:
    return settings.CIVIC_SITE_URL + reverse("debates:debate", args=[debate.slug])


# Publishing -------------------------------------------------------------------------------------


def dates_problems(item, *, missing: str) -> dict[str, str]:
    """The problems of a debate's or a conversation's dates, by field: each date not set (in
    the words of `missing`, given the phase: "Enter the date the debate %(phase)s"), then what
    its schedule says of the dates it has."""
    problems: dict[str, str] = {}
    schedule = type(item).SCHEDULE
    for name in schedule.fields():
        if getattr(item, name) is None:
            label = str(item._meta.get_field(name).verbose_name)
            problems[name] = str(missing) % {"phase": label}
    for key, message in schedule.problems(item).items():
        problems.setdefault(key, message)
    return problems


def debate_problems(debate: Debate) -> dict[str, str]:
    """What stops a debate from being published, by field ("" for the debate as a whole), in
    words an officer can act on. The publish page and debate_publish both ask this."""
    problems: dict[str, str] = {}
    if debate.slug in RESERVED_DEBATE_SLUGS:
        problems["slug"] = _("Choose another web address: this one is taken by the site's pages")
    problems.update(
        dates_problems(debate, missing=gettext_lazy("Enter the date the debate %(phase)s"))
    )
    if not debate.background.strip():
        problems["background"] = _("Enter the background residents need to take part")
    consultation = debate.consultation
    if consultation is not None:
        if consultation.department.organisation_id != debate.organisation_id:
            problems["consultation"] = _("Choose a consultation of your own council")
        elif consultation.published_at is None:
            problems["consultation"] = _(
                "Publish the consultation “%(title)s” first, or choose another"
            ) % {"title": consultation.title}
    return problems


@transaction.atomic
def debate_publish(*, actor: User, debate: Debate, now: datetime | None = None) -> Debate:
    require(actor, "debates.publish_debate", debate, message=NOT_RUNNER)
    published = publish_checked(
        debate, debate_problems, actor=actor, summary="Published the debate", now=now
    )
    if published.proposed_by_id is not None:  # a resident proposed it: they are told
        from debates.proposals import proposer_tell

        proposer_tell(published)
    return published


def publish_checked(item, problems_of, *, actor: User, summary: str, now: datetime | None):
    """Publish a debate or a conversation (the caller has checked the officer): the row locked,
    refused by field while `problems_of` finds any, else moved to published and audited."""
    locked = type(item).objects.select_for_update().get(pk=item.pk)
    problems = problems_of(locked)
    if problems:
        raise ValidationError(
            {field or NON_FIELD_ERRORS: message for field, message in problems.items()}
        )
    state_move(
        locked,
        type(item).Status.PUBLISHED,
        actor=actor,
        action=AuditEntry.Action.PUBLISH,
        summary=summary,
        fields={"published_at": now or timezone.now()},
    )
    return locked


# Taking part ------------------------------------------------------------------------------------


def debate_purpose(debate: Debate) -> ConsentPurpose:
    """The consent purpose "follow this debate": how it goes, and what the council concludes."""
    return item_purpose(
        organisation_id=debate.organisation_id,
        item=debate,
        name=_("Following the debate “%(question)s”") % {"question": debate.question[:150]},
        description=_("An e-mail about how the debate goes and what the council concludes."),
    )


def _signed_in(user) -> None:
    if not getattr(user, "is_authenticated", False) or not user.email:
        raise Refused(_("Sign in to take part."), code="sign_in")


def _open_refusal(debate: Debate, now: datetime, action: str = "argue") -> Refused | None:
    """Why residents cannot argue (or comment) in the debate now, in words; None if they can."""
    if debate.allows(action, now):
        return None
    if debate.stage_at(now) == Debate.Stage.UPCOMING and debate.opens_at is not None:
        return Refused(
            _("You can take part from %(date)s.") % {"date": when(debate.opens_at)}, code="closed"
        )
    return Refused(_("This debate has closed."), code="closed")


def _record(user: User, debate: Debate, kind: str, reference: str, follows: bool, now) -> None:
    """The person took part in the debate; with their consent to follow it."""
    consent = None
    if follows:
        consent = ConsentGiven(
            purpose=debate_purpose(debate),
            wording=str(FOLLOW_WORDING),
            method=_("Debate “%(question)s”") % {"question": debate.question[:150]},
        )
    participation_with_consent(
        item=debate, item_title=debate.question, kind=kind, reference=reference,
        source=SOURCE_DEBATE, user=user, occurred_at=now, consent=consent,
    )  # fmt: skip


@transaction.atomic
def point_add(
    *,
    user: User,
    debate: Debate,
    side: str,
    text: str,
    follows: bool = False,
    honeypot: str = "",
    token: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> Point:
    """A signed-in resident adds a point for or against while the debate is open. Raises
    Refused for what they cannot fix on the form, ValidationError by field."""
    now = now or timezone.now()
    _signed_in(user)
    refusal = _open_refusal(debate, now) or block_refusal(user, debate.organisation_id, now)
    if refusal is not None:
        raise refusal
    POINTING.check(honeypot=honeypot, token=token, ip=ip, now=now)
    errors: dict[str, ValidationError] = {}
    text = " ".join(str(text or "").split())
    if side not in Point.Side.values:
        errors["side"] = ValidationError(
            _("Choose whether your point is for or against"), code="required"
        )
    if not text:
        errors["text"] = ValidationError(_("Enter your point"), code="required")
    elif len(text) > POINT_LIMIT:
        errors["text"] = ValidationError(
            _("Your point must be %(limit)s characters or fewer: make one point at a time")
            % {"limit": POINT_LIMIT},
            code="max_length",
        )
    if errors:
        raise ValidationError(errors)
    point = Point.objects.create(debate=debate, side=side, text=text, author=user, created_at=now)
    _record(user, debate, ACTIVITY_POINT, f"point-{point.pk}", follows, now)
    return point


def point_endorse(
    *, user: User, point: Point, follows: bool = False, now: datetime | None = None
) -> Endorsement:
    """A signed-in resident endorses a point while the debate is open. Once per person: a
    second endorsement, even sent at the same moment, is refused by the database."""
    now = now or timezone.now()
    _signed_in(user)
    refusal = _open_refusal(point.debate, now)
    if refusal is not None:
        raise refusal
    try:
        with transaction.atomic():
            endorsement = Endorsement.objects.create(point=point, user=user, created_at=now)
            _record(
                user, point.debate, ACTIVITY_ENDORSEMENT, f"endorsement-{endorsement.pk}",
                follows, now,
            )  # fmt: skip
    except IntegrityError:
        if not Endorsement.objects.filter(point=point, user=user).exists():
            raise
        raise Refused(_("You already endorse this point."), code="already") from None
    return endorsement


# Comments ---------------------------------------------------------------------------------------

COMMENT_LIMIT = 2000
DELETED_TEXT = gettext_lazy("Comment deleted")

COMMENTING = FormGuard(
    action="debates:comment",
    salt="debates.comment-start",
    least_seconds=Setting("CIVIC_DEBATE_COMMENT_MIN_SECONDS", 3),
    limits=[
        Limit("burst", "CIVIC_DEBATE_COMMENT_BURST", "10/m"),
        Limit("sustained", "CIVIC_DEBATE_COMMENT_SUSTAINED", "120/h"),
    ],
    allow_list="CIVIC_DEBATE_IP_ALLOWLIST",
    too_many=gettext_lazy(
        "There have been too many comments from your internet connection in a short time. "
        "Try again later."
    ),
)
comment_token = COMMENTING.token


def _comment_errors(stance: str, text: str) -> dict[str, ValidationError]:
    errors: dict[str, ValidationError] = {}
    if stance not in Comment.Stance.values:
        errors["stance"] = ValidationError(
            _("Choose whether you are for, against or neutral"), code="required"
        )
    if not text:
        errors["text"] = ValidationError(_("Enter your comment"), code="required")
    elif len(text) > COMMENT_LIMIT:
        errors["text"] = ValidationError(
            _("Your comment must be %(limit)s characters or fewer") % {"limit": COMMENT_LIMIT},
            code="max_length",
        )
    return errors


@transaction.atomic
def comment_post(
    *,
    user: User,
    debate: Debate,
    stance: str,
    text: str,
    parent: Comment | None = None,
    follows: bool = False,
    honeypot: str = "",
    token: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> Comment:
    """A signed-in resident comments on an open debate, or replies to a comment, up to three
    levels deep. Raises Refused for what they cannot fix on the form, ValidationError by field."""
    now = now or timezone.now()
    _signed_in(user)
    refusal = _open_refusal(debate, now, action="comment") or block_refusal(
        user, debate.organisation_id, now
    )
    if refusal is not None:
        raise refusal
    COMMENTING.check(honeypot=honeypot, token=token, ip=ip, now=now)
    if parent is not None:
        if parent.debate_id != debate.pk:
            raise Refused(_("You can only reply to a comment in this debate."), code="invalid")
        _refuse_unseen(parent)
        if parent.depth >= COMMENT_DEPTH_LIMIT:
            raise Refused(
                _("Replies go %(limit)s levels deep: reply to the comment above instead.")
                % {"limit": COMMENT_DEPTH_LIMIT},
                code="too_deep",
            )
    text = str(text or "").strip()
    errors = _comment_errors(stance, text)
    if errors:
        raise ValidationError(errors)
    comment = Comment.objects.create(
        debate=debate,
        parent=parent,
        depth=1 if parent is None else parent.depth + 1,
        stance=stance,
        text=text,
        author=user,
        created_at=now,
    )
    thread_id = comment.pk if parent is None else parent.thread_id
    Comment.objects.filter(pk=comment.pk).update(thread_id=thread_id)
    comment.thread_id = thread_id
    _record(user, debate, ACTIVITY_COMMENT, f"comment-{comment.pk}", follows, now)
    if parent is not None:
        # Its author hears of it if they follow the debate (debates.following.reply_notify).
        queue_after_commit("debates.tasks.reply_notify_task", comment.pk)
    return comment


def _own(user: User, comment: Comment) -> Comment:
    """The comment, locked, if it is the user's and not deleted; else Refused."""
    _signed_in(user)
    locked = Comment.objects.select_for_update().get(pk=comment.pk)
    if locked.author_id != user.pk:
        raise Refused(_("You can only change your own comments."), code="not_yours")
    if locked.deleted_at is not None:
        raise Refused(_("This comment has been deleted."), code="deleted")
    return locked


def edit_window() -> timedelta:
    return timedelta(minutes=settings.CIVIC_DEBATE_COMMENT_EDIT_MINUTES)


@transaction.atomic
def comment_edit(
    *, user: User, comment: Comment, stance: str, text: str, now: datetime | None = None
) -> Comment:
    """Its author edits a comment within the edit window (CIVIC_DEBATE_COMMENT_EDIT_MINUTES)
    of posting it; the page then says it was edited."""
    now = now or timezone.now()
    locked = _own(user, comment)
    refusal = block_refusal(user, locked.debate.organisation_id, now)
    if refusal is not None:
        raise refusal
    if now > locked.created_at + edit_window():
        raise Refused(
            _("Comments can be changed for %(minutes)s minutes after posting.")
            % {"minutes": settings.CIVIC_DEBATE_COMMENT_EDIT_MINUTES},
            code="too_late",
        )
    text = str(text or "").strip()
    errors = _comment_errors(stance, text)
    if errors:
        raise ValidationError(errors)
    Comment.objects.filter(pk=locked.pk).update(stance=stance, text=text, edited_at=now)
    locked.stance, locked.text, locked.edited_at = stance, text, now
    return locked


@transaction.atomic
def comment_delete(*, user: User, comment: Comment, now: datetime | None = None) -> Comment:
    """Its author deletes a comment: the words go, its place in the thread and its replies stay
    ("Comment deleted")."""
    now = now or timezone.now()
    locked = _own(user, comment)
    Comment.objects.filter(pk=locked.pk).update(text="", deleted_at=now)
    locked.text, locked.deleted_at = "", now
    return locked


def _refuse_unseen(comment: Comment) -> None:
    """Nobody votes on or replies to a comment that moderators have hidden or removed."""
    if Review.objects.filter(comment=comment, status__in=Review.UNSEEN).exists():
        raise Refused(
            _("This comment is hidden while a moderator reviews it, or has been removed."),
            code="hidden",
        )


def comment_vote(*, user: User, comment: Comment, value: int, now: datetime | None = None) -> int:
    """Up (+1) or down (-1): one vote per person per comment, changed by voting again. The
    database keeps it to one row even when two arrive at once (INSERT ... ON CONFLICT UPDATE).
    Gives the value now recorded."""
    now = now or timezone.now()
    _signed_in(user)
    if value not in (-1, 1):
        raise ValidationError({"value": _("Choose up or down")})
    refusal = _open_refusal(comment.debate, now, action="comment")
    if refusal is not None:
        raise refusal
    if comment.deleted_at is not None:
        raise Refused(_("This comment has been deleted."), code="deleted")
    _refuse_unseen(comment)
    CommentVote.objects.bulk_create(
        [CommentVote(comment=comment, user=user, value=value, created_at=now)],
        update_conflicts=True,
        unique_fields=["comment", "user"],
        update_fields=["value"],
    )
    return value
