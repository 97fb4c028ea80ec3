"""Following a debate, the mail its followers get, and the council's conclusion.

    follow_start          a signed-in resident follows a debate, consenting to its e-mails
    follow_stop           ... stops following it, and its e-mails stop
    is_following          whether they follow it now (a follow with a live consent)
    reply_notify          a follower hears that someone replied to their comment (once)
    digests_send          each follower's digest of the day: what is new since the last (once)
    conclusion_problems   what stops a conclusion from being published, by field
    conclusion_publish    an officer publishes the conclusion of a closed debate (once)
    conclusion_tell       everyone who asked to hear about the debate is told of it (once)

Following needs the person's explicit consent to the debate's purpose (services.debate_purpose,
the one a point's or comment's "Tell me how this debate goes" gives too). Mail goes only while
that consent is live, so the one-click unsubscribe every message carries stops it at once.

Each message is recorded in the same transaction as its delivery row: a reply or a day's digest
by a FollowMail with a unique key, the conclusion's notice by Conclusion.told_at under a lock. A
task run twice, or a worker killed half-way, neither repeats nor loses a message.
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
from civic.models import AuditEntry, User
from civic.queueing import queue_after_commit
from civic.services import audit_record, require
from contacts.models import ConsentPurpose, Contact
from contacts.services import consent_give, consent_is_live, consent_withdraw, contact_for_email
from debates.models import SOURCE_DEBATE, Comment, Conclusion, Debate, Follow, FollowMail, Point
from debates.services import NOT_RUNNER, _signed_in, debate_purpose, debate_url
from mailing.services import transactional_enqueue_many
from mailing.services.notices import NOTICE_BATCH, consenters
from mailing.services.unsubscribe import unsubscribe_token

CONCLUDE = "debates.conclude_debate"
FOLLOW_CONSENT = gettext_lazy(
    "I agree to get e-mails about this debate: when someone replies to my comments, a daily "
    "digest of what is new, and what the council concludes"
)
CONCLUSION_TELL_TASK = "debates.tasks.conclusion_tell_task"
# How long the record of a day's digest is kept (a day's rerun needs it; nothing later does).
DIGEST_RECORD_DAYS = 7


# Following --------------------------------------------------------------------------------------


def _consent_method(debate: Debate) -> str:
    return _("Followed the debate “%(question)s”") % {"question": debate.question[:150]}


def is_following(*, user, debate: Debate) -> bool:
    """Whether the person follows the debate now: a follow whose consent is still live (an
    unsubscribe ends it without removing the row)."""
    if not getattr(user, "is_authenticated", False):
        return False
    follow = Follow.objects.select_related("contact").filter(debate=debate, user=user).first()
    if follow is None:
        return False
    purpose = _existing_purpose(debate)
    return purpose is not None and consent_is_live(contact=follow.contact, purpose=purpose)


def _existing_purpose(debate: Debate) -> ConsentPurpose | None:
    """The debate's purpose if anyone has consented to it; None without making one."""
    return ConsentPurpose.objects.filter(
        organisation_id=debate.organisation_id, slug=f"debate-{debate.pk}"
    ).first()


@transaction.atomic
def follow_start(
    *, user: User, debate: Debate, consents: bool, now: datetime | None = None
) -> Follow:
    """A signed-in resident follows a published debate. Needs their consent, given here and
    never assumed; following twice keeps one follow (the database is the referee)."""
    now = now or timezone.now()
    _signed_in(user)
    if debate.status != Debate.Status.PUBLISHED:
        raise Refused(_("You can follow a debate once it is published."), code="closed")
    if not consents:
        raise ValidationError(
            {"consents": _("Tick the box to agree to e-mails about this debate")},
            code="required",
        )
    contact = contact_for_email(
        organisation=debate.organisation,
        email=user.email,
        source=SOURCE_DEBATE,
        name=user.name,
        user=user,
    )
    purpose = debate_purpose(debate)
    live = consent_is_live(contact=contact, purpose=purpose)
    try:
        with transaction.atomic():
            follow = Follow.objects.create(
                debate=debate, user=user, contact=contact, created_at=now, digest_since=now
            )
    except IntegrityError:
        follow = Follow.objects.get(debate=debate, user=user)
        if not live:
            # Back after an unsubscribe: the digest starts from now, not from before it.
            Follow.objects.filter(pk=follow.pk).update(contact=contact, digest_since=now)
    if not live:
        consent_give(
            contact=contact,
            purpose=purpose,
            method=_consent_method(debate),
            wording=str(FOLLOW_CONSENT),
            at=now,
        )
    return follow


