"""Moderating petitions: a moderator holds a petition while they work on it (others wait), then
publishes, rejects, hides or removes it, each audited; the creator is told by e-mail.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.models import AuditEntry
from civic.services import require, state_move
from petitions.models import (
    Petition,
)
from petitions.services import (
    NOT_MODERATOR,
    creator_email,
    petition_email_send,
    policy_for,
)
from petitions.services.counting import count_soon, page_forget

LOCK_MINUTES = 15


def moderation_lock(*, actor, petition: Petition, now: datetime | None = None) -> bool:
    """Hold the petition for this moderator for LOCK_MINUTES (renewed while they work on it).
    False while another moderator holds it."""
    require(actor, "petitions.moderate_petition", petition, message=NOT_MODERATOR)
    now = now or timezone.now()
    held = Petition.objects.filter(
        Q(locked_by__isnull=True) | Q(locked_by=actor) | Q(locked_until__lte=now),
        pk=petition.pk,
    ).update(locked_by=actor, locked_until=now + timedelta(minutes=LOCK_MINUTES))
    if held:
        petition.locked_by, petition.locked_until = actor, now + timedelta(minutes=LOCK_MINUTES)
    return bool(held)


def moderation_unlock(*, actor, petition: Petition) -> None:
    Petition.objects.filter(pk=petition.pk, locked_by=actor).update(
        locked_by=None, locked_until=None
    )


def lock_holder(petition: Petition, *, actor, now: datetime | None = None):
    """Who else holds the petition now, or None."""
    now = now or timezone.now()
    held = petition.locked_until is not None and petition.locked_until > now
    if held and petition.locked_by_id and petition.locked_by_id != actor.pk:
        return petition.locked_by
    return None


def locked_for_action(actor, petition: Petition, now: datetime) -> Petition:
    """The petition locked in this transaction, refusing if another moderator holds it."""
    locked = (
        Petition.objects.select_for_update(of=("self",))
        .select_related("organisation", "creator")
        .get(pk=petition.pk)
    )
    page_forget(locked.pk)  # whatever the officer changes shows at once
    holder = lock_holder(locked, actor=actor, now=now)
    if holder is not None:
        raise ValidationError(
            _("%(name)s is moderating this petition; try again after %(time)s.")
            % {
                "name": holder.get_full_name() or holder.email,
                "time": timezone.localtime(locked.locked_until).strftime("%H:%M"),
            },
            code="locked",
        )
    return locked


# A decision also frees the petition from the moderator who held it.
_UNLOCKED = {"locked_by": None, "locked_until": None}


@transaction.atomic
def petition_publish(*, actor, petition: Petition, now: datetime | None = None) -> Petition:
    require(actor, "petitions.moderate_petition", petition, message=NOT_MODERATOR)
    now = now or timezone.now()
    locked = locked_for_action(actor, petition, now)
    policy = policy_for(locked.organisation)
    state_move(
        locked,
        Petition.Status.OPEN,
        actor=actor,
        action=AuditEntry.Action.PUBLISH,
        summary="Published the petition",
        fields={
            "opened_at": now,
            "closes_at": now + timedelta(days=policy.open_days),
            "moderated_at": now,
            "moderated_by": actor,
            **_UNLOCKED,
        },
    )
    email = creator_email(locked)
    if email:
        petition_email_send(locked, email, "published")
    count_soon(locked.pk)
    return locked


@transaction.atomic
def petition_reject(
    *,
    actor,
    petition: Petition,
    reason: str,
    explanation: str,
    hide: bool = False,
    now: datetime | None = None,
) -> Petition:
    """Reject with one of Petition.Reason and an explanation, both e-mailed to the creator. A
    rejected petition stays visible with its reason unless hidden for legal reasons."""
    require(actor, "petitions.moderate_petition", petition, message=NOT_MODERATOR)
    now = now or timezone.now()
    errors = {}
    if reason not in Petition.Reason.values:
        errors["rejection_reason"] = ValidationError(_("Choose a reason"), code="required")
    explanation = str(explanation or "").strip()
    if not explanation:
        errors["rejection_details"] = ValidationError(
            _("Explain the decision to the person who started the petition"), code="required"
        )
    if errors:
        raise ValidationError(errors)
    locked = locked_for_action(actor, petition, now)
    state_move(
        locked,
        Petition.Status.HIDDEN if hide else Petition.Status.REJECTED,
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        summary=f"Rejected the petition ({reason}{', hidden' if hide else ''})",
        fields={
            "rejection_reason": reason,
            "rejection_details": explanation,
            "moderated_at": now,
            "moderated_by": actor,
            **_UNLOCKED,
        },
    )
    email = creator_email(locked)
    if email:
        petition_email_send(
            locked,
            email,
            "rejected",
            reason=Petition.Reason(reason).label,
            explanation=explanation,
            hidden=hide,
        )
    return locked


@transaction.atomic
def petition_hide(*, actor, petition: Petition, now: datetime | None = None) -> Petition:
    require(actor, "petitions.moderate_petition", petition, message=NOT_MODERATOR)
    now = now or timezone.now()
    locked = locked_for_action(actor, petition, now)
    state_move(
        locked,
        Petition.Status.HIDDEN,
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        summary="Hid the petition",
        fields={"moderated_at": now, "moderated_by": actor, **_UNLOCKED},
    )
    return locked


@transaction.atomic
def petition_remove(
    *, actor, petition: Petition, reason: str, now: datetime | None = None
) -> Petition:
    """Take a petition down (its page answers 410 Gone); signatures stop counting."""
    require(actor, "petitions.moderate_petition", petition, message=NOT_MODERATOR)
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError(
            {"removed_reason": ValidationError(_("Say why the petition is removed"), "required")}
        )
    locked = locked_for_action(actor, petition, now or timezone.now())
    state_move(
        locked,
        Petition.Status.REMOVED,
        actor=actor,
        action=AuditEntry.Action.DELETE,
        summary=f"Removed the petition: {reason[:150]}",
        fields={"removed_reason": reason, **_UNLOCKED},
    )
    return locked
