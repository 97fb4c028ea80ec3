"""Who may do what, as named predicates shared by the admin, the pages and the API.

Every predicate returns False for a missing object or an anonymous user. Querysets are scoped by
the matching methods in `civic.selectors`, so lists never depend on checking rows one by one.
"""

from __future__ import annotations

import rules

from civic.models import Role


def organisation_of(obj) -> int | None:
    """The id of the organisation an object belongs to, following department or area links."""
    if obj is None:
        return None
    if obj.__class__.__name__ == "Organisation":
        return obj.pk
    organisation_id = getattr(obj, "organisation_id", None)
    if organisation_id is not None:
        return organisation_id
    for link in ("department", "area"):
        related = getattr(obj, link, None)
        if related is not None:
            return related.organisation_id
    return None


def department_of(obj) -> int | None:
    if obj is None:
        return None
    if obj.__class__.__name__ == "Department":
        return obj.pk
    return getattr(obj, "department_id", None)


def _roles(user) -> list[Role]:
    """The user's roles, loaded once per request and kept on the user object."""
    if not user or not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, "_civic_roles", None)
    if cached is None:
        cached = list(Role.objects.filter(user=user).prefetch_related("departments"))
        user._civic_roles = cached
    return cached


def organisations_with_role(user, *kinds: str) -> set[int]:
    return {role.organisation_id for role in _roles(user) if not kinds or role.kind in kinds}


def officer_departments(user) -> set[int]:
    return {
        department.pk
        for role in _roles(user)
        if role.kind == Role.Kind.OFFICER
        for department in role.departments.all()
    }


@rules.predicate
def is_site_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


@rules.predicate
def has_any_role(user) -> bool:
    return bool(_roles(user))


@rules.predicate
def is_organisation_admin(user, obj=None) -> bool:
    organisations = organisations_with_role(user, Role.Kind.ORGANISATION_ADMIN)
    if obj is None:
        return bool(organisations)
    return organisation_of(obj) in organisations


@rules.predicate
def is_facilitator(user, obj=None) -> bool:
    organisations = organisations_with_role(user, Role.Kind.FACILITATOR)
    if obj is None:
        return bool(organisations)
    return organisation_of(obj) in organisations


@rules.predicate
def is_officer_of_organisation(user, obj=None) -> bool:
    organisations = organisations_with_role(user, Role.Kind.OFFICER)
    if obj is None:
        return bool(organisations)
    return organisation_of(obj) in organisations


@rules.predicate
def is_officer_of_department(user, obj=None) -> bool:
    """True when the object belongs to one of the officer's departments."""
    departments = officer_departments(user)
    if obj is None:
        return bool(departments)
    return department_of(obj) in departments


@rules.predicate
def is_member_of_organisation(user, obj=None) -> bool:
    organisations = organisations_with_role(user)
    if obj is None:
        return bool(organisations)
    return organisation_of(obj) in organisations


runs_organisation = is_site_admin | is_organisation_admin
runs_department_item = runs_organisation | is_officer_of_department
keeps_contacts = runs_organisation | is_facilitator

# Core objects. Django's admin asks for these names; the pages and the API ask the same.
rules.add_perm("civic.view_organisation", is_site_admin | is_member_of_organisation)
rules.add_perm("civic.change_organisation", runs_organisation)
rules.add_perm("civic.add_organisation", is_site_admin)
rules.add_perm("civic.delete_organisation", is_site_admin)

for model in ("department", "area", "role"):
    rules.add_perm(f"civic.view_{model}", is_site_admin | is_member_of_organisation)
    rules.add_perm(f"civic.add_{model}", runs_organisation)
    rules.add_perm(f"civic.change_{model}", runs_organisation)
    rules.add_perm(f"civic.delete_{model}", runs_organisation)

rules.add_perm("civic.view_postcode", is_site_admin | is_member_of_organisation)
rules.add_perm("civic.add_postcode", runs_organisation | is_officer_of_organisation)
rules.add_perm("civic.change_postcode", runs_organisation | is_officer_of_organisation)
rules.add_perm("civic.delete_postcode", runs_organisation)
rules.add_perm("civic.load_postcodes", runs_organisation | is_officer_of_organisation)

rules.add_perm("civic.view_auditentry", runs_organisation)
rules.add_perm("civic.view_user", is_site_admin)
rules.add_perm("civic.add_user", is_site_admin)
rules.add_perm("civic.change_user", is_site_admin)
rules.add_perm("civic.delete_user", is_site_admin)

# The module name the admin checks before listing an app's models at all.
rules.add_perm("civic", is_site_admin | has_any_role)
