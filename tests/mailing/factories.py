"""Rows of the mailing app for tests: a sending identity and a campaign.

A campaign is its own template (its subject and body hold the merge fields), so there is no
separate template factory. A campaign's identity and purpose belong to its council, and
`segments=[...]` sets its audience."""

import factory

from mailing.models import Campaign, SendingIdentity
from tests.contacts.factories import ConsentPurposeFactory
from tests.factories import OrganisationFactory, UserFactory


class SendingIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SendingIdentity

    organisation = factory.SubFactory(OrganisationFactory)
    from_name = factory.SelfAttribute("organisation.name")
    from_email = factory.LazyAttribute(lambda row: f"news@{row.organisation.slug}.example")
    reply_to = factory.LazyAttribute(lambda row: f"help@{row.organisation.slug}.example")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    name = "November newsletter"
    identity = factory.SubFactory(
        SendingIdentityFactory, organisation=factory.SelfAttribute("..organisation")
    )
    purpose = factory.SubFactory(
        ConsentPurposeFactory, organisation=factory.SelfAttribute("..organisation")
    )
    subject = 'News for {{ contact.first_name|default:"you" }}'
    body = 'Hello {{ contact.first_name|default:"there" }},\n\nNews.'
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def segments(self, create, extracted, **kwargs):
        if create and extracted:
            self.segments.add(*extracted)
