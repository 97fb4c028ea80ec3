"""The cast: one of each kind of person the permission rules tell apart, for a council and a
second council, so that a test says who acts ("the facilitator") instead of building them.

`cast` (a fixture in tests/conftest.py) makes Northbridge with its Transport and Parks
departments, and Eastmoor with Planning. `make_cast(council=..., department=...)` builds the
same people around a council, departments or people a test already has.
"""

from __future__ import annotations

from dataclasses import dataclass

from civic.models import Department, Organisation, Role, User
from tests.factories import DepartmentFactory, OrganisationFactory, RoleFactory, UserFactory


@dataclass
class Cast:
    council: Organisation
    department: Department  # the officer's department
    other_department: Department  # the same council's, run by the other officer
    other_council: Organisation
    other_council_department: Department
    resident: User  # signed up, no role
    officer: User  # an officer of `department`
    other_officer: User  # an officer of `other_department`
    facilitator: User  # keeps the council's contacts and mailing
    admin: User  # the council's organisation admin
    superuser: User  # a site admin
    other_council_officer: User  # an officer of `other_council_department`
    other_council_admin: User

    @property
    def people(self) -> dict[str, User]:
        """Everyone, by the name a permission matrix gives their role."""
        return {
            "resident": self.resident,
            "officer": self.officer,
            "officer of another department": self.other_officer,
            "facilitator": self.facilitator,
            "organisation admin": self.admin,
            "site admin": self.superuser,
            "other council's officer": self.other_council_officer,
            "other council's admin": self.other_council_admin,
        }

    def only(self, *roles: str) -> dict[str, User]:
        """The named people, for a matrix that holds only some of the roles."""
        people = self.people
        return {role: people[role] for role in roles}


def make_cast(**given) -> Cast:
    """The cast, using whatever council, department or person the test passes in by field name."""
    council = given.get("council") or OrganisationFactory(name="Northbridge", slug="northbridge")
    other_council = given.get("other_council") or OrganisationFactory(
        name="Eastmoor", slug="eastmoor"
    )
    department = given.get("department") or DepartmentFactory(
        organisation=council, name="Transport", slug="transport"
    )
    other_department = given.get("other_department") or DepartmentFactory(
        organisation=council, name="Parks", slug="parks"
    )
    other_council_department = given.get("other_council_department") or DepartmentFactory(
        organisation=other_council, name="Planning", slug="planning"
    )

    def role(kind, organisation, departments=()):
        return RoleFactory(organisation=organisation, kind=kind, departments=list(departments)).user

    made = {
        "resident": lambda: UserFactory(),
        "officer": lambda: role(Role.Kind.OFFICER, council, [department]),
        "other_officer": lambda: role(Role.Kind.OFFICER, council, [other_department]),
        "facilitator": lambda: role(Role.Kind.FACILITATOR, council),
        "admin": lambda: role(Role.Kind.ORGANISATION_ADMIN, council),
        "superuser": lambda: UserFactory(is_staff=True, is_superuser=True),
        "other_council_officer": lambda: role(
            Role.Kind.OFFICER, other_council, [other_council_department]
        ),
        "other_council_admin": lambda: role(Role.Kind.ORGANISATION_ADMIN, other_council),
    }
    return Cast(
        council=council,
        department=department,
        other_department=other_department,
        other_council=other_council,
        other_council_department=other_council_department,
        **{name: given.get(name) or make() for name, make in made.items()},
    )
