"""Who may see and change contacts: facilitators and organisation admins of the contact's own
organisation; officers only the contacts who took part in their departments' items, and only when
CIVIC_OFFICERS_SEE_CONTACTS is on."""

import rules
from django.conf import settings

from civic.rules import is_facilitator, officer_departments, runs_organisation

keeps_contacts = runs_organisation | is_facilitator


@rules.predicate
def officers_may_see_contacts(user) -> bool:
    return bool(getattr(settings, "CIVIC_OFFICERS_SEE_CONTACTS", False))


@rules.predicate
def took_part_in_officers_department(user, contact=None) -> bool:
    departments = officer_departments(user)
    if not departments:
        return False
    if contact is None:
        return True
    return contact.activities.filter(department_id__in=departments).exists()


officer_sees_contact = officers_may_see_contacts & took_part_in_officers_department

rules.add_perm("contacts", keeps_contacts | officer_sees_contact)
rules.add_perm("contacts.view_contact", keeps_contacts | officer_sees_contact)
for model in ("contact", "tag", "consentpurpose", "segment", "contactimport", "datarequest"):
    if model != "contact":
        rules.add_perm(f"contacts.view_{model}", keeps_contacts)
    rules.add_perm(f"contacts.add_{model}", keeps_contacts)
    rules.add_perm(f"contacts.change_{model}", keeps_contacts)
    if model != "contact":
        rules.add_perm(f"contacts.delete_{model}", keeps_contacts)
# The timeline and the consent history, read-only inside a contact's record.
# Nobody deletes a contact outright: that would destroy the consent history and the counts.
# Erasure (contacts.services.gdpr.contact_erase) removes the personal data and keeps both.
rules.add_perm("contacts.delete_contact", rules.always_deny)
rules.add_perm("contacts.view_activity", keeps_contacts | officer_sees_contact)
rules.add_perm("contacts.view_consentevent", keeps_contacts | officer_sees_contact)
rules.add_perm("contacts.export_contacts", keeps_contacts)
rules.add_perm("contacts.merge_contacts", keeps_contacts)
rules.add_perm("contacts.erase_contact", keeps_contacts)
