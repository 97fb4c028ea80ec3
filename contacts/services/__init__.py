"""Every change to contacts. Feature apps record participation here; they never touch the models.

The database is the referee: one contact per e-mail address per organisation, one activity per
feature reference. Of two requests that race, the second's INSERT does nothing once the first
commits (civic.sqltext.insert_new: no savepoint, no error) and it reads the row the first made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from civic.models import AuditEntry, Department, Organisation, User
from civic.services import area_for_postcode, audit_record
from civic.sqltext import insert_new
from contacts.models import Activity, ConsentEvent, ConsentPurpose, Contact, Tag


def contact_email_key(email: str) -> str:
    """The address a contact is kept and found under: trimmed and in lower case, and otherwise
    as typed, because the contact is written to at it (unlike a petition signature's duplicate
    check, which also drops the dots and +tags some providers ignore)."""
    return (email or "").strip().lower()


def contact_for_email(
    *,
    organisation: Organisation,
    email: str,
    source: str,
    name: str = "",
    postcode: str = "",
    user: User | None = None,
) -> Contact:
    """The organisation's contact for an e-mail address, made if there is none yet.

    Details already held are kept; blanks are filled from what is given now.
    """
    email = contact_email_key(email)
    if not email or "@" not in email:
        raise ValueError("A contact is found or made by a real e-mail address")
    contact = (
        Contact.objects.active().filter(organisation=organisation, email__iexact=email).first()
    )
    if contact is None:
        # Made with what is given now, in one INSERT that does nothing where another request
        # has just made the contact (a viral petition or a voting spike makes many at once).
        contact = Contact(
            organisation=organisation,
            email=email,
            source=source,
            name=name,
            postcode=postcode,
            area=area_for_postcode(organisation=organisation, postcode=postcode)
            if postcode
            else None,
            user=user,
        )
        if insert_new(contact):
            return contact
        contact = Contact.objects.get(organisation=organisation, email__iexact=email)
    changed = []
    if name and not contact.name:
        contact.name = name
        changed.append("name")
    if postcode and not contact.postcode:
        contact.postcode = postcode
        contact.area = area_for_postcode(organisation=organisation, postcode=postcode)
        changed += ["postcode", "area"]
    if user is not None and contact.user_id is None:
        contact.user = user
        changed.append("user")
    if changed:
        contact.save(update_fields=changed)
    return contact


def _consent_event(
    *,
    contact: Contact,
    purpose: ConsentPurpose,
    action: str,
    method: str,
    wording: str = "",
    at: datetime | None = None,
) -> ConsentEvent:
    if purpose.organisation_id != contact.organisation_id:
        raise ValueError("A consent purpose belongs to the contact's own organisation only")
    return ConsentEvent.objects.create(
        contact=contact,
        purpose=purpose,
        action=action,
        method=method,
        wording=wording,
        created_at=at or timezone.now(),
    )


def consent_give(
    *,
    contact: Contact,
    purpose: ConsentPurpose,
    method: str,
    wording: str,
    at: datetime | None = None,
) -> ConsentEvent:
    """Record consent with how it was given and the words the person saw."""
    return _consent_event(
        contact=contact,
        purpose=purpose,
        action=ConsentEvent.Action.GIVEN,
        method=method,
        wording=wording,
        at=at,
    )


def consent_withdraw(
    *, contact: Contact, purpose: ConsentPurpose, method: str, at: datetime | None = None
) -> ConsentEvent:
    return _consent_event(
        contact=contact,
        purpose=purpose,
        action=ConsentEvent.Action.WITHDRAWN,
        method=method,
        at=at,
    )


def consent_is_live(*, contact: Contact, purpose: ConsentPurpose) -> bool:
    latest = (
        ConsentEvent.objects.filter(contact=contact, purpose=purpose)
        .order_by("-created_at", "-pk")
        .values_list("action", flat=True)
        .first()
    )
    return latest == ConsentEvent.Action.GIVEN


@dataclass(frozen=True)
class ConsentGiven:
    purpose: ConsentPurpose
    wording: str
    method: str


def item_purpose(*, organisation_id: int, item, name: str, description: str) -> ConsentPurpose:
    """The consent purpose "news about this item" (a consultation, a petition, a budget...):
    one per item, keyed by its kind and id (its slug is `<model>-<id>`), made the first time a
    person asks to hear about it. `name` and `description` are the words people consent to."""
    content_type = ContentType.objects.get_for_model(item)
    purpose, _created = ConsentPurpose.objects.get_or_create(
        organisation_id=organisation_id,
        slug=f"{content_type.model}-{item.pk}",
        defaults={
            "name": str(name)[:200],
            "description": description,
            "content_type": content_type,
            "object_id": str(item.pk),
        },
    )
    return purpose


# All or nothing: inside a caller's transaction it is part of that one (no savepoint of its own,
# which none of the callers would roll back to: an error here undoes the caller's work too).
@transaction.atomic(savepoint=False)
def participation_record(
    *,
    organisation: Organisation,
    email: str,
    kind: str,
    item,
    item_title: str,
    reference: str,
    source: str,
    name: str = "",
    postcode: str = "",
    user: User | None = None,
    department: Department | None = None,
    occurred_at: datetime | None = None,
    consents: list[ConsentGiven] | None = None,
) -> Activity:
    """Record that a person took part in an item, once per reference, with any consent given.

    Called by feature apps (a survey response, a signature, an RSVP, a vote, a contribution);
    `item` is any model instance, so this app never imports a feature app.
    """
    contact = contact_for_email(
        organisation=organisation,
        email=email,
        source=source,
        name=name,
        postcode=postcode,
        user=user,
    )
    content_type = ContentType.objects.get_for_model(item)
    activity = Activity(
        contact=contact,
        kind=kind,
        content_type=content_type,
        object_id=str(item.pk),
        item_title=item_title[:200],
        department=department,
        occurred_at=occurred_at or timezone.now(),
        reference=reference,
    )
    # Without a reference an activity is never a repeat (the constraint holds only references).
    if not insert_new(activity):
        # Taking part again in the same item (or a replayed submission): still one activity,
        # and a consent given this time counts unless it already stands.
        activity = Activity.objects.get(
            contact=contact, kind=kind, content_type=content_type, reference=reference
        )
        consents = [
            consent
            for consent in consents or []
            if not consent_is_live(contact=contact, purpose=consent.purpose)
        ]
    for consent in consents or []:
        consent_give(
            contact=contact,
            purpose=consent.purpose,
            method=consent.method,
            wording=consent.wording,
            at=occurred_at or timezone.now(),
        )
    return activity


def participation_with_consent(
    *,
    item,
    item_title: str,
    kind: str,
    reference: str,
    source: str,
    user: User | None = None,
    email: str = "",
    name: str = "",
    postcode: str = "",
    occurred_at: datetime | None = None,
    consent: ConsentGiven | None = None,
) -> Activity:
    """Record that a person took part in a feature app's item, with the one consent they gave
    with it (None when they gave none), as `participation_record` does.

    The item (a process, a debate, an event) belongs to a `department`: the activity is recorded
    under it and its organisation. A signed-in person's e-mail and name are their account's unless
    given; someone without an account (an event's registrant) gives `email`, `name`, `postcode`.
    """
    department = item.department
    return participation_record(
        organisation=department.organisation,
        email=email or user.email,
        kind=kind,
        item=item,
        item_title=item_title,
        reference=reference,
        source=source,
        name=name or (user.name if user is not None else ""),
        postcode=postcode,
        user=user,
        department=department,
        occurred_at=occurred_at,
        consents=[consent] if consent is not None else [],
    )


@transaction.atomic
def contact_tag(*, actor: User, contacts: list[Contact], tag_name: str) -> Tag:
    """Tag contacts (a facilitator's action, audited)."""
    organisation_ids = {contact.organisation_id for contact in contacts}
    if len(organisation_ids) != 1:
        raise ValueError("Tag the contacts of one organisation at a time")
    organisation_id = organisation_ids.pop()
    tag = Tag.objects.filter(organisation_id=organisation_id, name__iexact=tag_name).first()
    if tag is None:
        tag = Tag.objects.create(organisation_id=organisation_id, name=tag_name.strip())
    tag.contacts.add(*contacts)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EDIT,
        obj=tag,
        summary=f"Tagged {len(contacts)} contact(s) {tag.name}",
    )
    return tag


def contact_save_typed_in(*, actor: User, contact: Contact, changed: list[str]) -> Contact:
    """A contact a member of staff typed in or edited: the e-mail normalised and the ward worked
    out again from the postcode, as for contacts made any other way. Audited by the admin."""
    contact.email = contact_email_key(contact.email)
    if "postcode" in changed or contact._state.adding:
        contact.area = (
            area_for_postcode(organisation=contact.organisation, postcode=contact.postcode)
            if contact.postcode
            else None
        )
    contact.save()
    return contact
