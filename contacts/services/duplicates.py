"""Possible duplicates, and merging them into one contact.

One person often reaches a council under several forms of one address (Ann.Smith+news@gmail.com
and annsmith@googlemail.com are one Gmail mailbox), or with no address twice under the same name
and postcode. These are listed for a facilitator to check; nothing merges without them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from civic.models import AuditEntry, User
from civic.services import audit_record, require
from contacts.models import Activity, Contact, Tag

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def email_key(email: str) -> str:
    """One form of an address per mailbox: lower case, no +tag, and for Gmail no dots."""
    email = (email or "").strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return email
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def name_key(name: str) -> str:
    return " ".join((name or "").lower().split())


@dataclass
class DuplicateGroup:
    contacts: list[Contact]
    reasons: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [contact.pk for contact in self.contacts]


def duplicate_groups(queryset: QuerySet) -> list[DuplicateGroup]:
    """Groups of contacts in one organisation that may be one person, oldest contact first.

    Reads only the columns compared; a group found for two reasons is listed once with both.
    """
    by_key: dict[tuple, list[int]] = defaultdict(list)
    rows = (
        queryset.filter(anonymised_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "organisation_id", "email", "name", "postcode")
    )
    for pk, organisation_id, email, name, postcode in rows.iterator(chunk_size=2000):
        if email:
            by_key[(organisation_id, "email", email_key(email))].append(pk)
        if name_key(name) and postcode:
            by_key[(organisation_id, "name", name_key(name), postcode)].append(pk)
    reasons_by_members: dict[tuple[int, ...], list[str]] = {}
    for key, members in by_key.items():
        if len(members) < 2:
            continue
        reason = "same e-mail address" if key[1] == "email" else "same name and postcode"
        reasons = reasons_by_members.setdefault(tuple(members), [])
        if reason not in reasons:
            reasons.append(reason)
    wanted = {pk for members in reasons_by_members for pk in members}
    contacts = Contact.objects.select_related("organisation").in_bulk(wanted)
    groups = [
        DuplicateGroup(contacts=[contacts[pk] for pk in members], reasons=reasons)
        for members, reasons in reasons_by_members.items()
    ]
    groups.sort(key=lambda group: group.ids)
    return groups


FILLED_FROM_OTHERS = ["email", "name", "phone", "represents", "user_id"]


@transaction.atomic
def contacts_merge(*, actor: User, keep: Contact, others: list[Contact]) -> Contact:
    """Move everything held about `others` onto `keep`, fill its blanks, and delete the others.

    The rows are locked in one order (by id) so two merges that share a contact wait for each
    other instead of deadlocking; contacts of two organisations, or an anonymised one, are refused
    before anything changes. Every row that points at a contact moves, including rows of apps
    this module does not know, so that deleting the others cascades to nothing.
    """
    other_ids = {other.pk for other in others} - {keep.pk}
    if not other_ids:
        raise ValueError("Choose at least one other contact to merge into the one kept")
    locked = {
        contact.pk: contact
        for contact in Contact.objects.select_for_update()
        .filter(pk__in={keep.pk, *other_ids})
        .order_by("pk")
    }
    if len(locked) != len(other_ids) + 1:
        raise ValueError("A contact to merge no longer exists")
    if len({contact.organisation_id for contact in locked.values()}) != 1:
        raise ValueError("Contacts of different organisations cannot be merged")
    if any(contact.anonymised_at for contact in locked.values()):
        raise ValueError("An erased contact cannot be merged")
    for contact in locked.values():
        require(
            actor,
            "contacts.merge_contacts",
            contact,
            message=_("You cannot merge this council's contacts."),
        )
    kept = locked[keep.pk]
    merged = [locked[pk] for pk in sorted(other_ids)]

    # An act recorded under both contacts (same feature reference) is one act: keep one row.
    same_act = Activity.objects.filter(
        contact=kept,
        kind=OuterRef("kind"),
        content_type=OuterRef("content_type"),
        reference=OuterRef("reference"),
    )
    Activity.objects.filter(contact_id__in=other_ids).exclude(reference="").filter(
        Exists(same_act)
    ).delete()
    moved = {}
    for relation in Contact._meta.related_objects:
        if not (relation.one_to_many or relation.one_to_one):
            continue
        model = relation.related_model
        moved[relation.name] = model._base_manager.filter(
            **{f"{relation.field.name}__in": other_ids}
        ).update(**{relation.field.name: kept})
    kept.tags.add(*Tag.objects.filter(contacts__in=other_ids).distinct())

    notes = [kept.notes.strip()] if kept.notes.strip() else []
    for other in merged:
        if other.notes.strip() and other.notes.strip() not in notes:
            notes.append(other.notes.strip())
        for name in FILLED_FROM_OTHERS:
            if not getattr(kept, name) and getattr(other, name):
                setattr(kept, name, getattr(other, name))
        if not kept.postcode and other.postcode:  # the ward goes with the postcode it came from
            kept.postcode, kept.area_id = other.postcode, other.area_id
    kept.notes = "\n\n".join(notes)
    # The others go first: one of them may hold the address the kept contact takes over.
    Contact.objects.filter(pk__in=other_ids).delete()
    # Django's own admin history named the merged-away contacts as they were shown (name or
    # e-mail); name them by id, so that no copy of their details outlives them there.
    content_type = ContentType.objects.get_for_model(Contact)
    for other_id in other_ids:
        LogEntry.objects.filter(content_type=content_type, object_id=str(other_id)).update(
            object_repr=f"Contact #{other_id}"
        )
    kept.save(
        update_fields=["email", "name", "phone", "represents", "user", "postcode", "area", "notes"]
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EDIT,
        obj=kept,
        summary=(
            f"Merged contact(s) {', '.join(f'#{pk}' for pk in sorted(other_ids))} into "
            f"#{kept.pk}: moved {moved.get('activities', 0)} activities, "
            f"{moved.get('consent_events', 0)} consent events, "
            f"{moved.get('data_requests', 0)} data requests"
        ),
    )
    return kept
