"""Every change of a campaign's state, transactional mail, and suppression, in one place.

Feature apps send their mail (receipts, confirmations, notices) through `transactional_enqueue`;
facilitators' actions in the admin call the campaign functions below, which check permission,
audit, and queue the work once the transaction commits.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic.models import AuditEntry, Organisation
from civic.queueing import queue, queue_after_commit
from civic.services import audit_record, require, state_move
from contacts.models import Contact
from contacts.segments import segment_queryset
from mailing.models import Campaign, Delivery, Suppression
from mailing.services.unsubscribe import (
    unsubscribe,
    unsubscribe_target,
    unsubscribe_token,
)

__all__ = [
    "Attachment",
    "audience_freeze",
    "campaign_audience",
    "campaign_cancel",
    "campaign_pause",
    "campaign_preview",
    "campaign_resume",
    "campaign_schedule",
    "campaign_send_now",
    "campaign_test_send",
    "mailing_sweep",
    "suppress",
    "tracking_event_apply",
    "transactional_enqueue",
    "unsubscribe",
    "unsubscribe_target",
    "unsubscribe_token",
]

logger = logging.getLogger(__name__)

# The tasks that send, by their registered names (civic.queueing).
CAMPAIGN_SEND = "mailing.tasks.campaign_send_task"
TRANSACTIONAL_SEND = "mailing.tasks.transactional_send_task"


def campaign_audience(campaign: Campaign) -> QuerySet[Contact]:
    """Everyone in any of the campaign's segments with a live consent for its purpose and an
    address the organisation has not suppressed: one query."""
    # Each segment is a group of conditions; an empty definition is everyone.
    definitions = [
        {"match": "all", "conditions": [], **(segment.definition or {})}
        for segment in campaign.segments.all()
    ]
    if not definitions:
        return Contact.objects.none()
    return (
        segment_queryset(
            organisation=campaign.organisation,
            definition={"match": "any", "conditions": definitions},
        )
        .filter(campaign.mailable_q())
        .exclude(email="")
    )


# What an officer reads when a service refuses them.
NOT_SENDER = gettext_lazy("You cannot send this organisation's campaigns.")


def _move(campaign: Campaign, status: str, *, actor, summary: str, **fields) -> None:
    """Change state if the campaign's lifecycle allows it, under a row lock so that two clicks
    do it once; `campaign` is brought up to date with the row."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    state_move(
        locked,
        status,
        actor=actor,
        summary=f"{summary} campaign",
        fields=fields,
        organisation=locked.organisation,
    )
    campaign.refresh_from_db(fields=["status", *fields])


def audience_freeze(campaign: Campaign) -> int:
    """One delivery row per recipient, in one INSERT ... SELECT; running it again adds nobody."""
    audience = campaign_audience(campaign).order_by("pk").values("pk", "email")
    select_sql, params = audience.query.sql_with_params()
    table = Delivery._meta.db_table
    where_true = " WHERE 1 = 1" if connection.vendor == "sqlite" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organisation_id, kind, campaign_id, contact_id, to_email) "  # noqa: S608
            f"SELECT %s, 'bulk', %s, audience.pk, audience.email FROM ({select_sql}) AS audience"
            f"{where_true} ON CONFLICT DO NOTHING",
            [campaign.organisation_id, campaign.pk, *params],
        )
        return cursor.rowcount


def _start_workers(campaign_id: int) -> None:
    """Queue, once this commits, the tasks that send the campaign in parallel."""
    for _index in range(settings.CIVIC_MAIL_PARALLEL_TASKS):
        queue_after_commit(CAMPAIGN_SEND, campaign_id)


@transaction.atomic
def campaign_send_now(*, campaign: Campaign, actor) -> int:
    """Freeze the audience and start sending; returns how many deliveries were queued."""
    require(actor, "mailing.send_campaign", campaign, message=NOT_SENDER)
    _move(campaign, Campaign.Status.SENDING, actor=actor, summary="Send",
          started_at=timezone.now())  # fmt: skip
    count = audience_freeze(campaign)
    _start_workers(campaign.pk)
    return count


@transaction.atomic
def campaign_schedule(*, campaign: Campaign, actor, when: datetime) -> None:
    require(actor, "mailing.send_campaign", campaign, message=NOT_SENDER)
    if when <= timezone.now():
        raise ValidationError({"scheduled_for": _("Choose a time in the future.")})
    _move(campaign, Campaign.Status.SCHEDULED, actor=actor, summary="Schedule",
          scheduled_for=when)  # fmt: skip


