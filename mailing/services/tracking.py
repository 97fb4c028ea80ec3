"""What the ESP tells us after sending: delivered, bounced, opened, clicked, complained.

Webhooks arrive late, twice and out of order, and several at once for one message. So every
event is recorded once under a stable key (a replay finds the key taken and changes nothing),
and each timestamp on the delivery moves only towards the earliest event, in one conditional
UPDATE, never read-modify-write.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from hashlib import sha256

from anymail.signals import AnymailTrackingEvent, EventType
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from mailing.models import Delivery, DeliveryEvent, Suppression
from mailing.services import suppress, unsubscribe

logger = logging.getLogger(__name__)

# The delivery column each event type stamps.
TIMESTAMP_FIELDS = {
    EventType.DELIVERED: "delivered_at",
    EventType.BOUNCED: "bounced_at",
    EventType.COMPLAINED: "complained_at",
    EventType.OPENED: "opened_at",
    EventType.CLICKED: "clicked_at",
    EventType.UNSUBSCRIBED: "unsubscribed_at",
}
UNSUBSCRIBE_METHOD = "ESP unsubscribe"
COMPLAINT_METHOD = "Spam complaint"

_URL_MAX_LENGTH = DeliveryEvent._meta.get_field("url").max_length
_KEY_MAX_LENGTH = DeliveryEvent._meta.get_field("event_key").max_length


@transaction.atomic
def tracking_event_apply(*, event: AnymailTrackingEvent) -> DeliveryEvent | None:
    """Record one ESP event against its delivery and act on it; None if the message is not
    ours or the event was applied before."""
    delivery = _delivery_for(event)
    if delivery is None:
        logger.info("Ignored %s event for unknown message %r", event.event_type, event.message_id)
        return None
    occurred_at = _aware(event.timestamp) or timezone.now()
    try:
        with transaction.atomic():
            recorded = DeliveryEvent.objects.create(
                delivery=delivery,
                event_key=_event_key(delivery, event),
                event_type=event.event_type,
                occurred_at=occurred_at,
                url=(event.click_url or "")[:_URL_MAX_LENGTH],
                description="\n".join(
                    part for part in (event.description, event.mta_response) if part
                ),
            )
    except IntegrityError:
        return None

    field = TIMESTAMP_FIELDS.get(event.event_type)
    if field is not None:
        # Earliest wins: an "opened" replayed late, or two webhooks racing, cannot move it on.
        Delivery.objects.filter(pk=delivery.pk).filter(
            Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": occurred_at})
        ).update(**{field: occurred_at})

    if event.event_type == EventType.BOUNCED and _bounce_is_permanent(event):
        _suppress(delivery, Suppression.Reason.BOUNCED)
    elif event.event_type == EventType.COMPLAINED:
        _suppress(delivery, Suppression.Reason.COMPLAINED)
        _withdraw_consent(delivery, method=COMPLAINT_METHOD)
    elif event.event_type == EventType.UNSUBSCRIBED:
        _withdraw_consent(delivery, method=UNSUBSCRIBE_METHOD)
    return recorded


def _delivery_for(event: AnymailTrackingEvent) -> Delivery | None:
    """Our id in the metadata first (present even before the worker stored the ESP's id), else
    the ESP's message id. An event whose recipient is not the delivery's is not ours: another
    installation sharing the ESP account numbers its deliveries the same way."""
    deliveries = Delivery.objects.select_related("campaign__purpose", "contact")
    candidates = []
    delivery_id = str((event.metadata or {}).get("civic_delivery", ""))
    if delivery_id.isdigit():
        candidates.append(deliveries.filter(pk=int(delivery_id)))
    if event.message_id:
        bare = str(event.message_id).strip().strip("<>")
        candidates.append(deliveries.filter(esp_message_id__in=[bare, f"<{bare}>"]))
    for queryset in candidates:
        delivery = queryset.order_by("pk").first()
        if delivery is None:
            continue
        if event.recipient and event.recipient.lower() != delivery.to_email.lower():
            logger.warning(
                "Ignored %s event: recipient differs from delivery #%s",
                event.event_type,
                delivery.pk,
            )
            return None
        return delivery
    return None


def _event_key(delivery: Delivery, event: AnymailTrackingEvent) -> str:
    """The ESP's own event id where it gives one, else a digest of what makes the event itself;
    scoped by delivery, since ids are unique only within one ESP."""
    if event.event_id and len(str(event.event_id)) < _KEY_MAX_LENGTH - 24:
        return f"{delivery.pk}:{event.event_id}"
    parts = [
        event.event_id or "",
        event.message_id or "",
        event.event_type,
        event.timestamp.isoformat() if event.timestamp else "",
        event.recipient or "",
        event.click_url or "",
    ]
    return f"{delivery.pk}:sha256:{sha256(chr(31).join(map(str, parts)).encode()).hexdigest()}"


def _bounce_is_permanent(event: AnymailTrackingEvent) -> bool:
    """anymail reports some soft bounces as "bounced" too (Postmark's SoftBounce, Amazon SES's
    Transient, Brevo's soft_bounce, Mailjet's hard_bounce=false). A full mailbox or a virus
    scanner's refusal must not stop the council writing to that address for good."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if raw.get("RecordType") == "Bounce":  # Postmark
        return raw.get("Type") == "HardBounce"
    if isinstance(raw.get("bounce"), dict):  # Amazon SES
        return raw["bounce"].get("bounceType") == "Permanent"
    if raw.get("event") == "soft_bounce":  # Brevo
        return False
    return raw.get("hard_bounce") is not False  # Mailjet, and every ESP that only says "bounced"


def _suppress(delivery: Delivery, reason: str) -> None:
    if delivery.organisation_id and delivery.to_email:
        suppress(organisation_id=delivery.organisation_id, email=delivery.to_email, reason=reason)


def _withdraw_consent(delivery: Delivery, *, method: str) -> None:
    """Withdraw the consent the campaign was sent under; transactional mail had none."""
    contact = delivery.contact
    if delivery.campaign is None or contact is None or contact.anonymised_at is not None:
        return
    unsubscribe(contact=contact, purpose=delivery.campaign.purpose, method=method)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment, UTC)
    return moment
