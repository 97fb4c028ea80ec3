"""Northbridge's contacts for the segment builder's tests, with the answer counted by hand.

The segment "tagged volunteer AND consented to Transport consultations AND lives in Ancoats":

    name  tags        Transport consultations   ward      in the segment
    ann   volunteer   live                      Ancoats   yes
    bob   volunteer   live                      Hulme     no (ward)
    cat   volunteer   -                         Ancoats   no (consent)
    dan   -           live                      Ancoats   no (tag)
    eve   volunteer   withdrawn                 Ancoats   no (consent withdrawn)
    fay   volunteer   live                      Ancoats   yes

Eastmoor has a tag "allotments", a ward "Moorside" and a purpose "Eastmoor news" of its own,
which Northbridge's facilitator must never be offered.
"""

from __future__ import annotations

from dataclasses import dataclass

from civic.models import Area
from contacts.models import ConsentPurpose, Contact, Tag
from contacts.services import consent_give, consent_withdraw, contact_for_email
from tests.factories import AreaFactory

EXPECTED = {"ann", "fay"}


@dataclass
class People:
    volunteer: Tag
    transport: ConsentPurpose
    ancoats: Area
    hulme: Area
    contacts: dict[str, Contact]


def seed_people(cast) -> People:
    council = cast.council
    volunteer = council.tags.create(name="volunteer")
    council.tags.create(name="cyclists")
    ancoats = AreaFactory(organisation=council, code="E05011234", name="Ancoats")
    hulme = AreaFactory(organisation=council, code="E05011235", name="Hulme")
    transport = ConsentPurpose.objects.create(
        organisation=council,
        slug="transport-consultations",
        name="Transport consultations",
        description="New consultations about transport",
    )
    ConsentPurpose.objects.create(
        organisation=council, slug="newsletter", name="Newsletter", description="News"
    )
    east = cast.other_council
    east.tags.create(name="allotments")
    AreaFactory(organisation=east, code="E05099999", name="Moorside")
    ConsentPurpose.objects.create(
        organisation=east, slug="eastmoor-news", name="Eastmoor news", description="News"
    )
    rows = [
        ("ann", True, "live", ancoats),
        ("bob", True, "live", hulme),
        ("cat", True, None, ancoats),
        ("dan", False, "live", ancoats),
        ("eve", True, "withdrawn", ancoats),
        ("fay", True, "live", ancoats),
    ]
    contacts = {}
    for name, tagged, consent, area in rows:
        contact = contact_for_email(
            organisation=council, email=f"{name}@example.org", source="sign_up", name=name
        )
        contact.area = area
        contact.save(update_fields=["area"])
        if tagged:
            contact.tags.add(volunteer)
        if consent:
            consent_give(contact=contact, purpose=transport, method="form", wording="Yes please")
        if consent == "withdrawn":
            consent_withdraw(contact=contact, purpose=transport, method="unsubscribe link")
        contacts[name] = contact
    return People(volunteer, transport, ancoats, hulme, contacts)
