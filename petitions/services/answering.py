"""The council's answer to a published petition: its response and a debate (date, then outcome),
each audited; signers who asked to hear are told by e-mail (from a worker, in one go).
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.models import AuditEntry
from civic.queueing import queue_after_commit
from civic.services import audit_record, require
from mailing.services.notices import consenters_notify
from petitions.models import (
    Petition,
)
from petitions.services import (
    NOT_MODERATOR,
    petition_email_drawn,
    petition_purpose,
)
from petitions.services.moderation import locked_for_action
from petitions.services.retention import signatures_record


def _require_published(petition: Petition) -> None:
    if petition.status != Petition.Status.OPEN:
        raise ValidationError(_("Only a published petition can be answered."), code="status")


@transaction.atomic
def response_publish(
    *, actor, petition: Petition, text: str, now: datetime | None = None
) -> Petition:
    """Publish the council's response; every confirmed signer who asked to hear is e-mailed."""
    require(actor, "petitions.respond_petition", petition, message=NOT_MODERATOR)
    now = now or timezone.now()
    text = str(text or "").strip()
    if not text:
        raise ValidationError({"response": _("Enter the council's response")}, code="required")
    locked = locked_for_action(actor, petition, now)
    _require_published(locked)
    first = locked.responded_at is None
    locked.response, locked.responded_at = text, locked.responded_at or now
    locked.save(update_fields=["response", "responded_at"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.PUBLISH,
        obj=locked,
        summary="Published the council's response" if first else "Changed the council's response",
    )
    if first:
        _notify_signers(locked, "response")
    return locked


@transaction.atomic
def debate_schedule(*, actor, petition: Petition, when: date) -> Petition:
    require(actor, "petitions.respond_petition", petition, message=NOT_MODERATOR)
    locked = locked_for_action(actor, petition, timezone.now())
    _require_published(locked)
    if when is None:
        raise ValidationError({"debate_date": _("Enter the date of the debate")})
    locked.debate_date = when
    locked.save(update_fields=["debate_date"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EDIT,
        obj=locked,
        summary=f"Scheduled the debate for {when.isoformat()}",
    )
    return locked


@transaction.atomic
def debate_publish(
    *,
    actor,
    petition: Petition,
    summary: str,
    minutes_url: str = "",
    video_url: str = "",
    now: datetime | None = None,
) -> Petition:
    """Publish what the debate decided (with links to the minutes and the video); every
    confirmed signer who asked to hear is e-mailed."""
    require(actor, "petitions.respond_petition", petition, message=NOT_MODERATOR)
    now = now or timezone.now()
    summary = str(summary or "").strip()
    if not summary:
        raise ValidationError({"debate_summary": _("Enter what the debate decided")})
    locked = locked_for_action(actor, petition, now)
    _require_published(locked)
    if locked.debate_date is None or locked.debate_date > timezone.localdate(now):
        raise ValidationError(
            {"debate_date": _("Record the debate's date, on or before today, first")}
        )
    first = locked.debated_at is None
    locked.debate_summary = summary
    locked.debate_minutes_url, locked.debate_video_url = minutes_url, video_url
    locked.debated_at = locked.debated_at or now
    locked.save()
    audit_record(
        actor=actor,
        action=AuditEntry.Action.PUBLISH,
        obj=locked,
        summary="Published the outcome of the debate",
    )
    if first:
        _notify_signers(locked, "debated")
    return locked


def _notify_signers(petition: Petition, template: str) -> None:
    """E-mail every confirmed signer who asked to hear, from a worker once this commits."""
    queue_after_commit("petitions.tasks.petition_notify_task", petition.pk, template)


def signers_notify(*, petition_id: int, template: str) -> int:
    """One message to each contact with a live consent for the petition's news, through
    mailing's notices (in batches, drawn once). Run by a worker; the signers' consents are
    recorded first, so that nobody who confirmed a moment ago is missed."""
    petition = Petition.objects.select_related("organisation").get(pk=petition_id)
    signatures_record(petition_id=petition.pk)
    subject, text = petition_email_drawn(petition, template)  # the same for everyone: drawn once
    return consenters_notify(purpose_id=petition_purpose(petition).pk, subject=subject, text=text)
