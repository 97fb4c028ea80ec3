"""Loading a postcode file happens on a real Celery worker, after the upload is committed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civic.models import AuditEntry, PostcodeImport, Role
from tests.factories import AreaFactory, OrganisationFactory, RoleFactory
from tests.worker import wait_for

CSV = b"pcds,wd25cd\nM1 1AE,E05011111\nM1 1AF,E05011111\nM4 6AA,E05022222\nB1 1AA,E05099999\n"


@pytest.mark.worker
def test_an_officer_uploads_a_postcode_file_and_a_worker_loads_it(celery_worker, client):
    council = OrganisationFactory(name="Northbridge")
    ancoats = AreaFactory(organisation=council, code="E05011111")
    AreaFactory(organisation=council, code="E05022222")
    officer = RoleFactory(organisation=council, kind=Role.Kind.OFFICER).user
    client.force_login(officer)

    response = client.post(
        "/admin/civic/area/load-postcodes/",
        {"organisation": council.pk, "file": SimpleUploadedFile("onspd.csv", CSV)},
    )
    assert response.status_code == 302

    upload = PostcodeImport.objects.get(organisation=council)
    finished = wait_for(
        lambda: PostcodeImport.objects.filter(
            pk=upload.pk, status=PostcodeImport.Status.DONE
        ).first(),
        timeout=60,
        message=f"the worker did not load the file:\n{celery_worker.log()}",
    )
    assert (finished.loaded, finished.unchanged, finished.problems) == (3, 0, "")
    assert sorted(ancoats.postcodes.values_list("postcode", flat=True)) == ["M1 1AE", "M1 1AF"]
    assert list(AuditEntry.objects.order_by("id").values_list("action", "actor_label")) == [
        ("import", officer.email),
        ("import", officer.email),
    ]


@pytest.mark.django_db
def test_a_file_that_is_not_csv_is_refused_next_to_the_field_and_nothing_is_queued(client):
    council = OrganisationFactory()
    officer = RoleFactory(organisation=council, kind=Role.Kind.OFFICER).user
    client.force_login(officer)
    response = client.post(
        "/admin/civic/area/load-postcodes/",
        {"organisation": council.pk, "file": SimpleUploadedFile("onspd.xlsx", b"PK\x03\x04")},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["The file must be a CSV"]}
    assert not PostcodeImport.objects.filter(organisation=council).exists()


@pytest.mark.django_db
def test_an_officer_cannot_load_postcodes_into_another_council(client):
    council = OrganisationFactory()
    other = OrganisationFactory()
    officer = RoleFactory(organisation=council, kind=Role.Kind.OFFICER).user
    client.force_login(officer)
    response = client.post(
        "/admin/civic/area/load-postcodes/",
        {"organisation": other.pk, "file": SimpleUploadedFile("onspd.csv", CSV)},
    )
    assert response.status_code == 200
    assert "organisation" in response.context["form"].errors
    assert not PostcodeImport.objects.filter(organisation__in=[council, other]).exists()
