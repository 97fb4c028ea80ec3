"""A person's copy of their data lists their signatures and the petitions they started; erasure
removes who they are and keeps the counts."""

import pytest

from contacts.models import Contact
from contacts.services.gdpr import contact_erase
from petitions.gdpr import erase_signatures, export_signatures
from petitions.models import Petition, Signature
from petitions.services import signatures_record
from petitions.services.counting import petition_count
from tests.pages import assert_page
from tests.petitions.conftest import add_signatures, make_petition

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(council):
    petition = make_petition(council)
    mine = add_signatures(petition, 1, area=council.hulme, prefix="a.nn")[0]
    Signature.objects.filter(pk=mine.pk).update(email="A.NN+x@gmail.com",
                                                email_normalised="ann@gmail.com")  # fmt: skip
    add_signatures(petition, 2, prefix="other")
    contact = Contact.objects.create(organisation=council.organisation, email="ann@gmail.com")
    return petition, mine, contact


def test_the_copy_of_data_lists_the_signatures_of_the_mailbox(council, signed):
    petition, _mine, contact = signed

    rows = export_signatures(contact)

    assert rows == [
        {
            "petition": petition.title,
            "signed": rows[0]["signed"],
            "status": "Confirmed",
            "name": "Signer 0",
            "email": "A.NN+x@gmail.com",
            "postcode": "M15 5AA",
            "ward": "Hulme",
            "hear about its progress": "no",
        }
    ]


def test_erasure_removes_who_signed_and_keeps_the_count(council, signed):
    petition, mine, contact = signed
    creator = Contact.objects.create(
        organisation=council.organisation, email=council.resident.email
    )

    assert erase_signatures(contact) == 1
    erase_signatures(creator)

    mine.refresh_from_db()
    assert (mine.name, mine.email, mine.postcode, mine.ip) == ("", "", "", None)
    assert mine.area == council.hulme and mine.status == "confirmed"
    assert petition_count(petition_id=petition.pk) == 3
    petition = Petition.objects.get(pk=petition.pk)
    assert (petition.creator, petition.creator_name) == (None, "")
    assert export_signatures(contact) == []


def test_erasure_takes_the_text_that_names_the_creator_and_keeps_the_rest(council):
    petition = make_petition(
        council,
        title="Cara Creator asks for a crossing on Hyde Road",
        background="My son and I cross Hyde Road every day. I am Cara Creator of Hulme.",
        details="Write to creator@example.org for the traffic counts.",
    )
    other = make_petition(
        council, title="Light the towpath", background="It is dark.", details="Please."
    )
    add_signatures(petition, 2)
    contact = Contact.objects.create(
        organisation=council.organisation, email="Creator@Example.org", name="Cara Creator"
    )

    erase_signatures(contact)

    petition.refresh_from_db()
    assert (petition.creator, petition.creator_name) == (None, "")
    assert petition.title == "[erased] asks for a crossing on Hyde Road"
    removed = (
        "This text was removed because the person who started the petition asked for their "
        "personal data to be erased."
    )
    assert (petition.background, petition.details) == (removed, removed)
    assert petition_count(petition_id=petition.pk) == 2
    other.refresh_from_db()  # started by the same account: it names nobody, so it stays
    assert (other.title, other.background, other.details) == (
        "Light the towpath",
        "It is dark.",
        "Please.",
    )
    assert other.creator is None


@pytest.mark.django_db(transaction=True)
def test_the_petition_page_shows_the_erased_text_at_once(council, client):
    """Its cached page is dropped once the erasure commits."""
    petition = make_petition(council, background="I am Cara Creator and I live here.")
    assert "Cara Creator" in client.get(f"/petitions/{petition.pk}/").content.decode()
    contact = Contact.objects.create(
        organisation=council.organisation, email="creator@example.org", name="Cara Creator"
    )

    erase_signatures(contact)

    page = assert_page(
        client.get(f"/petitions/{petition.pk}/"), heading="Plant more trees on Oxford Road"
    )
    assert "Cara Creator" not in page
    assert "asked for their personal data to be erased" in page


def test_the_name_the_creator_gave_the_petition_counts_as_theirs(council):
    petition = make_petition(
        council, creator_name="Caz C.", background="Caz C. here, from Hulme.", details=""
    )
    contact = Contact.objects.create(
        organisation=council.organisation, email="creator@example.org", name="Cara Creator"
    )

    erase_signatures(contact)

    petition.refresh_from_db()
    assert petition.background.startswith("This text was removed")
    assert (petition.details, petition.creator_name) == ("", "")


def test_a_title_that_named_the_creator_leaves_no_trace_on_its_signers_records(council):
    petition = make_petition(council, title="Back Cara Creator's crossing on Hyde Road")
    signer = add_signatures(petition, 1, hears_progress=True)[0]
    signatures_record(petition_id=petition.pk)
    neighbour = Contact.objects.get(email=signer.email)
    creator = Contact.objects.create(
        organisation=council.organisation, email="creator@example.org", name="Cara Creator"
    )

    contact_erase(actor=None, contact=creator)

    assert Petition.objects.get(pk=petition.pk).title == "Back [erased]'s crossing on Hyde Road"
    assert list(neighbour.activities.values_list("item_title", flat=True)) == [
        "Back [erased]'s crossing on Hyde Road"
    ]
    assert list(neighbour.consent_events.values_list("method", flat=True)) == [
        "Signed the petition “Back [erased]'s crossing on Hyde Road”"
    ]
    assert Contact.objects.get(pk=neighbour.pk).email == signer.email
