"""What came of an event: its officers write an outcome after it (a summary, the minutes and
documents), check it and publish it. Residents then read it on the event's page and in the list
of past events.

Who is thanked: the people who came (checked in, walk-ins included) and whose consent to hear
about the council's future events is live when the outcome is published. Coming is not consent,
and consent alone is not having come. Each of them is sent the thank-you once: an outcome is
published once, under a lock, and the messages are put in the outbox in that transaction.

    outcome_problems  what stops the outcome from being published now, in words to act on
    outcome_save      the outcome's words, and a document added to it
    outcome_publish   the outcome goes public and the attendees who consented are thanked
    thanked_contacts  who would be thanked now
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.models import AuditEntry, User
from civic.services import audit_record, require
from events.models import Event, Outcome, OutcomeDocument, Registration
from events.services.registering import event_url, events_purpose

PUBLISH_OUTCOME = "events.publish_outcome"
NOT_RUNNER = gettext_lazy("You do not run this event.")


def outcome_problems(event: Event, outcome: Outcome | None, *, now: datetime) -> dict[str, str]:
    """What stops the outcome from being published now, by where it is put right: "summary"
    (the outcome's page) or "event" (the event itself)."""
    problems = {}
    if event.status != Event.Status.PUBLISHED:
        problems["event"] = _("Only an event that took place can have an outcome")
    elif event.ends_at > now:
        problems["event"] = _("The event has not ended yet: publish its outcome after it ends")
    if outcome is None or not outcome.summary.strip():
        problems["summary"] = _("Write a summary of the outcome and save it")
    return problems


@transaction.atomic
def outcome_save(
    *,
    actor: User,
    event: Event,
    summary: str,
    minutes: str = "",
    document=None,
    document_title: str = "",
) -> Outcome:
    """Save the outcome's words (shown at once if it is published) and add a document, already
    checked by civic.validators.validate_upload."""
    require(actor, PUBLISH_OUTCOME, event, message=NOT_RUNNER)
    summary = str(summary or "").strip()
    if not summary:
        raise ValidationError({"summary": _("Enter a summary of what came of the event")})
    outcome, created = Outcome.objects.select_for_update().get_or_create(
        event=event, defaults={"summary": summary, "minutes": str(minutes or "").strip()}
    )
    if not created:
        outcome.summary, outcome.minutes = summary, str(minutes or "").strip()
        outcome.updated_at = timezone.now()
        outcome.save(update_fields=["summary", "minutes", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.EDIT,
        obj=outcome,
        summary="Wrote the outcome" if created else "Edited the outcome",
    )
    if document:
        added = OutcomeDocument(outcome=outcome, title=document_title.strip()[:200])
        added.file.save(document.name, document, save=True)
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=added,
            summary="Added a document to the outcome",
        )
    return outcome


def thanked_contacts(event: Event):
    """The contacts who came to the event and consent to hear about the council's events."""
    from mailing.services.notices import consenters

    came = (
        Registration.objects.filter(
            event=event, status=Registration.Status.CONFIRMED, checked_in_at__isnull=False
        )
        .exclude(email="")
        .annotate(key=Lower("email"))
        .values("key")
    )
    return (
        consenters(events_purpose(event.organisation))
        .filter(organisation_id=event.organisation_id)
        .annotate(key=Lower("email"))
        .filter(key__in=came)
        .order_by("pk")
    )


@transaction.atomic
def outcome_publish(*, actor: User, event: Event, now: datetime | None = None) -> Outcome:
    from mailing.services import transactional_enqueue_many

    require(actor, PUBLISH_OUTCOME, event, message=NOT_RUNNER)
    now = now or timezone.now()
    outcome = Outcome.objects.select_for_update().filter(event=event).first()
    if outcome is not None and outcome.published_at is not None:
        raise ValidationError(_("The outcome is already published."), code="published")
    problems = outcome_problems(event, outcome, now=now)
    if problems:
        raise ValidationError(list(problems.values()))
    context = {
        "event": event,
        "outcome": outcome,
        "url": event_url(event),
        "site_name": settings.CIVIC_SITE_NAME,
    }
    subject = render_to_string("events/email/outcome_subject.txt", context).strip()
    people = list(thanked_contacts(event))
    transactional_enqueue_many(
        [
            {
                "organisation": event.organisation,
                "to_email": contact.email,
                "subject": subject,
                "text": render_to_string(
                    "events/email/outcome.txt", {**context, "name": contact.name}
                ),
                "contact": contact,
            }
            for contact in people
        ]
    )
    outcome.published_at, outcome.thanked = now, len(people)
    outcome.save(update_fields=["published_at", "thanked"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.PUBLISH,
        obj=outcome,
        summary=f"Published the outcome; {len(people)} attendees thanked",
    )
    return outcome
