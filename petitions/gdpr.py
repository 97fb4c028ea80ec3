"""What petitions hold about a contact, for their copy of their data and for erasure (registered
with contacts.gdpr_registry in PetitionsConfig.ready).

A signature belongs to a contact when it was made with their address (compared as the mailbox,
as signing does) for a petition of their organisation. Erasure keeps the signature, so the
count and the ward figures stay true, and removes who made it: name, address, postcode and IP,
as anonymising after closing does. A petition the person started keeps its text (it was
published) but no longer names them.
"""

from __future__ import annotations

from django.utils import timezone

from contacts.models import Contact
from petitions.models import Petition, Signature
from petitions.services.signing import email_normalise


def _signatures(contact: Contact):
    if not contact.email:
        return Signature.objects.none()
    return Signature.objects.filter(
        email_normalised=email_normalise(contact.email),
        petition__organisation_id=contact.organisation_id,
    )


def _started(contact: Contact):
    if not contact.email:
        return Petition.objects.none()
    return Petition.objects.filter(
        creator__email__iexact=contact.email, organisation_id=contact.organisation_id
    )


def export_signatures(contact: Contact) -> list[dict]:
    rows = [
        {
            "petition": signature.petition.title,
            "signed": signature.created_at.isoformat(),
            "status": signature.get_status_display(),
            "name": signature.name,
            "email": signature.email,
            "postcode": signature.postcode,
            "ward": signature.area.name if signature.area else "",
            "hear about its progress": "yes" if signature.hears_progress else "no",
        }
        for signature in _signatures(contact).select_related("petition", "area").order_by("pk")
    ]
    rows += [
        {
            "petition": petition.title,
            "signed": petition.created_at.isoformat(),
            "status": "started it",
            "name": petition.creator_name,
        }
        for petition in _started(contact).order_by("pk")
    ]
    return rows


def erase_signatures(contact: Contact) -> int:
    erased = _signatures(contact).strip_identity(now=timezone.now(), marker="erased")
    _started(contact).update(creator=None, creator_name="")
    return erased
