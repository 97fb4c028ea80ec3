"""Possible duplicates, and merging contacts into one without losing anything they hold."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied

from civic.models import AuditEntry, Role
from contacts.models import Activity, ConsentEvent, Contact, DataRequest
from contacts.services import consent_give, consent_is_live, consent_withdraw
from contacts.services.duplicates import contacts_merge, duplicate_groups, email_key
from tests.contacts.factories import ConsentPurposeFactory, ContactFactory, TagFactory
from tests.factories import DepartmentFactory, OrganisationFactory, RoleFactory
from tests.scoped_feature.models import Notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def council():
    return OrganisationFactory(name="Northbridge")


@pytest.fixture
def facilitator(council):
    return RoleFactory(organisation=council, kind=Role.Kind.FACILITATOR).user


def make(organisation, email="", name="", postcode="", **extra):
    return ContactFactory(
        organisation=organisation,
        email=email,
        name=name,
        postcode=postcode,
        source=Contact.Source.IMPORT,
        **extra,
    )


@pytest.mark.parametrize(
    ("written", "mailbox"),
    [
        ("Ann.Smith+news@GoogleMail.com", "annsmith@gmail.com"),
        (" a.n.n.smith@gmail.com", "annsmith@gmail.com"),
        ("bob+petition@example.org", "bob@example.org"),
        ("b.ob@example.org", "b.ob@example.org"),
    ],
)
def test_an_address_is_reduced_to_its_mailbox(written, mailbox):
    assert email_key(written) == mailbox


def test_possible_duplicates_are_found_by_address_forms_and_by_name_and_postcode(
    council, facilitator, client
):
    ann = make(council, "ann.smith@gmail.com", "Ann Smith", "M1 1AE")
    ann_again = make(council, "AnnSmith+news@googlemail.com", "ann  smith", "M1 1AE")
    bob = make(council, "bob@example.org", "Bob Jones", "M4 6AA")
    bob_again = make(council, "bob+petition@example.org")
    carol = make(council, "", "Carol White", "M1 1AF")
    carol_again = make(council, "carol@example.net", "carol white", "M1 1AF")
    make(council, "b.ob@example.org", "Robert Jones", "M4 6AB")  # dots count outside Gmail
    make(council, "dan@example.org", "Dan", "")  # a name alone is not enough
    make(council, "dan2@example.org", "Dan", "")
    make(OrganisationFactory(), "ann.smith@gmail.com", "Ann Smith", "M1 1AE")  # another council

    groups = duplicate_groups(Contact.objects.all())

    assert [(group.ids, group.reasons) for group in groups] == [
        ([ann.pk, ann_again.pk], ["same e-mail address", "same name and postcode"]),
        ([bob.pk, bob_again.pk], ["same e-mail address"]),
        ([carol.pk, carol_again.pk], ["same name and postcode"]),
    ]
    client.force_login(facilitator)
    page = client.get("/admin/contacts/contact/duplicates/")
    assert page.status_code == 200
    assert [group.ids for group in page.context["groups"]] == [group.ids for group in groups]


@pytest.fixture
def three_records(council):
    """One person under three records: two with the same survey response recorded twice."""
    notice = Notice.objects.create(
        department=DepartmentFactory(organisation=council), title="Parks"
    )
    newsletter = ConsentPurposeFactory(
        organisation=council, slug="newsletter", name="Newsletter", description="News"
    )
    keep = make(council, "ann.smith@gmail.com", notes="Prefers phone calls")
    second = make(council, "annsmith@googlemail.com", "Ann Smith", "M1 1AE", notes="Met at forum")
    third = make(council, "ann+petitions@gmail.com", phone="0161 496 0000")
    third.tags.add(TagFactory(organisation=council, name="cyclists"))
    second.tags.add(TagFactory(organisation=council, name="parents"))

    def act(contact, reference, day):
        Activity.objects.create(
            contact=contact,
            kind="response",
            item=notice,
            item_title="Parks",
            occurred_at=datetime(2025, 5, day, tzinfo=UTC),
            reference=reference,
        )

    act(keep, "response-1", 1)
    act(second, "response-1", 1)  # the same response, recorded under the other address
    act(second, "response-2", 2)
    act(third, "signature-9", 3)
    consent_give(
        contact=second,
        purpose=newsletter,
        method="form",
        wording="Yes",
        at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    consent_withdraw(
        contact=third, purpose=newsletter, method="link", at=datetime(2025, 2, 1, tzinfo=UTC)
    )
    request = DataRequest.objects.create(
        organisation=council, contact=third, kind=DataRequest.Kind.ACCESS
    )
    return keep, second, third, newsletter, request


def test_a_merge_chosen_in_the_admin_keeps_all_activity_and_consent_history(
    council, facilitator, three_records, client
):
    keep, second, third, newsletter, request = three_records
    client.force_login(facilitator)
    selected = [str(keep.pk), str(second.pk), str(third.pk)]

    confirm = client.post(
        "/admin/contacts/contact/", {"action": "merge_contacts", "_selected_action": selected}
    )
    assert confirm.status_code == 200
    assert [contact.pk for contact in confirm.context["contacts"]] == [
        keep.pk,
        second.pk,
        third.pk,
    ]
    done = client.post(
        "/admin/contacts/contact/",
        {
            "action": "merge_contacts",
            "_selected_action": selected,
            "keep": str(keep.pk),
            "post": "yes",
        },
    )
    assert done.status_code == 302
    assert done["Location"] == f"/admin/contacts/contact/{keep.pk}/change/"

    assert list(Contact.objects.values_list("pk", flat=True)) == [keep.pk]
    kept = Contact.objects.get()
    assert (kept.email, kept.name, kept.postcode, kept.phone) == (
        "ann.smith@gmail.com",
        "Ann Smith",
        "M1 1AE",
        "0161 496 0000",
    )
    assert kept.notes == "Prefers phone calls\n\nMet at forum"
    assert sorted(kept.tags.values_list("name", flat=True)) == ["cyclists", "parents"]
    assert sorted(kept.activities.values_list("reference", flat=True)) == [
        "response-1",
        "response-2",
        "signature-9",
    ]
    assert list(kept.consent_events.values_list("action", "method")) == [
        ("given", "form"),
        ("withdrawn", "link"),
    ]
    assert not consent_is_live(contact=kept, purpose=newsletter)
    assert DataRequest.objects.get(pk=request.pk).contact == kept
    assert list(AuditEntry.objects.values_list("action", "actor_label", "summary")) == [
        (
            "edit",
            facilitator.email,
            f"Merged contact(s) #{second.pk}, #{third.pk} into #{keep.pk}: moved 2 activities, "
            "2 consent events, 1 data requests",
        )
    ]


def snapshot():
    return (
        list(Contact.objects.order_by("pk").values_list("pk", "organisation_id", "email", "name")),
        list(Activity.objects.order_by("pk").values_list("pk", "contact_id")),
        list(ConsentEvent.objects.order_by("pk").values_list("pk", "contact_id")),
        list(DataRequest.objects.order_by("pk").values_list("pk", "contact_id")),
        list(Contact.tags.through.objects.order_by("pk").values_list("contact_id", "tag_id")),
    )


def test_contacts_of_two_organisations_are_not_merged_and_nothing_changes(
    council, facilitator, three_records, client
):
    keep, second, _third, _newsletter, _request = three_records
    elsewhere = OrganisationFactory()
    RoleFactory(user=facilitator, organisation=elsewhere, kind=Role.Kind.FACILITATOR)
    stranger = make(elsewhere, "ann.smith@gmail.com", "Ann Smith")
    before = snapshot()

    with pytest.raises(ValueError, match="different organisations"):
        contacts_merge(actor=facilitator, keep=keep, others=[second, stranger])
    client.force_login(facilitator)
    response = client.post(
        "/admin/contacts/contact/",
        {
            "action": "merge_contacts",
            "_selected_action": [str(keep.pk), str(stranger.pk)],
            "keep": str(keep.pk),
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert snapshot() == before
    assert not AuditEntry.objects.exists()


def test_a_facilitator_of_another_organisation_cannot_merge_and_nothing_changes(three_records):
    keep, second, third, _newsletter, _request = three_records
    stranger = RoleFactory(organisation=OrganisationFactory(), kind=Role.Kind.FACILITATOR).user
    before = snapshot()

    with pytest.raises(PermissionDenied):
        contacts_merge(actor=stranger, keep=keep, others=[second, third])

    assert snapshot() == before
    assert not AuditEntry.objects.exists()