@transaction.atomic
def campaign_start_scheduled(*, campaign: Campaign) -> int:
    """Called by the sweep when a scheduled campaign is due."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status != Campaign.Status.SCHEDULED:
        return 0
    state_move(
        locked,
        Campaign.Status.SENDING,
        actor=None,
        action=AuditEntry.Action.SEND,
        summary="Started the scheduled campaign",
        fields={"started_at": timezone.now()},
    )
    count = audience_freeze(locked)
    _start_workers(locked.pk)
    return count


@transaction.atomic
def campaign_pause(*, campaign: Campaign, actor) -> None:
    require(actor, "mailing.send_campaign", campaign, message=NOT_SENDER)
    _move(campaign, Campaign.Status.PAUSED, actor=actor, summary="Pause")


@transaction.atomic
def campaign_resume(*, campaign: Campaign, actor) -> None:
    require(actor, "mailing.send_campaign", campaign, message=NOT_SENDER)
    if campaign.status != Campaign.Status.PAUSED:
        raise ValidationError(_("Only a paused campaign can be resumed."))
    _move(campaign, Campaign.Status.SENDING, actor=actor, summary="Resume")
    _start_workers(campaign.pk)


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, actor) -> int:
    """Stop for good: every delivery not yet handed to a worker is cancelled."""
    require(actor, "mailing.send_campaign", campaign, message=NOT_SENDER)
    _move(campaign, Campaign.Status.CANCELLED, actor=actor, summary="Cancel",
          finished_at=timezone.now())  # fmt: skip
    return Delivery.objects.filter(campaign=campaign, status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.CANCELLED
    )


def campaign_preview(*, campaign: Campaign, contact: Contact | None) -> dict[str, str]:
    """The subject, text and HTML one contact would receive."""
    from mailing.rendering import compile_message, merge_values

    template = compile_message(
        subject=campaign.subject, body=campaign.body, organisation=campaign.organisation
    )
    url = settings.CIVIC_SITE_URL + "/unsubscribe/…/"
    values = merge_values(contact=contact, organisation=campaign.organisation, unsubscribe_url=url)
    return {
        "subject": template.subject.fill(values),
        "text": template.text.fill(values),
        "html": template.html.fill(values),
    }


@transaction.atomic
def campaign_test_send(*, campaign: Campaign, actor, contact: Contact | None = None) -> Delivery:
    """The campaign as `contact` would see it, sent to the facilitator's own address."""
    require(actor, "mailing.send_campaign", campaign, message=NOT_SENDER)
    if not actor.email:
        raise ValidationError(_("Your account has no e-mail address to send the test to."))
    preview = campaign_preview(campaign=campaign, contact=contact)
    identity = campaign.identity
    delivery = transactional_enqueue(
        organisation=campaign.organisation,
        to_email=actor.email,
        subject=_("[Test] %(subject)s") % {"subject": preview["subject"]},
        text=preview["text"],
        html=preview["html"],
        from_email=str(identity),
        reply_to=[identity.reply_to] if identity.reply_to else None,
        footer=False,
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EDIT,
        obj=campaign,
        summary="Sent a test of campaign",
        organisation=campaign.organisation,
    )
    return delivery


def transactional_enqueue(**message) -> Delivery:
    """Record a message (transactional_message's arguments) and send it from a worker on the
    transactional queue, never from the web request. Consent is not needed: this is mail the
    person asked for."""
    delivery = transactional_message(**message)
    delivery.save()
    # If the broker is down, the row waits in the outbox for beat's sweep.
    queue_after_commit(TRANSACTIONAL_SEND, delivery.pk)
    return delivery


def transactional_enqueue_many(messages: list[dict]) -> list[Delivery]:
    """Several messages in one INSERT, each a dict of transactional_enqueue's arguments, and a
    worker woken for each chunk it claims at a time rather than one per message: for mail that
    many people are sent at the same moment (the confirmations of a petition everyone is signing,
    a petition's news to its signers)."""
    from mailing.engine import TRANSACTIONAL_CHUNK

    deliveries = Delivery.objects.bulk_create(
        [transactional_message(**message) for message in messages]
    )
    for _chunk in range(0, len(deliveries), TRANSACTIONAL_CHUNK):
        queue_after_commit(TRANSACTIONAL_SEND, None)
    return deliveries


