"""The permission matrix for contacts, and the contact list's fixed number of queries."""

import pytest
from django.contrib.auth.models import AnonymousUser

from civic.models import AuditEntry, Role
from contacts.models import Contact
from contacts.services import contact_for_email, participation_record
from tests.factories import DepartmentFactory, OrganisationFactory, RoleFactory, UserFactory
from tests.pages import assert_page
from tests.scoped_feature.models import Notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    north = OrganisationFactory(name="Northbridge")
    east = OrganisationFactory(name="Eastmoor")
    transport = DepartmentFactory(organisation=north, name="Transport")
    parks = DepartmentFactory(organisation=north, name="Parks")
    bus_lanes = Notice.objects.create(department=transport, title="Bus lanes")
    playgrounds = Notice.objects.create(department=parks, title="Playgrounds")
    for email, item in (("ann@example.org", bus_lanes), ("bob@example.org", playgrounds)):
        participation_record(
            organisation=north,
            email=email,
            kind="response",
            item=item,
            item_title=item.title,
            reference=email,
            source="survey",
            department=item.department,
        )
    contact_for_email(organisation=east, email="zed@example.org", source="survey")
    people = {
        "anonymous": AnonymousUser(),
        "resident": UserFactory(),
        "transport officer": RoleFactory(
            organisation=north, kind=Role.Kind.OFFICER, departments=[transport]
        ).user,
        "facilitator": RoleFactory(organisation=north, kind=Role.Kind.FACILITATOR).user,
        "organisation admin": RoleFactory(
            organisation=north, kind=Role.Kind.ORGANISATION_ADMIN
        ).user,
        "other council's facilitator": RoleFactory(
            organisation=east, kind=Role.Kind.FACILITATOR
        ).user,
        "site admin": UserFactory(is_staff=True, is_superuser=True),
    }
    return people


SEES = {
    "transport officer": set(),
    "facilitator": {"ann@example.org", "bob@example.org"},
    "organisation admin": {"ann@example.org", "bob@example.org"},
    "other council's facilitator": {"zed@example.org"},
    "site admin": {"ann@example.org", "bob@example.org", "zed@example.org"},
}


@pytest.mark.parametrize("person", list(SEES))
def test_each_role_lists_exactly_the_contacts_it_may_see(world, client, person):
    client.force_login(world[person])
    response = client.get("/admin/contacts/contact/")
    if not SEES[person]:
        assert response.status_code == 403
        return
    assert {contact.email for contact in response.context["cl"].result_list} == SEES[person]


def test_officers_see_their_departments_participants_only_when_the_setting_allows(
    world, client, settings
):
    settings.CIVIC_OFFICERS_SEE_CONTACTS = True
    client.force_login(world["transport officer"])
    response = client.get("/admin/contacts/contact/")
    assert {contact.email for contact in response.context["cl"].result_list} == {"ann@example.org"}
    bob = Contact.objects.get(email="bob@example.org")
    assert client.get(f"/admin/contacts/contact/{bob.pk}/change/").status_code == 404


@pytest.mark.parametrize("person", ["anonymous", "resident"])
def test_people_without_a_role_reach_no_contact(world, client, person):
    if person != "anonymous":
        client.force_login(world[person])
    response = client.get("/admin/contacts/contact/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_facilitator_of_another_council_cannot_change_a_contact_and_nothing_changes(
    world, client
):
    ann = Contact.objects.get(email="ann@example.org")
    client.force_login(world["other council's facilitator"])
    response = client.post(
        f"/admin/contacts/contact/{ann.pk}/change/",
        {
            "organisation": ann.organisation_id,
            "kind": "person",
            "name": "Hijacked",
            "email": "ann@example.org",
            "source": "survey",
        },
    )
    assert response.status_code == 404
    ann.refresh_from_db()
    assert ann.name == ""
    assert not AuditEntry.objects.exists()


