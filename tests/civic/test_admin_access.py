import pytest

from civic.fields import PostcodeFormField
from civic.models import AuditEntry, Postcode, Role
from tests.factories import AreaFactory, OrganisationFactory, RoleFactory, UserFactory


@pytest.mark.django_db
def test_the_admin_sign_in_is_allauths_rate_limited_form_keeping_the_destination(client):
    response = client.get("/admin/login/?next=/admin/civic/area/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fcivic%2Farea%2F"


@pytest.mark.django_db
def test_the_admin_sign_in_refuses_to_send_anyone_to_another_site(client):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


@pytest.mark.django_db
def test_a_resident_who_reaches_the_admin_is_told_why_they_cannot_use_it(client):
    client.force_login(UserFactory())
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 403
    assert "not a council staff account" in response.content.decode()


@pytest.mark.django_db
def test_repeated_failed_admin_sign_ins_are_limited_like_any_other(client):
    UserFactory(email="officer@example.org", is_staff=True)
    for _attempt in range(5):
        client.post(
            "/accounts/login/?next=/admin/", {"login": "officer@example.org", "password": "x"}
        )
    response = client.post(
        "/accounts/login/?next=/admin/",
        {"login": "officer@example.org", "password": "correct-horse-battery"},
    )
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_the_postcode_form_field_cleans_any_spacing_and_case_to_one_form():
    field = PostcodeFormField()
    assert field.clean(" sw1a1aa ") == "SW1A 1AA"
    with pytest.raises(Exception, match="Enter a real UK postcode"):
        field.clean("nowhere")


@pytest.mark.django_db
def test_a_postcode_typed_into_the_admin_is_stored_normalised(client):
    council = OrganisationFactory()
    area = AreaFactory(organisation=council)
    admin = RoleFactory(organisation=council, kind=Role.Kind.ORGANISATION_ADMIN).user
    client.force_login(admin)
    response = client.post("/admin/civic/postcode/add/", {"postcode": "m4 6aa", "area": area.pk})
    assert response.status_code == 302
    assert list(Postcode.objects.values_list("postcode", flat=True)) == ["M4 6AA"]


@pytest.mark.django_db
def test_a_site_admin_changing_a_user_is_audited(client):
    site_admin = UserFactory(is_staff=True, is_superuser=True)
    resident = UserFactory(email="resident@example.org", name="Ann")
    client.force_login(site_admin)
    response = client.post(
        f"/admin/civic/user/{resident.pk}/change/",
        {
            "email": "resident@example.org",
            "name": "Ann Other",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get()
    assert (entry.actor_id, entry.action, entry.summary) == (site_admin.pk, "edit", "Changed name")
