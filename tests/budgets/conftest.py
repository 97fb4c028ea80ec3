"""A council with a Community Budgets team, two wards with postcodes, and a process in the phase a
test asks for (a citywide budget and one per ward, two categories), with the people the
permission rules tell apart, for the budget tests to share."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from budgets.models import Budget, Category, Idea, Process, Support
from civic.models import Role
from tests.budgets.factories import IdeaFactory, ProcessFactory
from tests.factories import (
    AreaFactory,
    DepartmentFactory,
    OrganisationFactory,
    RoleFactory,
    UserFactory,
)

# The phases after the first, in order; a process "in" one has its date a day ago, the earlier
# ones further back and the later ones ahead, ten days apart.
PHASES = [
    Process.Stage.IDEAS,
    Process.Stage.REVIEW,
    Process.Stage.VOTING,
    Process.Stage.RESULTS,
    Process.Stage.IMPLEMENTATION,
]


@dataclass
class Council:
    organisation: object
    team: object  # Community Budgets, which runs the processes
    other_department: object
    ancoats: object
    hulme: object
    officer: object  # an officer of the team
    other_officer: object  # an officer of another department
    admin: object  # the organisation's admin
    resident: object  # a signed-in resident, who proposes
    supporter: object  # another signed-in resident
    other_council_officer: object
    other_council_admin: object


@pytest.fixture(autouse=True)
def _quick_proposing(settings):
    """Tests propose in milliseconds and from one address; the limits have tests of their own
    (tests/civic/test_form_guard.py runs them on this form's guard too)."""
    settings.CIVIC_BUDGET_PROPOSE_MIN_SECONDS = 0
    settings.CIVIC_BUDGET_PROPOSE_BURST = "1000/m"
    settings.CIVIC_BUDGET_PROPOSE_SUSTAINED = "1000/h"


@pytest.fixture
def council(db) -> Council:
    organisation = OrganisationFactory(name="Northbridge City Council", slug="northbridge")
    team = DepartmentFactory(organisation=organisation, name="Community Budgets", slug="budgets")
    other = DepartmentFactory(organisation=organisation, name="Libraries", slug="libraries")
    ancoats = AreaFactory(organisation=organisation, code="E05000001", name="Ancoats")
    ancoats.postcodes.create(organisation=organisation, postcode="M4 6AA")
    hulme = AreaFactory(organisation=organisation, code="E05000002", name="Hulme")
    hulme.postcodes.create(organisation=organisation, postcode="M15 5AA")
    elsewhere = OrganisationFactory(name="Eastmoor Borough Council", slug="eastmoor")
    planning = DepartmentFactory(organisation=elsewhere, name="Planning", slug="planning")

    def role(kind, where, departments=()):
        return RoleFactory(organisation=where, kind=kind, departments=list(departments)).user

    return Council(
        organisation=organisation,
        team=team,
        other_department=other,
        ancoats=ancoats,
        hulme=hulme,
        officer=role(Role.Kind.OFFICER, organisation, [team]),
        other_officer=role(Role.Kind.OFFICER, organisation, [other]),
        admin=role(Role.Kind.ORGANISATION_ADMIN, organisation),
        resident=UserFactory(email="cara@example.org", name="Cara Creator"),
        supporter=UserFactory(email="sam@example.org", name="Sam Supporter"),
        other_council_officer=role(Role.Kind.OFFICER, elsewhere, [planning]),
        other_council_admin=role(Role.Kind.ORGANISATION_ADMIN, elsewhere),
    )


def dates_for(stage: str, now=None) -> dict:
    """The dates that put a process in `stage` at `now`."""
    now = now or timezone.now()
    current = PHASES.index(stage) if stage in PHASES else -1
    return {
        phase_field: now + timedelta(days=10 * (index - current) - 1)
        for index, phase_field in enumerate(Process.SCHEDULE.fields())
    }


def make_process(council: Council, stage: str = Process.Stage.IDEAS, *, now=None,
                 status=Process.Status.PUBLISHED, **fields) -> Process:  # fmt: skip
    """A process of the team in `stage`, with a citywide budget of £100,000, £50,000 for each
    ward, and two categories."""
    process = ProcessFactory(department=council.team, status=status,
                             **{**dates_for(stage, now), **fields})  # fmt: skip
    Budget.objects.create(process=process, area=None, amount=100_000)
    for area in (council.ancoats, council.hulme):
        Budget.objects.create(process=process, area=area, amount=50_000)
    for name in ("Parks", "Streets"):
        Category.objects.create(process=process, name=name)
    return process


def budget_of(process: Process, area=None) -> Budget:
    return process.budgets.get(area=area)


def make_idea(process: Process, *, proposer, area=None, **fields) -> Idea:
    return IdeaFactory(budget=budget_of(process, area), proposer=proposer, **fields)


def support(idea: Idea, *users) -> None:
    Support.objects.bulk_create([Support(idea=idea, user=user) for user in users])


def drawn_token(seconds_ago: int = 60) -> str:
    """The propose form's signed drawing time, as if drawn `seconds_ago`."""
    from budgets.services import propose_token

    return propose_token(now=time.time() - seconds_ago)