def transactional_message(
    *,
    organisation: Organisation | None,
    to_email: str,
    subject: str,
    text: str,
    html: str = "",
    contact: Contact | None = None,
    from_email: str | None = None,
    reply_to: list[str] | None = None,
    headers: dict[str, str] | None = None,
    footer: bool = True,
    attachments: list[Attachment] | None = None,
) -> Delivery:
    """A transactional message, not saved yet, ending with the footer every e-mail has (a
    campaign's test already has it from the campaign's own templates).

    `attachments` go in the row itself, so the sending worker needs nothing else to send it
    however often it is tried: small files only (an event's calendar file, a QR code), at most
    ATTACHMENTS_LIMIT bytes in all."""
    if footer:
        from mailing.rendering import footer as mail_footer

        footer_text, footer_html = mail_footer()
        text = f"{text.rstrip()}\n\n--\n{footer_text}\n"
        if html:
            head, body_end, tail = html.rpartition("</body>")
            html = f"{head}{footer_html}{body_end}{tail}" if body_end else html + footer_html
    return Delivery(
        organisation=organisation,
        kind=Delivery.Kind.TRANSACTIONAL,
        contact=contact,
        to_email=to_email,
        message={
            "subject": subject,
            "text": text,
            "html": html,
            "from": from_email or settings.DEFAULT_FROM_EMAIL,
            "reply_to": reply_to or [],
            "headers": headers or {},
            **({"attachments": _stored(attachments)} if attachments else {}),
        },
    )


# An outbox row is read by every claim of the sending worker: its attachments stay small.
ATTACHMENTS_LIMIT = 256 * 1024


@dataclass(frozen=True)
class Attachment:
    """A file sent with a transactional message: its name, content and content type (which may
    carry parameters: "text/calendar; charset=utf-8; method=PUBLISH")."""

    filename: str
    content: bytes
    content_type: str


def _stored(attachments: list[Attachment]) -> list[dict[str, str]]:
    if sum(len(attachment.content) for attachment in attachments) > ATTACHMENTS_LIMIT:
        raise ValueError(f"Attachments of more than {ATTACHMENTS_LIMIT} bytes in all")
    return [
        {
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "content": base64.b64encode(attachment.content).decode("ascii"),
        }
        for attachment in attachments
    ]


def suppress(*, organisation_id: int, email: str, reason: str) -> bool:
    """Never mail this address for the organisation again; True if it was new."""
    try:
        with transaction.atomic():
            Suppression.objects.create(organisation_id=organisation_id, email=email, reason=reason)
    except IntegrityError:
        return False
    return True


def mailing_sweep() -> dict[str, int]:
    """What beat runs every few seconds: start campaigns that are due, and wake workers for any
    work that has no task (a retry whose delay is over, rows of a worker that died, tasks lost
    when Redis restarted). Extra wake-ups are harmless: workers claim rows with SKIP LOCKED."""
    from mailing.engine import campaign_finish_if_done
    from mailing.outbox import claimable_q

    now = timezone.now()
    started = 0
    for campaign in Campaign.objects.filter(
        status=Campaign.Status.SCHEDULED, scheduled_for__lte=now
    ):
        try:
            campaign_start_scheduled(campaign=campaign)
        except ValidationError as error:
            # A segment names a tag, ward or purpose that is gone: the campaign waits, its page
            # says why, and the rest of the sweep still runs.
            logger.warning("Campaign %s not started: %s", campaign.pk, " ".join(error.messages))
            continue
        started += 1
    woken = 0
    sending = Campaign.objects.filter(status=Campaign.Status.SENDING)
    for campaign_id in sending.values_list("pk", flat=True):
        rows = Delivery.objects.filter(campaign_id=campaign_id)
        # Leases are reckoned on the database's clock (see mailing.outbox).
        working = rows.filter(status=Delivery.Status.SENDING, lease_until__gte=Now())
        orphaned = rows.filter(status=Delivery.Status.SENDING, lease_until__lt=Now())
        # Rows whose worker died get a worker at once, even while another sends the campaign
        # (it may be slow to come to them: a rate limit, a long chunk); other due rows wake one
        # only if none is sending, since a worker that is sending takes them itself.
        if orphaned.exists() or (rows.filter(claimable_q()).exists() and not working.exists()):
            if queue(CAMPAIGN_SEND, campaign_id):
                woken += 1
        else:
            campaign_finish_if_done(campaign_id)
    transactional = Delivery.objects.filter(claimable_q(), kind=Delivery.Kind.TRANSACTIONAL)
    if transactional.exists() and queue(TRANSACTIONAL_SEND, None):
        woken += 1
    return {"started": started, "woken": woken}


from mailing.services.tracking import tracking_event_apply  # noqa: E402 - it imports this module
