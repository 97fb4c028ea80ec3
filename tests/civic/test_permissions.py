"""The permission matrix: every role against every core object, through the named permissions
that the admin, the pages and the API all ask, and through the scoped admin lists."""

import pytest
from django.contrib.auth.models import AnonymousUser

from civic.models import AuditEntry
from tests.factories import (
    AreaFactory,
    AuditEntryFactory,
)


@pytest.fixture
def world(cast):
    north, transport, parks = cast.council, cast.department, cast.other_department
    people = {
        "anonymous": AnonymousUser(),
        **cast.only(
            "resident", "officer", "facilitator", "organisation admin", "other council's admin",
            "site admin",
        ),
    }  # fmt: skip
    things = {
        "north": north,
        "transport": transport,
        "parks": parks,
        "planning": cast.other_council_department,
        "north ward": AreaFactory(organisation=north),
        "north audit": AuditEntryFactory(organisation_id=north.pk),
    }
    return people, things


# (permission, object) -> the people who hold it; everyone else is refused.
MATRIX = {
    ("civic.view_organisation", "north"): {
        "officer",
        "facilitator",
        "organisation admin",
        "site admin",
    },
    ("civic.change_organisation", "north"): {"organisation admin", "site admin"},
    ("civic.delete_organisation", "north"): {"site admin"},
    ("civic.view_department", "transport"): {
        "officer",
        "facilitator",
        "organisation admin",
        "site admin",
    },
    ("civic.view_department", "planning"): {"other council's admin", "site admin"},
    ("civic.change_department", "transport"): {"organisation admin", "site admin"},
    ("civic.change_department", "planning"): {"other council's admin", "site admin"},
    ("civic.add_area", "north ward"): {"organisation admin", "site admin"},
    ("civic.change_area", "north ward"): {"organisation admin", "site admin"},
    ("civic.load_postcodes", "north"): {"officer", "organisation admin", "site admin"},
    ("civic.change_role", "north"): {"organisation admin", "site admin"},
    ("civic.view_auditentry", "north audit"): {"organisation admin", "site admin"},
}


@pytest.mark.parametrize(("permission", "thing"), list(MATRIX))
def test_each_role_holds_exactly_the_permissions_in_the_matrix(world, permission, thing):
    people, things = world
    holders = {name for name, user in people.items() if user.has_perm(permission, things[thing])}
    assert holders == MATRIX[(permission, thing)]


def test_department_predicates_separate_officers_of_one_organisation(world):
    from civic.rules import is_officer_of_department, runs_department_item

    people, things = world
    officer = people["officer"]
    assert is_officer_of_department(officer, things["transport"])
    assert not is_officer_of_department(officer, things["parks"])
    assert runs_department_item(people["organisation admin"], things["parks"])
    assert not runs_department_item(people["other council's admin"], things["parks"])
    assert not runs_department_item(people["anonymous"], things["transport"])


def test_predicates_refuse_a_missing_object_for_department_scoped_checks(world):
    from civic.rules import department_of, organisation_of

    assert organisation_of(None) is None
    assert department_of(None) is None


ADMIN_LISTS = [
    # (person, admin list, rows they should see by name)
    ("officer", "department", {"Transport", "Parks"}),
    ("organisation admin", "department", {"Transport", "Parks"}),
    ("other council's admin", "department", {"Planning"}),
    ("site admin", "department", {"Transport", "Parks", "Planning"}),
]


@pytest.mark.parametrize(("person", "model", "expected"), ADMIN_LISTS)
def test_admin_lists_hold_only_the_rows_of_the_persons_organisations(
    world, client, person, model, expected
):
    people, _things = world
    client.force_login(people[person])
    response = client.get(f"/admin/civic/{model}/")
    assert response.status_code == 200
    shown = {row.name for row in response.context["cl"].result_list}
    assert shown == expected


@pytest.mark.parametrize("person", ["resident", "anonymous"])
def test_people_without_a_role_cannot_reach_the_admin(world, client, person):
    people, _things = world
    if person != "anonymous":
        client.force_login(people[person])
    response = client.get("/admin/civic/department/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_officer_cannot_open_another_organisations_department_in_the_admin(world, client):
    people, things = world
    client.force_login(people["officer"])
    response = client.get(f"/admin/civic/department/{things['planning'].pk}/change/")
    assert response.status_code == 404  # a row outside the queryset is not found
    assert things["planning"].name == "Planning"


def test_an_officer_cannot_change_a_department_and_nothing_is_changed_or_logged(world, client):
    people, things = world
    client.force_login(people["officer"])
    response = client.post(
        f"/admin/civic/department/{things['transport'].pk}/change/",
        {"organisation": things["north"].pk, "name": "Renamed", "slug": "renamed"},
    )
    assert response.status_code == 403
    things["transport"].refresh_from_db()
    assert things["transport"].name == "Transport"
    assert (
        not AuditEntry.objects.filter(action=AuditEntry.Action.EDIT)
        .exclude(summary="Changed title")
        .exists()
    )


def test_the_audit_log_lists_only_the_admins_own_organisation(world, client):
    people, things = world
    AuditEntryFactory(organisation_id=things["planning"].organisation_id, summary="East entry")
    client.force_login(people["organisation admin"])
    response = client.get("/admin/civic/auditentry/")
    assert response.status_code == 200
    assert [entry.summary for entry in response.context["cl"].result_list] == ["Changed title"]


def test_an_officer_cannot_read_the_audit_log(world, client):
    people, _things = world
    client.force_login(people["officer"])
    assert client.get("/admin/civic/auditentry/").status_code == 403