@transaction.atomic
def follow_stop(*, user: User, debate: Debate, now: datetime | None = None) -> bool:
    """The person stops following the debate: the follow goes and so does their consent to its
    e-mails (the conclusion's too). True if they followed it."""
    now = now or timezone.now()
    _signed_in(user)
    follow = Follow.objects.select_for_update().filter(debate=debate, user=user).first()
    if follow is None:
        return False
    purpose = _existing_purpose(debate)
    if purpose is not None and consent_is_live(contact=follow.contact, purpose=purpose):
        consent_withdraw(
            contact=follow.contact,
            purpose=purpose,
            method=_("Stopped following the debate “%(question)s”")
            % {"question": debate.question[:150]},
            at=now,
        )
    follow.delete()
    return True


# The mail followers get -------------------------------------------------------------------------


def _letter(
    *, contact: Contact, purpose: ConsentPurpose, debate: Debate, subject: str, text: str
) -> dict:
    """One message to one person, with the link and the one-click header (RFC 8058) that
    withdraw their consent to the debate's e-mails."""
    token = unsubscribe_token(contact=contact, purpose=purpose)
    url = settings.CIVIC_SITE_URL + reverse("mailing:unsubscribe", args=[token])
    mailto = f"mailto:{settings.CIVIC_UNSUBSCRIBE_MAILTO}?subject=unsubscribe%20{token}"
    stop = _("To stop e-mails about this debate: %(url)s") % {"url": url}
    return {
        "organisation": debate.organisation,
        "to_email": contact.email,
        "subject": subject,
        "text": f"{text.rstrip()}\n\n{stop}\n",
        "contact": contact,
        "headers": {
            "List-Unsubscribe": f"<{url}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    }


def _drawn(template: str, **context) -> tuple[str, str]:
    context = {"site_name": settings.CIVIC_SITE_NAME, **context}
    return (
        " ".join(render_to_string(f"debates/email/{template}_subject.txt", context).split()),
        render_to_string(f"debates/email/{template}.txt", context),
    )


def _reachable(follow: Follow, purpose: ConsentPurpose | None) -> bool:
    contact = follow.contact
    return (
        purpose is not None
        and contact.anonymised_at is None
        and bool(contact.email)
        and consent_is_live(contact=contact, purpose=purpose)
    )


def _once(follow: Follow, kind: str, key: str, now: datetime) -> bool:
    """Record that the follower gets this message; False if they already did."""
    try:
        with transaction.atomic():
            FollowMail.objects.create(follow=follow, kind=kind, key=key, created_at=now)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def reply_notify(*, comment_id: int, now: datetime | None = None) -> int:
    """Tell the author of the comment replied to, if they follow the debate and did not write
    the reply themselves: once, however often this runs. How many messages (0 or 1)."""
    now = now or timezone.now()
    reply = (
        Comment.objects.select_related("parent", "debate__department__organisation")
        .filter(pk=comment_id, parent__isnull=False, deleted_at__isnull=True)
        .first()
    )
    if reply is None or reply.parent.author_id in (None, reply.author_id):
        return 0
    debate = reply.debate
    follow = (
        Follow.objects.select_related("contact")
        .filter(debate=debate, user_id=reply.parent.author_id)
        .first()
    )
    purpose = _existing_purpose(debate)
    if follow is None or not _reachable(follow, purpose):
        return 0
    if not _once(follow, FollowMail.Kind.REPLY, str(reply.pk), now):
        return 0
    subject, text = _drawn(
        "reply",
        debate=debate,
        reply=reply,
        url=f"{debate_url(debate)}#comment-{reply.pk}",
    )
    transactional_enqueue_many(
        [
            _letter(
                contact=follow.contact, purpose=purpose, debate=debate, subject=subject, text=text
            )
        ]
    )
    return 1


def digests_send(*, now: datetime | None = None) -> int:
    """The day's digest for every follower still due one: what is new in the debate since their
    last (points, comments and replies by others). Nothing is sent when nothing is new, and
    nobody gets two in a day: each follower's day is recorded with its message. Safe to run as
    often as wanted, and from several workers at once. How many digests were sent."""
    now = now or timezone.now()
    day = timezone.localdate(now).isoformat()
    # A day's record only matters on that day: older ones go, so the table stays small.
    FollowMail.objects.filter(
        kind=FollowMail.Kind.DIGEST, created_at__lt=now - timedelta(days=DIGEST_RECORD_DAYS)
    ).delete()
    due = (
        Follow.objects.filter(debate__status=Debate.Status.PUBLISHED)
        .exclude(mails__kind=FollowMail.Kind.DIGEST, mails__key=day)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(digest_send(follow_id=follow_id, day=day, now=now) for follow_id in list(due))


@transaction.atomic
def digest_send(*, follow_id: int, day: str, now: datetime) -> int:
    """One follower's digest for `day`, in one transaction with its record; 0 if it was done
    already, another worker holds the follower, or there is nothing new."""
    follow = (
        Follow.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("contact", "debate__department__organisation")
        .filter(pk=follow_id)
        .first()
    )
    if follow is None or not _once(follow, FollowMail.Kind.DIGEST, day, now):
        return 0
    debate = follow.debate
    window = {"debate": debate, "created_at__gt": follow.digest_since, "created_at__lte": now}
    Follow.objects.filter(pk=follow.pk).update(digest_since=now)
    purpose = _existing_purpose(debate)
    if not _reachable(follow, purpose):
        return 0
    points = list(
        Point.objects.filter(**window).exclude(author_id=follow.user_id).order_by("created_at")
    )
    comments = list(
        Comment.objects.filter(**window, deleted_at__isnull=True)
        .exclude(author_id=follow.user_id)
        .order_by("created_at", "pk")
    )
    if not points and not comments:
        return 0
    subject, text = _drawn(
        "digest",
        debate=debate,
        points=points,
        comments=[comment for comment in comments if comment.depth == 1],
        replies=[comment for comment in comments if comment.depth > 1],
        url=debate_url(debate),
    )
    transactional_enqueue_many(
        [
            _letter(
                contact=follow.contact, purpose=purpose, debate=debate, subject=subject, text=text
            )
        ]
    )
    return 1


# The conclusion ---------------------------------------------------------------------------------

CONCLUSION_LIMIT = 10_000


def conclusion_problems(debate: Debate, text: str, now: datetime | None = None) -> dict[str, str]:
    """What stops the conclusion from being published, by field ("" for the debate), in words
    an officer can act on. The admin's check and conclusion_publish both ask this."""
    now = now or timezone.now()
    problems: dict[str, str] = {}
    if Conclusion.objects.filter(debate=debate, published_at__isnull=False).exists():
        problems[""] = _("The conclusion of this debate is already published.")
    elif debate.stage_at(now) != Debate.Stage.CLOSED:
        if debate.closes_at is not None and debate.status == Debate.Status.PUBLISHED:
            problems[""] = _(
                "The debate closes on %(date)s: publish its conclusion once it has closed"
            ) % {"date": when(debate.closes_at)}
        else:
            problems[""] = _("Publish the debate and let it close before its conclusion")
    text = (text or "").strip()
    if not text:
        problems["text"] = _("Enter the conclusion: what the council concludes and will do")
    elif len(text) > CONCLUSION_LIMIT:
        problems["text"] = _("The conclusion must be %(limit)s characters or fewer") % {
            "limit": f"{CONCLUSION_LIMIT:,}"
        }
    return problems


def conclusion_told_count(debate: Debate) -> int:
    """How many people publishing would tell: those consenting to the debate's e-mails."""
    purpose = _existing_purpose(debate)
    return consenters(purpose).count() if purpose is not None else 0


@transaction.atomic
def conclusion_publish(
    *, actor: User, debate: Debate, text: str, now: datetime | None = None
) -> Conclusion:
    """An officer of the debate's department publishes what the council concludes, once the
    debate has closed. It shows at the top of the debate's page; everyone who asked to hear
    about the debate is told by a worker, once."""
    require(actor, CONCLUDE, debate, message=NOT_RUNNER)
    now = now or timezone.now()
    Debate.objects.select_for_update().filter(pk=debate.pk).first()
    problems = conclusion_problems(debate, text, now)
    if problems:
        raise ValidationError({key or "__all__": message for key, message in problems.items()})
    conclusion = Conclusion.objects.create(
        debate=debate, text=text.strip(), updated_at=now, published_at=now
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.PUBLISH,
        obj=conclusion,
        summary="Published the conclusion of the debate",
    )
    queue_after_commit(CONCLUSION_TELL_TASK, conclusion.pk)
    return conclusion


@transaction.atomic
def conclusion_tell(*, conclusion_id: int, now: datetime | None = None) -> int:
    """Everyone consenting to the debate's e-mails (its followers, and those who ticked "Tell me
    how this debate goes") hears of the conclusion: all the messages and the mark that they were
    told go in one transaction under a lock, so they are told once. How many."""
    conclusion = (
        Conclusion.objects.select_for_update(of=("self",))
        .select_related("debate__department__organisation")
        .filter(pk=conclusion_id, published_at__isnull=False, told_at__isnull=True)
        .first()
    )
    if conclusion is None:
        return 0
    debate = conclusion.debate
    told = 0
    purpose = _existing_purpose(debate)
    if purpose is not None:
        subject, text = _drawn(
            "conclusion", debate=debate, conclusion=conclusion, url=debate_url(debate)
        )
        letters = []
        for contact in consenters(purpose).order_by("pk").iterator(chunk_size=NOTICE_BATCH):
            letters.append(
                _letter(contact=contact, purpose=purpose, debate=debate, subject=subject, text=text)
            )
            if len(letters) == NOTICE_BATCH:
                told += len(transactional_enqueue_many(letters))
                letters = []
        if letters:
            told += len(transactional_enqueue_many(letters))
    Conclusion.objects.filter(pk=conclusion.pk).update(told_at=now or timezone.now())
    return told