def test_viewing_and_editing_a_contact_are_audited(world, client):
    ann = Contact.objects.get(email="ann@example.org")
    facilitator = world["facilitator"]
    client.force_login(facilitator)
    page = client.get(f"/admin/contacts/contact/{ann.pk}/change/")
    assert "Bus lanes" in page.content.decode()  # the timeline
    response = client.post(
        f"/admin/contacts/contact/{ann.pk}/change/",
        {
            "organisation": ann.organisation_id,
            "kind": "person",
            "name": "Ann",
            "email": "ann@example.org",
            "source": "survey",
            "activities-TOTAL_FORMS": "1",
            "activities-INITIAL_FORMS": "1",
            "activities-MIN_NUM_FORMS": "0",
            "activities-MAX_NUM_FORMS": "1000",
            "activities-0-id": ann.activities.get().pk,
            "activities-0-contact": ann.pk,
            "consent_events-TOTAL_FORMS": "0",
            "consent_events-INITIAL_FORMS": "0",
            "consent_events-MIN_NUM_FORMS": "0",
            "consent_events-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    ann.refresh_from_db()
    assert ann.name == "Ann"
    assert list(AuditEntry.objects.order_by("id").values_list("action", "actor_id")) == [
        ("view", facilitator.pk),
        ("edit", facilitator.pk),
    ]


def test_a_search_of_the_contact_list_is_audited_without_what_was_searched_for(world, client):
    client.force_login(world["facilitator"])
    searched = client.get(
        "/admin/contacts/contact/", {"q": "Ann Smith ann@example.org", "source__exact": "survey"}
    )
    listed = client.get("/admin/contacts/contact/")
    assert (searched.status_code, listed.status_code) == (200, 200)
    assert "ann@example.org" in searched.content.decode()  # the search itself still works
    assert list(AuditEntry.objects.order_by("id").values_list("summary", flat=True)) == [
        "Viewed the contact list (searched; filtered by source__exact)",
        "Viewed the contact list",
    ]


def test_the_contact_list_keeps_a_fixed_number_of_queries(
    world, client, django_assert_max_num_queries
):
    north = Contact.objects.get(email="ann@example.org").organisation
    client.force_login(world["facilitator"])
    client.get("/admin/contacts/contact/")  # warm the session and content-type caches
    with django_assert_max_num_queries(12) as few:
        client.get("/admin/contacts/contact/")
    for number in range(40):
        contact_for_email(organisation=north, email=f"p{number}@example.org", source="import")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/admin/contacts/contact/")


def test_a_contact_typed_into_the_admin_is_normalised_and_placed_in_its_ward(world, client):
    north = Contact.objects.get(email="ann@example.org").organisation
    ward = north.areas.create(code="E05000009", name="Ancoats")
    ward.postcodes.create(organisation=north, postcode="M4 6AA")
    client.force_login(world["facilitator"])
    response = client.post(
        "/admin/contacts/contact/add/",
        {
            "organisation": north.pk,
            "kind": "person",
            "name": "Cy",
            "email": "Cy@Example.ORG",
            "postcode": "m46aa",
            "source": "typed_in",
            "activities-TOTAL_FORMS": "0",
            "activities-INITIAL_FORMS": "0",
            "consent_events-TOTAL_FORMS": "0",
            "consent_events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    cy = Contact.objects.get(name="Cy")
    assert (cy.email, cy.postcode, cy.area) == ("cy@example.org", "M4 6AA", ward)


def test_an_officer_sees_only_their_departments_part_of_a_timeline(world, client, settings):
    settings.CIVIC_OFFICERS_SEE_CONTACTS = True
    ann = Contact.objects.get(email="ann@example.org")
    parks_item = Notice.objects.get(title="Playgrounds")
    participation_record(
        organisation=ann.organisation,
        email="ann@example.org",
        kind="response",
        item=parks_item,
        item_title="Playgrounds",
        reference="ann-parks",
        source="survey",
        department=parks_item.department,
    )
    client.force_login(world["transport officer"])
    page = assert_page(
        client.get(f"/admin/contacts/contact/{ann.pk}/change/"), heading="View contact"
    )
    assert "Bus lanes" in page
    assert "Playgrounds" not in page
    assert "Consent history" not in page


PAGES = [
    "/admin/contacts/segment/",
    "/admin/contacts/contactimport/",
    "/admin/contacts/datarequest/",
    "/admin/contacts/contact/duplicates/",
    "/admin/contacts/consentpurpose/",
    "/admin/contacts/tag/",
]
# Who may open the contact-keeping pages of the admin at all (rows are then scoped as above).
OPENS = {
    "transport officer": False,
    "facilitator": True,
    "organisation admin": True,
    "other council's facilitator": True,
    "site admin": True,
}


@pytest.mark.parametrize("person", list(OPENS))
@pytest.mark.parametrize("path", PAGES)
def test_each_role_opens_the_contact_keeping_pages_only_if_it_keeps_contacts(
    world, client, person, path
):
    client.force_login(world[person])
    response = client.get(path)
    if OPENS[person]:
        assert response.status_code == 200
    else:
        assert response.status_code in {302, 403}
        assert response.status_code == 403 or response["Location"] == "/admin/"


def test_the_duplicates_page_lists_only_the_keepers_own_organisation(world, client):
    north = Contact.objects.get(email="ann@example.org").organisation
    contact_for_email(organisation=north, email="a.n.n+x@example.org", source="survey")
    east_twin = Contact.objects.get(email="zed@example.org")
    contact_for_email(organisation=east_twin.organisation, email="ZED+y@example.org", source="x")
    client.force_login(world["facilitator"])
    page = assert_page(
        client.get("/admin/contacts/contact/duplicates/"), heading="Possible duplicates"
    )
    assert "zed" not in page.lower()
