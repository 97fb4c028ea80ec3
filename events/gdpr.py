"""What events hold about a contact, for their copy of their data and for erasure (registered
with contacts.gdpr_registry in EventsConfig.ready).

A registration belongs to a contact by its e-mail address in the contact's organisation.
Erasure keeps the row (the event's numbers stay true) and removes who it was: name, address,
postcode and answers go, and a booking still to come is cancelled.
"""

from __future__ import annotations

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from contacts.models import Contact
from events.models import Registration


def _registrations(contact: Contact):
    if not contact.email:
        return Registration.objects.none()
    return Registration.objects.filter(
        email__iexact=contact.email, event__department__organisation_id=contact.organisation_id
    )


def export_registrations(contact: Contact) -> list[dict]:
    return [
        {
            "event": registration.event.title,
            "starts": registration.event.starts_at.isoformat(),
            "name": registration.name,
            "email": registration.email,
            "postcode": registration.postcode,
            "places": registration.places,
            "attending": registration.get_attendance_display(),
            "status": registration.get_status_display(),
            "answers": registration.answers,
            "registered": registration.created_at.isoformat(),
        }
        for registration in _registrations(contact).select_related("event")
    ]


def erase_registrations(contact: Contact) -> int:
    """Keep each registration's row and place in the count; remove who made it. A booking that
    still held or awaited a place is cancelled: nobody is left to come."""
    registrations = _registrations(contact)
    # Bookkeeping of an erasure the person asked for, not a move anyone makes: the lifecycle's
    # sources keep it to the moves the model allows.
    registrations.filter(status__in=Registration.lifecycle.sources("cancelled")).update(
        status=Registration.Status.CANCELLED, cancelled_at=timezone.now()
    )
    return registrations.update(
        name="",
        email="",
        email_key=Concat(Value("erased-"), Cast(F("pk"), output_field=CharField())),
        postcode="",
        area=None,
        answers={},
    )
