"""Rows of the petitions app for tests: a petition and a signature.

A petition is open since yesterday for the default 182 days, in its department's council; a
signature is confirmed unless `status=Signature.Status.PENDING`. Both are made directly: the
services that make them in real life have tests of their own."""

from datetime import timedelta

import factory
from django.utils import timezone

from petitions.models import Petition, Signature
from petitions.services import signing
from tests.factories import DepartmentFactory, UserFactory


class PetitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Petition

    department = factory.SubFactory(DepartmentFactory)
    organisation = factory.SelfAttribute("department.organisation")
    creator = factory.SubFactory(UserFactory)
    creator_name = factory.SelfAttribute("creator.name")
    title = factory.Sequence(lambda number: f"Petition {number}")
    background = "The road has too few trees and too much traffic."
    status = Petition.Status.OPEN
    opened_at = factory.LazyAttribute(
        lambda petition: (
            timezone.now() - timedelta(days=1) if petition.status == Petition.Status.OPEN else None
        )
    )
    closes_at = factory.LazyAttribute(
        lambda petition: petition.opened_at + timedelta(days=182) if petition.opened_at else None
    )


class SignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signature

    petition = factory.SubFactory(PetitionFactory)
    name = factory.Sequence(lambda number: f"Signer {number}")
    email = factory.Sequence(lambda number: f"signer{number}@example.org")
    email_normalised = factory.LazyAttribute(
        lambda signature: signing.signature_email_key(signature.email)
    )
    postcode = "M4 6AA"
    status = Signature.Status.CONFIRMED
    created_at = factory.LazyFunction(timezone.now)
    confirmed_at = factory.LazyAttribute(
        lambda signature: (
            signature.created_at if signature.status == Signature.Status.CONFIRMED else None
        )
    )
