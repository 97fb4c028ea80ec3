"""Rows of the contacts app for tests: a contact, a tag, a consent purpose and a consent event.

Each factory makes its parents in one council: a consent event's purpose belongs to its
contact's council unless the test says otherwise."""

import factory
from django.utils import timezone

from contacts.models import ConsentEvent, ConsentPurpose, Contact, Segment, Tag
from tests.factories import OrganisationFactory


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda number: f"resident{number}@example.org")
    name = factory.Sequence(lambda number: f"Resident {number}")
    source = Contact.Source.SIGN_UP


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda number: f"tag {number}")


class ConsentPurposeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentPurpose

    organisation = factory.SubFactory(OrganisationFactory)
    slug = factory.Sequence(lambda number: f"purpose-{number}")
    name = factory.Sequence(lambda number: f"Purpose {number}")
    description = "News now and then"


class ConsentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentEvent

    contact = factory.SubFactory(ContactFactory)
    purpose = factory.SubFactory(
        ConsentPurposeFactory, organisation=factory.SelfAttribute("..contact.organisation")
    )
    action = ConsentEvent.Action.GIVEN
    method = "sign-up form"
    wording = "Send me the newsletter"
    created_at = factory.LazyFunction(timezone.now)


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    organisation = factory.SubFactory(OrganisationFactory)
    name = "Everyone"
    definition = factory.LazyFunction(dict)
