"""A council with a newsletter, a sending identity and subscribed contacts, made fast enough for
campaigns of hundreds."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import timezone

from civic.models import Role
from contacts.models import ConsentEvent, ConsentPurpose, Contact, Segment
from mailing.models import Campaign, SendingIdentity
from tests.factories import OrganisationFactory, RoleFactory


@dataclass
class Newsletter:
    council: object
    purpose: ConsentPurpose
    identity: SendingIdentity
    everyone: Segment
    facilitator: object

    def subscribe(self, count: int, *, prefix: str = "resident") -> list[Contact]:
        contacts = Contact.objects.bulk_create(
            Contact(
                organisation=self.council,
                email=f"{prefix}{number}@example.org",
                name=f"Resident {number}",
                source=Contact.Source.SIGN_UP,
            )
            for number in range(count)
        )
        ConsentEvent.objects.bulk_create(
            ConsentEvent(
                contact=contact,
                purpose=self.purpose,
                action=ConsentEvent.Action.GIVEN,
                method="sign-up form",
                wording="Send me the newsletter",
                created_at=timezone.now(),
            )
            for contact in contacts
        )
        return contacts

    def campaign(self, **fields) -> Campaign:
        campaign = Campaign.objects.create(
            organisation=self.council,
            name=fields.pop("name", "November newsletter"),
            identity=self.identity,
            purpose=self.purpose,
            subject=fields.pop("subject", 'News for {{ contact.first_name|default:"you" }}'),
            body=fields.pop("body", 'Hello {{ contact.first_name|default:"there" }},\n\nNews.'),
            created_by=self.facilitator,
            **fields,
        )
        campaign.segments.add(self.everyone)
        return campaign


def make_newsletter(
    name: str = "Northbridge City Council", slug: str = "northbridge"
) -> Newsletter:
    council = OrganisationFactory(name=name, slug=slug)
    purpose = ConsentPurpose.objects.create(
        organisation=council, slug="newsletter", name="the newsletter", description="Monthly news"
    )
    identity = SendingIdentity.objects.create(
        organisation=council,
        from_name=name,
        from_email=f"news@{slug}.example",
        reply_to=f"help@{slug}.example",
    )
    everyone = Segment.objects.create(organisation=council, name="Everyone", definition={})
    facilitator = RoleFactory(organisation=council, kind=Role.Kind.FACILITATOR).user
    return Newsletter(council, purpose, identity, everyone, facilitator)


@pytest.fixture
def newsletter(db) -> Newsletter:
    return make_newsletter()
