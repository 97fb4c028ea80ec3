"""A person's copy of their data lists their signatures and the petitions they started; erasure
removes who they are and keeps the counts."""

import pytest

from contacts.models import Contact
from petitions.gdpr import erase_signatures, export_signatures
from petitions.models import Petition, Signature
from petitions.services.counting import petition_count
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
