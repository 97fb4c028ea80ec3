"""The admin's shared pieces in civic.admin_base: read-only admins, and pages of an admin's own."""

import re

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from civic.admin_base import AdminPagesMixin, ReadOnlyAdminMixin
from civic.models import AuditEntry, PostcodeImport, Role
from tests.factories import OrganisationFactory, RoleFactory, UserFactory


def _pages():
    """Every page an admin declares in admin_pages(), with its route's arguments filled in."""
    for model_admin in admin.site._registry.values():
        if isinstance(model_admin, AdminPagesMixin):
            for pattern in model_admin.admin_pages():
                route = re.sub(r"<int:\w+>", "1", str(pattern.pattern))
                route = re.sub(r"<str:\w+>", "x", route)
                opts = model_admin.opts
                yield f"/admin/{opts.app_label}/{opts.model_name}/{route}"


def test_the_pages_of_the_admins_own_are_found():
    pages = set(_pages())
    assert {
        "/admin/civic/area/load-postcodes/",
        "/admin/petitions/petition/1/invalidate/",
        "/admin/mailing/campaign/1/send/",
        "/admin/consultations/consultation/1/results/",
    } <= pages


@pytest.mark.django_db
def test_every_page_of_an_admins_own_sends_a_visitor_who_is_not_staff_to_sign_in(client):
    client.force_login(UserFactory())
    for page in _pages():
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith("/admin/login/"), page


@pytest.mark.django_db
def test_the_audit_log_and_the_outbox_are_read_only_even_for_a_site_admin(client):
    site_admin = UserFactory(is_staff=True, is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = site_admin
    entry = AuditEntry.objects.create(actor_label="system", action=AuditEntry.Action.EDIT)
    read_only = [
        model_admin
        for model_admin in admin.site._registry.values()
        if isinstance(model_admin, ReadOnlyAdminMixin)
    ]
    assert {model_admin.opts.label for model_admin in read_only} >= {
        "civic.AuditEntry",
        "mailing.Delivery",
    }
    for model_admin in read_only:
        assert not model_admin.has_add_permission(request), model_admin
        assert not model_admin.has_change_permission(request), model_admin
        assert not model_admin.has_delete_permission(request), model_admin

    client.force_login(site_admin)
    assert client.get("/admin/civic/auditentry/add/").status_code == 403
    assert client.post(f"/admin/civic/auditentry/{entry.pk}/delete/").status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_an_admin_that_nobody_may_change_says_so_with_the_read_only_mixin():
    """Not with its own copies of has_add/has_change/has_delete_permission. (An admin whose rows
    may still be deleted, as the postcode imports, is not read-only.)"""
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    admins = list(admin.site._registry.values())
    admins += [
        inline(model_admin.model, admin.site)
        for model_admin in list(admins)
        for inline in model_admin.inlines
    ]
    refused = [
        model_admin
        for model_admin in admins
        if not model_admin.has_change_permission(request)
        and not model_admin.has_delete_permission(request)
        and not (
            model_admin.has_add_permission(request, None)
            if isinstance(model_admin, admin.options.InlineModelAdmin)
            else model_admin.has_add_permission(request)
        )
    ]
    assert refused
    assert [
        type(model_admin).__name__
        for model_admin in refused
        if not isinstance(model_admin, ReadOnlyAdminMixin)
    ] == []


@pytest.mark.django_db
def test_a_refused_upload_is_named_at_the_top_of_the_page_with_a_link_to_its_field(client):
    council = OrganisationFactory()
    client.force_login(RoleFactory(organisation=council, kind=Role.Kind.OFFICER).user)

    response = client.post(
        "/admin/civic/area/load-postcodes/",
        {"organisation": council.pk, "file": SimpleUploadedFile("onspd.xlsx", b"PK\x03\x04")},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert 'href="#id_file"' in page
    assert re.search(r"<title>\s*Error:", page)
    # This council's imports only: a test running at the same time against the same database
    # (the worker's test of a real upload) commits an import of its own council.
    assert not PostcodeImport.objects.filter(organisation=council).exists()


def _selected(response, name: str) -> list[str]:
    """The values of the options chosen in the add form's select `name`."""
    form = response.context["adminform"].form
    return [str(value) for value in [form[name].value()] if value not in (None, "")]


@pytest.mark.django_db
def test_an_officer_of_one_department_finds_it_chosen_on_a_new_consultation(client, cast):
    client.force_login(cast.officer)

    page = client.get("/admin/consultations/consultation/add/")

    assert page.status_code == 200
    assert _selected(page, "department") == [str(cast.department.pk)]
    assert f'<option value="{cast.department.pk}" selected>' in page.content.decode()


@pytest.mark.django_db
def test_a_facilitator_of_one_council_finds_it_chosen_on_a_new_campaign_and_segment(client, cast):
    client.force_login(cast.facilitator)

    campaign = client.get("/admin/mailing/campaign/add/")
    segment = client.get("/admin/contacts/segment/add/")

    assert _selected(campaign, "organisation") == [str(cast.council.pk)]
    assert _selected(segment, "organisation") == [str(cast.council.pk)]


@pytest.mark.django_db
def test_nothing_is_chosen_for_someone_with_two_departments_or_on_a_link_that_names_one(
    client, cast
):
    client.force_login(cast.admin)  # runs both of Northbridge's departments

    page = client.get("/admin/consultations/consultation/add/")
    named = client.get(
        f"/admin/consultations/consultation/add/?department={cast.other_department.pk}"
    )

    assert _selected(page, "department") == []
    assert _selected(named, "department") == [str(cast.other_department.pk)]
