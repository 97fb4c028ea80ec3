"""What petitions hold about a contact, for their copy of their data and for erasure (registered
with contacts.gdpr_registry in PetitionsConfig.ready).

A signature belongs to a contact when it was made with their address (compared as the mailbox,
as signing does) for a petition of their organisation. Erasure keeps the signature, so the
count and the ward figures stay true, and removes who made it: name, address, postcode and IP,
as anonymising after closing does.

A petition the person started stays, with its signatures and the council's answer, but no longer
names them: the creator's link and name go, and text they wrote about themselves goes with them,
as their survey answers do. The background or details that name them (their address, its part
before the @, their name) are replaced whole, since what is around a name (where they live, their
children) tells who they are as well; a title that names them keeps its words with the mention
replaced, since it is what everyone signed.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.gdpr_registry import identifying_terms, names_them, redact, theirs
from contacts.models import Contact
from petitions.models import Petition, Signature
from petitions.services.counting import page_forget
from petitions.services.signing import signature_email_key

# Shown on the petition's page in place of text that named the person who started it.
ERASED_TEXT = _(
    "This text was removed because the person who started the petition asked for their personal "
    "data to be erased."
)


def _signatures(contact: Contact):
    if not contact.email:
        return Signature.objects.none()
    return Signature.objects.filter(
        email_normalised=signature_email_key(contact.email),
        petition__organisation_id=contact.organisation_id,
    )


def _started(contact: Contact):
    return Petition.objects.filter(
        theirs("creator", contact), organisation_id=contact.organisation_id
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
    for petition in _started(contact):
        # The name they gave the petition counts as theirs too, when it differs.
        terms = [*identifying_terms(contact), " ".join(petition.creator_name.split())]
        for field in ("background", "details"):
            if names_them(getattr(petition, field), terms):
                setattr(petition, field, str(ERASED_TEXT))
        petition.title = redact(petition.title, terms)[:100]
        petition.creator, petition.creator_name = None, ""
        petition.save(update_fields=["background", "details", "title", "creator", "creator_name"])
        page_forget(petition.pk)
    return erased
