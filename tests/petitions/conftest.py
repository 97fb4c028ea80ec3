"""A council with a petition scheme (a petitions team, five supporters, thresholds of 10 and 20
signatures), two wards with postcodes, officers in and outside the team, and helpers to make
petitions in each state and sign them, for the petition tests to share."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from civic.models import Role
from petitions.models import Petition, PetitionPolicy, Signature, Threshold
from petitions.services.signing import signature_email_key, start_token
from tests.factories import (
    AreaFactory,
    DepartmentFactory,
    OrganisationFactory,
    RoleFactory,
    UserFactory,
)
from tests.petitions.factories import PetitionFactory


@dataclass
class Council:
    organisation: object
    team: object  # the petitions team (a department)
    other_department: object
    policy: PetitionPolicy
    ancoats: object
    hulme: object
    moderator: object  # an officer of the petitions team
    other_officer: object  # an officer of another department
    admin: object  # the organisation's admin
    resident: object  # a signed-in resident


@pytest.fixture(autouse=True)
def _quick_signing(settings):
    """Tests sign in milliseconds and from one address; the limits have tests of their own."""
    settings.CIVIC_PETITION_MIN_SECONDS = 0
    settings.CIVIC_PETITION_SIGN_BURST = "1000/m"
    settings.CIVIC_PETITION_SIGN_SUSTAINED = "1000/h"


@pytest.fixture
def council(db) -> Council:
    organisation = OrganisationFactory(name="Northbridge City Council", slug="northbridge")
    team = DepartmentFactory(
        organisation=organisation, name="Democratic Services", slug="democratic"
    )
    other = DepartmentFactory(organisation=organisation, name="Libraries", slug="libraries")
    policy = PetitionPolicy.objects.create(organisation=organisation, department=team)
    Threshold.objects.create(policy=policy, kind=Threshold.Kind.RESPONSE, signatures=10)
    Threshold.objects.create(policy=policy, kind=Threshold.Kind.DEBATE, signatures=20)
    ancoats = AreaFactory(organisation=organisation, code="E05000001", name="Ancoats")
    ancoats.postcodes.create(organisation=organisation, postcode="M4 6AA")
    hulme = AreaFactory(organisation=organisation, code="E05000002", name="Hulme")
    hulme.postcodes.create(organisation=organisation, postcode="M15 5AA")
    moderator = RoleFactory(organisation=organisation, kind=Role.Kind.OFFICER,
                            departments=[team]).user  # fmt: skip
    other_officer = RoleFactory(organisation=organisation, kind=Role.Kind.OFFICER,
                                departments=[other]).user  # fmt: skip
    admin = RoleFactory(organisation=organisation, kind=Role.Kind.ORGANISATION_ADMIN).user
    resident = UserFactory(email="creator@example.org", name="Cara Creator")
    return Council(organisation, team, other, policy, ancoats, hulme, moderator,
                   other_officer, admin, resident)  # fmt: skip


def make_petition(council: Council, *, status=Petition.Status.OPEN, title="Plant more trees on "
                  "Oxford Road", opened_days_ago=1, **fields) -> Petition:  # fmt: skip
    """A petition in the given state, made directly (the services have their own tests)."""
    now = timezone.now()
    values = {
        "department": council.team,
        "creator": council.resident,
        "creator_name": "Cara Creator",
        "title": title,
        "status": status,
        "opened_at": None,
    }
    if status in (Petition.Status.OPEN,):
        values["opened_at"] = now - timedelta(days=opened_days_ago)
        values["closes_at"] = values["opened_at"] + timedelta(days=council.policy.open_days)
    if status == Petition.Status.PENDING:
        values["submitted_at"] = now - timedelta(days=1)
    values.update(fields)
    return PetitionFactory(**values)


def add_signatures(petition: Petition, count: int, *, area=None, status="confirmed",
                   prefix="signer", hears_progress=False) -> list[Signature]:  # fmt: skip
    """Signatures made directly, `count` of them, confirmed unless told otherwise."""
    now = timezone.now()
    rows = [
        Signature(
            petition=petition,
            name=f"Signer {number}",
            email=f"{prefix}{number}@example.org",
            email_normalised=signature_email_key(f"{prefix}{number}@example.org"),
            postcode="M4 6AA" if area is None or area.name == "Ancoats" else "M15 5AA",
            area=area,
            status=status,
            hears_progress=hears_progress,
            created_at=now,
            confirmed_at=now if status == "confirmed" else None,
        )
        for number in range(count)
    ]
    return Signature.objects.bulk_create(rows)


def drawn_token(seconds_ago: int = 60) -> str:
    """The form's signed drawing time, as if drawn `seconds_ago`."""
    return start_token(now=time.time() - seconds_ago)
