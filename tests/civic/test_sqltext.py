"""civic.sqltext: statements written once from the models' names. insert_new inserts a row or
nothing, with no error for the database to log and nothing for the caller's transaction to
recover from; two requests that race make one row."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction

from civic import sqltext
from contacts.models import Activity, Contact
from contacts.services import participation_record
from tests.concurrency import at_once
from tests.factories import DepartmentFactory, OrganisationFactory
from tests.scoped_feature.models import Notice

pytestmark = pytest.mark.django_db


def test_names_are_the_models_own_quoted():
    quoted = connection.ops.quote_name
    assert sqltext.table(Contact) == quoted("contacts_contact")
    assert sqltext.table(Contact, "c") == f"{quoted('contacts_contact')} c"
    assert sqltext.column(Contact, "organisation", "c") == f"c.{quoted('organisation_id')}"


def test_a_new_row_is_inserted_and_a_repeat_inserts_nothing_without_an_error():
    council = OrganisationFactory()
    first = Contact(organisation=council, email="ann@example.org", source="survey")
    assert sqltext.insert_new(first) is True
    assert first.pk is not None and not first._state.adding
    assert Contact.objects.get(pk=first.pk).email == "ann@example.org"

    # The same address in another case: the constraint on lower(email) holds it already.
    with transaction.atomic():
        again = Contact(organisation=council, email="ANN@example.org", source="survey")
        assert sqltext.insert_new(again) is False
        assert again.pk is None
        # The transaction goes on: nothing failed in it.
        assert Contact.objects.filter(organisation=council).count() == 1


def test_a_field_with_a_database_default_is_refused_rather_than_written(monkeypatch):
    field = Contact._meta.get_field("notes")
    monkeypatch.setattr(field, "db_default", models.Value(""))
    sqltext._insert_sql.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match="notes"):
            sqltext.insert_new(Contact(organisation=OrganisationFactory(), email="a@example.org"))
    finally:
        sqltext._insert_sql.cache_clear()


@pytest.mark.django_db(transaction=True)
def test_two_requests_taking_part_at_once_make_one_contact_and_one_activity(postgresql_only):
    council = OrganisationFactory()
    department = DepartmentFactory(organisation=council)
    notice = Notice.objects.create(department=department, title="Bus lanes")

    def take_part():
        participation_record(
            organisation=council, email="cara@example.org", kind="response", item=notice,
            item_title=notice.title, reference="response-1", source="survey",
            department=department,
        )  # fmt: skip

    at_once(*[take_part] * 6)
    contact = Contact.objects.get(organisation=council)
    assert Activity.objects.filter(contact=contact, reference="response-1").count() == 1
