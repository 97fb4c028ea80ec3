"""What mailing holds about a contact, for the copy of their data and for erasure (registered with
contacts.gdpr_registry in MailingConfig.ready)."""

from __future__ import annotations

from django.db.models import Q

from contacts.models import Contact
from mailing.models import Delivery, DeliveryEvent, Suppression


def _deliveries(contact: Contact):
    """Rows linked to the contact, and mail to their address that no contact was linked to
    (account and receipt mail) from their organisation or from the site itself."""
    by_address = Q(to_email__iexact=contact.email) & (
        Q(organisation_id=contact.organisation_id) | Q(organisation__isnull=True)
    )
    return Delivery.objects.filter(Q(contact=contact) | (by_address if contact.email else Q()))


def export_deliveries(contact: Contact) -> list[dict]:
    rows = _deliveries(contact).select_related("campaign").order_by("pk")
    return [
        {
            "message": row.campaign.name if row.campaign else (row.message or {}).get("subject"),
            "kind": row.get_kind_display(),
            "to": row.to_email,
            "status": row.get_status_display(),
            "sent": row.sent_at.isoformat() if row.sent_at else "",
            "delivered": row.delivered_at.isoformat() if row.delivered_at else "",
            "opened": row.opened_at.isoformat() if row.opened_at else "",
            "clicked": row.clicked_at.isoformat() if row.clicked_at else "",
        }
        for row in rows
    ]


def erase_deliveries(contact: Contact) -> int:
    """Keep each row (the campaign's counts stay right) without the address, the message or the
    ESP's descriptions of it; drop the address from the suppression list with the person."""
    rows = _deliveries(contact)
    ids = list(rows.values_list("pk", flat=True))
    DeliveryEvent.objects.filter(delivery_id__in=ids).update(description="", url="")
    changed = Delivery.objects.filter(pk__in=ids).update(to_email="", message=None, error="")
    if contact.email:
        Suppression.objects.filter(
            organisation_id=contact.organisation_id, email__iexact=contact.email
        ).delete()
    return changed
