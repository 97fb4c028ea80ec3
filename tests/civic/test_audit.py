import pytest
from django.db import DatabaseError, transaction

from civic.models import AuditEntry, Department
from tests.factories import (
    AuditEntryFactory,
    DepartmentFactory,
    OrganisationFactory,
    RoleFactory,
)


@pytest.fixture
def organisation_admin(db):
    council = OrganisationFactory(name="Northbridge")
    return RoleFactory(organisation=council, kind="organisation_admin")


def test_an_admin_edit_is_recorded_with_actor_object_and_what_changed(organisation_admin, client):
    department = DepartmentFactory(organisation=organisation_admin.organisation, name="Parks")
    client.force_login(organisation_admin.user)

    response = client.post(
        f"/admin/civic/department/{department.pk}/change/",
        {"organisation": department.organisation_id, "name": "Parks and Gardens", "slug": "parks"},
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert entry.actor == organisation_admin.user
    assert entry.actor_label == organisation_admin.user.email
    assert entry.action == "edit"
    assert entry.object_repr == "Parks and Gardens (Northbridge)"
    assert entry.object_id == str(department.pk)
    assert entry.organisation_id == organisation_admin.organisation_id
    assert entry.summary == "Changed name, slug"


def test_creating_and_deleting_in_the_admin_are_recorded(organisation_admin, client):
    client.force_login(organisation_admin.user)
    client.post(
        "/admin/civic/department/add/",
        {"organisation": organisation_admin.organisation_id, "name": "Housing", "slug": "housing"},
    )
    department = Department.objects.get(slug="housing")
    client.post(f"/admin/civic/department/{department.pk}/delete/", {"post": "yes"})

    assert not Department.objects.filter(slug="housing").exists()
    assert list(AuditEntry.objects.order_by("id").values_list("action", "object_repr")) == [
        ("create", "Housing (Northbridge)"),
        ("delete", "Housing (Northbridge)"),
    ]


def test_the_admin_offers_no_way_to_change_or_delete_an_audit_entry(organisation_admin, client):
    entry = AuditEntryFactory(organisation_id=organisation_admin.organisation_id)
    client.force_login(organisation_admin.user)
    change = client.post(f"/admin/civic/auditentry/{entry.pk}/change/", {"summary": "forged"})
    delete = client.post(f"/admin/civic/auditentry/{entry.pk}/delete/", {"post": "yes"})
    assert change.status_code in {200, 403}
    assert delete.status_code == 403
    entry.refresh_from_db()
    assert entry.summary == "Changed title"


@pytest.mark.usefixtures("postgresql_only")
def test_the_database_refuses_to_update_or_delete_audit_entries(db):
    entry = AuditEntryFactory()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(summary="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.summary == "Changed title"


def test_the_database_refuses_to_update_audit_entries_on_either_database(db):
    entry = AuditEntryFactory()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(summary="forged")
    entry.refresh_from_db()
    assert entry.summary == "Changed title"
