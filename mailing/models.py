"""Campaigns, the delivery outbox that sends each recipient once, suppressions and tracking events.

One `Delivery` row per recipient and message: a campaign freezes its audience into them when it
starts sending (unique per campaign and contact, so freezing twice adds nobody), and transactional
mail is one row per message. Workers claim rows with SKIP LOCKED and mark each sent only after the
mail server accepted it (see mailing.engine).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower, Now
from django.utils.translation import gettext_lazy as _

from civic.lifecycle import Lifecycle
from civic.models import Organisation
from contacts.models import ConsentPurpose, Contact, Segment, live_consent_q


class SendingIdentity(models.Model):
    """Who a message is from, per organisation: 'Northbridge Council <news@northbridge.gov.uk>'."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="sending_identities"
    )
    from_name = models.CharField(_("from name"), max_length=120)
    from_email = models.EmailField(_("from address"))
    reply_to = models.EmailField(_("reply-to address"), blank=True)

    class Meta:
        ordering = ["organisation__name", "from_name"]
        verbose_name = _("sending identity")
        verbose_name_plural = _("sending identities")

    def __str__(self) -> str:
        return f"{self.from_name} <{self.from_email}>"


class RateLimit(models.Model):
    """How fast an organisation's mail leaves, shared by every worker.

    Workers reserve sending slots by moving `next_slot` forward in one UPDATE (a generic cell
    rate algorithm kept in the database), so the rate holds however many workers send at once."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="mail_rate_limit"
    )
    per_second = models.PositiveIntegerField(
        _("messages per second"),
        help_text=_("0 sends as fast as the mail server accepts."),
    )
    next_slot = models.FloatField(default=0.0, editable=False)

    class Meta:
        verbose_name = _("sending rate")
        verbose_name_plural = _("sending rates")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.per_second}/s"


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")
        SENT = "sent", _("Sent")

    lifecycle = Lifecycle(
        Status,
        {
            Status.DRAFT: {Status.SCHEDULED, Status.SENDING, Status.CANCELLED},
            Status.SCHEDULED: {Status.DRAFT, Status.SENDING, Status.CANCELLED},
            Status.SENDING: {Status.PAUSED, Status.CANCELLED, Status.SENT},
            Status.PAUSED: {Status.SENDING, Status.CANCELLED},
            Status.CANCELLED: set(),
            Status.SENT: set(),
        },
        refusals={
            Status.SENDING: _("Only a draft, scheduled or paused campaign can be sent."),
            Status.SCHEDULED: _("Only a draft campaign can be scheduled."),
            Status.PAUSED: _("Only a campaign that is sending can be paused."),
            Status.CANCELLED: _("A campaign that has been sent or cancelled cannot be cancelled."),
        },
    )

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField(_("name"), max_length=200)
    identity = models.ForeignKey(
        SendingIdentity,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("sent from"),
    )
    purpose = models.ForeignKey(
        ConsentPurpose,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("consent purpose"),
        help_text=_("Only contacts with a live consent for this purpose receive the campaign."),
    )
    segments = models.ManyToManyField(
        Segment,
        related_name="campaigns",
        verbose_name=_("audience"),
        help_text=_("Everyone in any of these segments, less anyone without consent."),
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("message"),
        help_text=_(
            "Markdown. Merge fields: {{ contact.first_name }}, {{ contact.name }}, "
            '{{ contact.email }}, {{ contact.first_name|default:"there" }}, '
            "{{ organisation.name }}, {{ site_url }}, {{ unsubscribe_url }}."
        ),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    scheduled_for = models.DateTimeField(_("send at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name

    def audit_label(self) -> str:
        return f"Campaign #{self.pk} {self.name}"

    def mailable_q(self) -> Q:
        """A condition on contacts: a live consent for the campaign's purpose and an address the
        organisation has not suppressed. Checked when the audience is frozen and again per chunk,
        for whoever unsubscribed or bounced in between."""
        suppressed = (
            Suppression.objects.filter(organisation_id=self.organisation_id)
            .annotate(address=Lower("email"))
            .filter(address=Lower(OuterRef("email")))
        )
        return live_consent_q(self.purpose_id) & ~Q(Exists(suppressed))


class DeliveryQuerySet(models.QuerySet):
    def figures(self) -> dict[str, int]:
        """Every count the campaign page shows, in one query."""
        counts = {
            "total": models.Count("pk"),
            "queued": models.Count("pk", filter=Q(status__in=["queued", "sending"])),
            "sent": models.Count("pk", filter=Q(status="sent")),
            "failed": models.Count("pk", filter=Q(status="failed")),
            "skipped": models.Count("pk", filter=Q(status__in=["skipped", "cancelled"])),
        }
        for event in ("delivered", "bounced", "complained", "opened", "clicked", "unsubscribed"):
            counts[event] = models.Count("pk", filter=Q(**{f"{event}_at__isnull": False}))
        return self.aggregate(**counts)


class Delivery(models.Model):
    """One message to one recipient: the unit of sending, retrying and tracking."""

    class Kind(models.TextChoices):
        BULK = "bulk", _("Campaign")
        TRANSACTIONAL = "transactional", _("Transactional")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        CANCELLED = "cancelled", _("Cancelled")

    # The outbox moves rows in bulk (`mailing.outbox`, in SQL on the hot path): a worker claims
    # a queued row, or a sending row whose lease ran out; it is sent, put back to retry, given
    # up on, or skipped when its recipient withdrew; a cancelled campaign cancels what is queued.
    lifecycle = Lifecycle(
        Status,
        {
            Status.QUEUED: {Status.SENDING, Status.CANCELLED},
            Status.SENDING: {
                Status.SENDING,
                Status.SENT,
                Status.QUEUED,
                Status.FAILED,
                Status.SKIPPED,
            },
            Status.SENT: set(),
            Status.FAILED: set(),
            Status.SKIPPED: set(),
            Status.CANCELLED: set(),
        },
    )

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, db_default=Kind.BULK)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    to_email = models.EmailField(_("to"))
    # A transactional message as it was written: subject, text, html, from, reply_to, headers.
    message = models.JSONField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, db_default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveIntegerField(db_default=0)
    next_attempt_at = models.DateTimeField(db_default=Now())
    claimed_by = models.CharField(max_length=64, blank=True, db_default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, db_default="")
    esp_message_id = models.CharField(max_length=255, blank=True, db_default="", db_index=True)
    created_at = models.DateTimeField(db_default=Now())
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "contact"],
                condition=Q(campaign__isnull=False),
                name="delivery_once_per_campaign_contact",
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="delivery_campaign_status"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["queued", "sending"]),
                name="delivery_claimable",
            ),
            # A campaign's claims take the lowest ids still waiting: without this they walk
            # past every row already sent (27 ms a claim half-way through 100,000).
            models.Index(
                fields=["campaign", "id"],
                condition=Q(status__in=["queued", "sending"]),
                name="delivery_campaign_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} → {self.to_email} ({self.status})"

    def audit_label(self) -> str:
        return f"Delivery #{self.pk}"


class DeliveryEvent(models.Model):
    """One tracking event from the ESP. The unique key makes a replayed webhook change nothing."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    event_key = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=32)
    occurred_at = models.DateTimeField()
    url = models.URLField(max_length=2000, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at"]
        indexes = [models.Index(fields=["delivery", "event_type"], name="delivery_event_type")]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.delivery_id}"


class Suppression(models.Model):
    """An address the organisation never mails again: a hard bounce or a spam complaint."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", _("Hard bounce")
        COMPLAINED = "complained", _("Spam complaint")
        MANUAL = "manual", _("Added by hand")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="suppressions"
    )
    email = models.EmailField(_("e-mail address"))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        constraints = [
            models.UniqueConstraint(
                "organisation", Lower("email"), name="suppression_unique_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return self.email
