import pytest

from civic.models import AuditEntry, Role
from contacts.models import Segment
from contacts.services import contact_for_email
from tests.factories import OrganisationFactory, RoleFactory

pytestmark = pytest.mark.django_db

# The builder's rows for "tagged cyclists" (contacts.segment_builder).
CYCLISTS = {"match": "all", "conditions": 1, "c0-field": "tag", "c0-value": "cyclists"}


@pytest.fixture
def council():
    council = OrganisationFactory(name="Northbridge")
    cyclists = council.tags.create(name="cyclists")
    for name in ("ann", "bob", "=cmd|' /C calc'!A0"):
        contact = contact_for_email(
            organisation=council,
            email=f"{len(name)}{name[:3]}@example.org",
            source="survey",
            name=name,
        )
        contact.tags.add(cyclists)
    contact_for_email(organisation=council, email="dan@example.org", source="survey", name="dan")
    return council


@pytest.fixture
def facilitator(council):
    return RoleFactory(organisation=council, kind=Role.Kind.FACILITATOR).user


def test_the_admin_counts_and_samples_a_segment_before_it_is_saved(council, facilitator, client):
    client.force_login(facilitator)
    response = client.post(
        "/admin/contacts/segment/add/",
        {"organisation": council.pk, "name": "Cyclists", **CYCLISTS, "_count": "1"},
    )
    assert response.status_code == 200
    assert response.context["preview_count"] == 3
    assert {contact.name for contact in response.context["preview_sample"]} == {
        "ann",
        "bob",
        "=cmd|' /C calc'!A0",
    }
    assert not Segment.objects.exists()


def test_a_condition_about_no_known_field_is_refused_next_to_its_row(council, facilitator, client):
    client.force_login(facilitator)
    response = client.post(
        "/admin/contacts/segment/add/",
        {
            "organisation": council.pk,
            "name": "Bad",
            "conditions": 1,
            "c0-field": "shoe_size",
            "c0-value": "9",
        },
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.non_field_errors() == ["Condition 1: Select what condition 1 is about"]
    assert [row.error for row in form.builder.rows] == ["Select what condition 1 is about"]
    assert not Segment.objects.exists()


def test_exporting_a_segment_streams_formula_safe_csv_and_is_audited(council, facilitator, client):
    segment = Segment.objects.create(
        organisation=council,
        name="Cyclists",
        definition={"conditions": [{"field": "tag", "value": "cyclists"}]},
    )
    client.force_login(facilitator)
    response = client.post(
        "/admin/contacts/segment/",
        {"action": "export_csv", "_selected_action": [segment.pk]},
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0] == "email,name,phone,postcode,area,represents,source,joined"
    assert len(lines) == 4
    assert sum(",'=cmd|' /C calc'!A0," in line for line in lines) == 1
    assert not any(",=cmd" in line for line in lines)
    entry = AuditEntry.objects.get(action="export")
    assert (entry.actor_id, entry.object_repr) == (facilitator.pk, "Cyclists")


def test_a_facilitator_of_another_council_cannot_see_or_export_the_segment(council, client):
    segment = Segment.objects.create(organisation=council, name="Cyclists", definition={})
    stranger = RoleFactory(organisation=OrganisationFactory(), kind=Role.Kind.FACILITATOR).user
    client.force_login(stranger)
    listing = client.get("/admin/contacts/segment/")
    assert list(listing.context["cl"].result_list) == []
    response = client.post(
        "/admin/contacts/segment/", {"action": "export_csv", "_selected_action": [segment.pk]}
    )
    assert response.status_code == 302  # nothing selected that they may see: no file
    assert not AuditEntry.objects.filter(action="export").exists()
