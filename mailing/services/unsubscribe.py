"""Unsubscribing, as every bulk message offers it: a link to a page with a choice, and the
one-click POST of RFC 8058 that mail programs send for the person."""

from __future__ import annotations

import functools

from django.core import signing
from django.db import transaction

from contacts.models import ConsentPurpose, Contact
from contacts.services import consent_is_live, consent_withdraw

UNSUBSCRIBE_SALT = "mailing.unsubscribe"


def unsubscribe_token(*, contact: Contact, purpose: ConsentPurpose) -> str:
    """A signed, non-expiring token for one contact and one purpose: an unsubscribe link must
    work years after the message was sent. It names them by id only."""
    return _signer().sign_object([contact.pk, purpose.pk], compress=True)


@functools.cache
def _signer() -> signing.Signer:
    # The same token signing.dumps makes; one Signer for every message of a campaign.
    return signing.Signer(salt=UNSUBSCRIBE_SALT)


def unsubscribe_target(token: str) -> tuple[Contact, ConsentPurpose] | None:
    try:
        contact_id, purpose_id = _signer().unsign_object(token)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    contact = Contact.objects.active().filter(pk=contact_id).select_related("organisation").first()
    purpose = ConsentPurpose.objects.filter(pk=purpose_id).first()
    if contact is None or purpose is None or purpose.organisation_id != contact.organisation_id:
        return None
    return contact, purpose


@transaction.atomic
def unsubscribe(*, contact: Contact, purpose: ConsentPurpose | None, method: str) -> int:
    """Withdraw consent for the purpose, or for every purpose of the organisation (None).
    Returns how many consents were withdrawn; withdrawing one already withdrawn adds nothing."""
    # One at a time per contact: a complaint and an unsubscribe arriving together withdraw once.
    Contact.objects.select_for_update().filter(pk=contact.pk).first()
    purposes = (
        [purpose]
        if purpose is not None
        else list(ConsentPurpose.objects.filter(organisation_id=contact.organisation_id))
    )
    withdrawn = 0
    for each in purposes:
        if consent_is_live(contact=contact, purpose=each):
            consent_withdraw(contact=contact, purpose=each, method=method)
            withdrawn += 1
    return withdrawn
