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
    assert "Too many failed attempts to sign in" in response.content.decode()


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


@pytest.mark.django_db
def test_the_api_refuses_http_basic_so_passwords_cannot_be_guessed_there(client):
    UserFactory(email="officer@example.org")
    import base64

    credentials = base64.b64encode(b"officer@example.org:correct-horse-battery").decode()
    response = client.get("/api/v1/areas/", HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 200
    assert "WWW-Authenticate" not in response
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_officer_cannot_put_a_postcode_in_another_councils_ward(client):
    council = OrganisationFactory()
    other_ward = AreaFactory(organisation=OrganisationFactory())
    officer = RoleFactory(organisation=council, kind=Role.Kind.OFFICER).user
    client.force_login(officer)
    response = client.post(
        "/admin/civic/postcode/add/", {"postcode": "M4 6AA", "area": other_ward.pk}
    )
    assert response.status_code == 200
    assert "area" in response.context["adminform"].form.errors
    assert not Postcode.objects.exists()


@pytest.mark.django_db
def test_a_facilitator_elsewhere_cannot_load_postcodes_into_that_council(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from civic.models import PostcodeImport

    home, elsewhere = OrganisationFactory(), OrganisationFactory()
    officer = RoleFactory(organisation=home, kind=Role.Kind.OFFICER).user
    RoleFactory(user=officer, organisation=elsewhere, kind=Role.Kind.FACILITATOR)
    client.force_login(officer)
    response = client.post(
        "/admin/civic/area/load-postcodes/",
        {"organisation": elsewhere.pk, "file": SimpleUploadedFile("x.csv", b"pcds,wd25cd\n")},
    )
    assert "organisation" in response.context["form"].errors
    assert not PostcodeImport.objects.filter(organisation__in=[home, elsewhere]).exists()


@pytest.mark.django_db
def test_an_organisation_admin_gives_a_role_by_email_and_it_is_audited(client):
    council = OrganisationFactory()
    department = council.departments.create(name="Parks", slug="parks")
    admin = RoleFactory(organisation=council, kind=Role.Kind.ORGANISATION_ADMIN).user
    newcomer = UserFactory(email="newcomer@example.org")
    client.force_login(admin)
    form = {
        "email": "Newcomer@Example.org",
        "organisation": council.pk,
        "kind": "officer",
        "departments": [department.pk],
    }
    response = client.post("/admin/civic/role/add/", form)
    assert response.status_code == 302
    role = Role.objects.get(user=newcomer)
    assert list(role.departments.all()) == [department]
    newcomer.refresh_from_db()
    assert newcomer.is_staff
    assert AuditEntry.objects.get().object_repr == "Officer, " + council.name


@pytest.mark.django_db
def test_a_role_for_an_address_with_no_account_is_refused_next_to_the_field(client):
    council = OrganisationFactory()
    admin = RoleFactory(organisation=council, kind=Role.Kind.ORGANISATION_ADMIN).user
    client.force_login(admin)
    response = client.post(
        "/admin/civic/role/add/",
        {"email": "nobody@example.org", "organisation": council.pk, "kind": "officer"},
    )
    assert response.context["adminform"].form.errors["email"] == [
        "No account uses this e-mail address: ask them to create one, then try again"
    ]
    assert Role.objects.filter(organisation=council).count() == 1
