"""Residents' own view of what an organisation holds about them, reached signed in or by a
signed link e-mailed to them (no account needed)."""

from __future__ import annotations

from django.core import signing
from django.db import transaction
from django.db.models import Q

from civic.models import User
from civic.queueing import queue_after_commit
from contacts.models import ConsentPurpose, Contact
from contacts.services import consent_give, consent_is_live, consent_withdraw, contact_email_key

LINK_SALT = "contacts.my-data-link"
LINK_MAX_AGE = 60 * 60 * 24 * 3  # three days


def my_data_token(*, email: str) -> str:
    """A signed link naming the contacts held for an address by their ids, never by the address:
    links travel in mail and land in access logs, so they must not reveal who they are for."""
    ids = sorted(contacts_for_email(email).values_list("pk", flat=True))
    return signing.dumps(ids, salt=LINK_SALT, compress=True)


def my_data_contacts_from_token(token: str):
    """The contacts a link was made for, or None when it is forged or more than 3 days old."""
    try:
        ids = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(ids, list) or not all(isinstance(pk, int) for pk in ids):
        return None
    return Contact.objects.active().filter(pk__in=ids)


def my_data_link_request(*, email: str) -> None:
    """Queue the e-mail with the link. The same answer is given whether or not we hold the
    address, and the mail leaves from a worker, so nobody learns from the page who is known."""
    email = contact_email_key(email)
    queue_after_commit("contacts.tasks.my_data.my_data_link_send_task", email)


def contacts_for_email(email: str):
    return Contact.objects.active().filter(email__iexact=contact_email_key(email))


def contacts_for_user(user: User):
    verified = list(user.emailaddress_set.filter(verified=True).values_list("email", flat=True))
    query = Q(user=user)
    for address in verified:
        query |= Q(email__iexact=address)
    return Contact.objects.active().filter(query)


def consent_choices(contact: Contact) -> list[tuple[ConsentPurpose, bool]]:
    """Every purpose of the contact's organisation with whether consent is live now."""
    purposes = ConsentPurpose.objects.filter(organisation_id=contact.organisation_id)
    return [(purpose, consent_is_live(contact=contact, purpose=purpose)) for purpose in purposes]


@transaction.atomic
def my_data_consents_update(*, contact: Contact, chosen: set[int]) -> int:
    """Give or withdraw consent so that exactly the chosen purposes are live; returns changes."""
    changes = 0
    for purpose, live in consent_choices(contact):
        wanted = purpose.pk in chosen
        if wanted and not live:
            consent_give(
                contact=contact,
                purpose=purpose,
                method="The 'my data' page",
                wording=purpose.description,
            )
            changes += 1
        elif live and not wanted:
            consent_withdraw(contact=contact, purpose=purpose, method="The 'my data' page")
            changes += 1
    return changes
