import pytest
from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError, models, transaction

from civic.models import AuditEntry, Department
from civic.services import _audit_label, audit_record
from tests.factories import (
    AuditEntryFactory,
    DepartmentFactory,
    OrganisationFactory,
    RoleFactory,
)
from tests.scoped_feature.models import Notice

# Django's and other libraries' models never reach audit_record.
EXTERNAL_APPS = {
    "admin",
    "auth",
    "contenttypes",
    "sessions",
    "sites",
    "account",
    "django_celery_beat",
}


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


# What the log may hold -------------------------------------------------------------------------

# Models that name themselves in the log by what staff wrote (checked by hand: no resident or
# contact writes these names). Any other model is named by kind and number.
STAFF_NAMED = {
    "civic.organisation",
    "civic.department",
    "civic.area",
    "civic.role",
    "contacts.tag",
    "contacts.consentpurpose",
    "contacts.segment",
    "consultations.consultation",
    "mailing.campaign",
}
PERSONAL = "Zara Pemberton-Lyle zara.pl@example.org"
# Text the system makes up itself, never a person: kept as it is.
SYSTEM_MADE = {"consultations.response.reference"}


def _filled(model):
    """An unsaved row of the model whose every text field holds a person's name and address."""
    row = model(pk=7)
    for field in model._meta.concrete_fields:
        if f"{model._meta.label_lower}.{field.name}" in SYSTEM_MADE:
            continue
        if isinstance(field, (models.CharField, models.TextField)) and not field.choices:
            setattr(row, field.attname, PERSONAL)
        elif isinstance(field, models.FileField):
            setattr(row, field.attname, f"uploads/{PERSONAL}.csv")
    return row


def test_every_model_is_named_in_the_log_without_the_personal_data_its_fields_hold():
    """Found from the app registry, so that a new app's models are held to the same rule."""
    checked, leaks = 0, []
    for model in apps.get_models():
        if model._meta.label_lower in STAFF_NAMED or model._meta.app_label in EXTERNAL_APPS:
            continue
        row = _filled(model)
        try:
            label = _audit_label(row)
        except (ObjectDoesNotExist, ValueError):  # a label that needs a related row
            continue
        if "zara" in label.lower():
            leaks.append((model._meta.label, label))
        checked += 1
    assert leaks == []
    assert checked > 25  # the loop saw the apps' models


def test_a_model_without_a_label_of_its_own_is_named_by_kind_and_number(db):
    department = DepartmentFactory()
    notice = Notice.objects.create(department=department, title=PERSONAL)
    assert _audit_label(notice) == f"Notice #{notice.pk}"
    assert _audit_label(department) == str(department)


@pytest.mark.django_db
def test_an_email_address_in_a_summary_never_reaches_the_log():
    entry = audit_record(
        actor=None,
        action=AuditEntry.Action.MODERATE,
        summary="Invalidated 3 signatures (address Zara.PL+news@Example.org.uk): spam",
    )
    assert entry.summary == "Invalidated 3 signatures (address [e-mail address]): spam"
