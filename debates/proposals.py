"""Residents propose debates of their own in a space an officer moderates.

An officer sets up a space (`DebateSpace`, in the admin) saying what residents may propose. A
signed-in resident proposes a debate there (`debate_propose`): a question and why it matters. It
is a draft debate of the space's department, which nobody else sees, until an officer of that
department decides: publishes it through the debate's usual check page (setting its dates), or
rejects it with a reason (`proposal_reject`). Either way the proposer is e-mailed
(`proposer_tell`, also called by debates.services.debate_publish), and the decision is audited.

Public form settings, read when used:

    CIVIC_DEBATE_PROPOSAL_BURST        "3/m"   proposals from one internet address ...
    CIVIC_DEBATE_PROPOSAL_SUSTAINED    "10/h"  ... in a burst and over a longer window
    CIVIC_DEBATE_PROPOSAL_MIN_SECONDS  5       least time from drawing the form to sending it
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.form_guard import FormGuard, Limit, Refused, Setting
from civic.models import AuditEntry, User
from civic.services import require, state_move
from debates.models import Debate, DebateSpace
from debates.moderation import block_refusal
from debates.services import debate_url

QUESTION_MAX_LENGTH = 200
BACKGROUND_MAX_LENGTH = 3000
DECIDE = "debates.publish_debate"
NOT_RUNNER = gettext_lazy("You do not run this debate.")

PROPOSING = FormGuard(
    action="debates:proposal",
    salt="debates.proposal-start",
    least_seconds=Setting("CIVIC_DEBATE_PROPOSAL_MIN_SECONDS", 5),
    limits=[
        Limit("burst", "CIVIC_DEBATE_PROPOSAL_BURST", "3/m"),
        Limit("sustained", "CIVIC_DEBATE_PROPOSAL_SUSTAINED", "10/h"),
    ],
    allow_list="CIVIC_DEBATE_IP_ALLOWLIST",
    too_many=gettext_lazy(
        "There have been too many proposals from your internet connection in a short time. "
        "Try again later."
    ),
)
proposal_token = PROPOSING.token


def _words(text: str, *, field: str, required: str, limit: int, too_long: str) -> str:
    text = str(text or "").strip()
    if not text:
        raise ValidationError({field: required}, code="required")
    if len(text) > limit:
        raise ValidationError({field: too_long % {"limit": limit}}, code="max_length")
    return text


@transaction.atomic
def debate_propose(
    *,
    user: User,
    space: DebateSpace,
    question: str,
    background: str,
    honeypot: str = "",
    token: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> Debate:
    """A signed-in resident proposes a debate in a space taking proposals: a draft debate of the
    space's department, seen by nobody but its officers until one of them decides. Refused for
    what they cannot fix on the form; ValidationError by field."""
    now = now or timezone.now()
    if not getattr(user, "is_authenticated", False) or not user.email:
        raise Refused(_("Sign in to propose a debate."), code="sign_in")
    if not space.accepting:
        raise Refused(_("This space is not taking proposals at the moment."), code="closed")
    refusal = block_refusal(user, space.organisation_id, now)
    if refusal is not None:
        raise refusal
    PROPOSING.check(honeypot=honeypot, token=token, ip=ip, now=now)
    errors = {}
    try:
        question = " ".join(
            _words(
                question,
                field="question",
                required=_("Enter the question you want debated"),
                limit=QUESTION_MAX_LENGTH,
                too_long=_("Your question must be %(limit)s characters or fewer"),
            ).split()
        )
        if not question.endswith("?"):
            raise ValidationError(
                {"question": _("Enter your question, ending with a question mark")},
                code="invalid",
            )
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        background = _words(
            background,
            field="background",
            required=_("Enter why this question matters"),
            limit=BACKGROUND_MAX_LENGTH,
            too_long=_("Why it matters must be %(limit)s characters or fewer"),
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    base = slugify(question)[:100].strip("-") or "debate"
    return Debate.objects.create(
        department=space.department,
        space=space,
        proposed_by=user,
        question=question,
        summary=question,
        background=background,
        slug=f"{base}-{secrets.token_hex(3)}",
        status=Debate.Status.DRAFT,
    )


@transaction.atomic
def proposal_reject(
    *, actor: User, debate: Debate, reason: str, now: datetime | None = None
) -> Debate:
    """An officer of the debate's department rejects a proposed debate waiting for a decision,
    with the reason its proposer is e-mailed. Audited (without the reason, which may quote the
    proposer)."""
    require(actor, DECIDE, debate, message=NOT_RUNNER)
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Enter the reason, which the resident who proposed it is sent")},
            code="required",
        )
    locked = Debate.objects.select_for_update().get(pk=debate.pk)
    if locked.space_id is None:
        raise Refused(_("Only a debate a resident proposed can be rejected."), code="invalid")
    state_move(
        locked,
        Debate.Status.REJECTED,
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        summary="Rejected the proposed debate",
        fields={"rejection_reason": reason},
    )
    proposer_tell(locked)
    return locked


def proposer_tell(debate: Debate) -> bool:
    """E-mail the resident who proposed the debate what was decided (published, or rejected
    with the reason), through the mailing engine's outbox once the decision commits. False when
    nobody is to be told (an officer's own debate, or a proposer who has been erased)."""
    from mailing.services import transactional_enqueue

    proposer = debate.proposed_by
    if proposer is None or not proposer.email:
        return False
    published = debate.status == Debate.Status.PUBLISHED
    context = {
        "debate": debate,
        "space": debate.space,
        "published": published,
        "url": debate_url(debate) if published else "",
        "site_name": debate.department.organisation.name,
    }
    transactional_enqueue(
        organisation=debate.department.organisation,
        to_email=proposer.email,
        subject=render_to_string("debates/email/proposal_subject.txt", context).strip(),
        text=render_to_string("debates/email/proposal.txt", context),
    )
    return True


def proposals_of(user, space: DebateSpace):
    """The resident's own proposals in the space, newest first, for their page."""
    if not getattr(user, "is_authenticated", False):
        return Debate.objects.none()
    return space.debates.filter(proposed_by=user).order_by("-created_at", "-pk")
