"""Every change to a debate. Each officer action checks a permission and is audited.

    debate_problems   what stops a draft debate from being published, by field
    debate_publish    a draft debate goes public once it passes its checks
    debate_purpose    the consent to follow a debate, offered to those who take part
    point_add         a signed-in resident adds a point for or against while the debate is open
    point_endorse     a signed-in resident endorses a point, once (the database is the referee)

Public form settings, read when used:

    CIVIC_DEBATE_POINT_BURST        "5/m"   points from one address in a short burst
    CIVIC_DEBATE_POINT_SUSTAINED    "30/h"  ... and over a longer window
    CIVIC_DEBATE_IP_ALLOWLIST       []      networks exempt from both
    CIVIC_DEBATE_POINT_MIN_SECONDS  3       the least time from drawing the form to posting it
"""

from __future__ import annotations

from datetime import datetime

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
from civic.services import require, state_move
from contacts.models import ConsentPurpose
from contacts.services import ConsentGiven, item_purpose, participation_record
from debates.models import (
    ACTIVITY_ENDORSEMENT,
    ACTIVITY_POINT,
    SOURCE_DEBATE,
    Debate,
    Endorsement,
    Point,
)

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


def debate_problems(debate: Debate) -> dict[str, str]:
    """What stops a debate from being published, by field ("" for the debate as a whole), in
    words an officer can act on. The publish page and debate_publish both ask this."""
    problems: dict[str, str] = {}
    for name in Debate.SCHEDULE.fields():
        if getattr(debate, name) is None:
            label = str(Debate._meta.get_field(name).verbose_name)
            problems[name] = _("Enter the date the debate %(phase)s") % {"phase": label}
    for key, message in Debate.SCHEDULE.problems(debate).items():
        problems.setdefault(key, message)
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
    now = now or timezone.now()
    locked = Debate.objects.select_for_update().get(pk=debate.pk)
    problems = debate_problems(locked)
    if problems:
        raise ValidationError(
            {field or NON_FIELD_ERRORS: message for field, message in problems.items()}
        )
    state_move(
        locked,
        Debate.Status.PUBLISHED,
        actor=actor,
        action=AuditEntry.Action.PUBLISH,
        summary="Published the debate",
        fields={"published_at": now},
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


def _open_refusal(debate: Debate, now: datetime) -> Refused | None:
    """Why residents cannot argue in the debate now, in words; None if they can."""
    if debate.allows("argue", now):
        return None
    if debate.stage_at(now) == Debate.Stage.UPCOMING and debate.opens_at is not None:
        return Refused(
            _("You can take part from %(date)s.") % {"date": when(debate.opens_at)}, code="closed"
        )
    return Refused(_("This debate has closed."), code="closed")


def _record(user: User, debate: Debate, kind: str, reference: str, follows: bool, now) -> None:
    """The person took part in the debate; with their consent to follow it."""
    consents = []
    if follows:
        consents.append(
            ConsentGiven(
                purpose=debate_purpose(debate),
                wording=str(FOLLOW_WORDING),
                method=_("Debate “%(question)s”") % {"question": debate.question[:150]},
            )
        )
    participation_record(
        organisation=debate.organisation,
        email=user.email,
        kind=kind,
        item=debate,
        item_title=debate.question,
        reference=reference,
        source=SOURCE_DEBATE,
        name=user.name,
        user=user,
        department=debate.department,
        occurred_at=now,
        consents=consents,
    )


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
    refusal = _open_refusal(debate, now)
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
