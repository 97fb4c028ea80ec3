"""A person's copy of their data lists the ideas they proposed and supported; erasure removes who
they were, and the words about themselves they wrote, and keeps every support counted."""

import pytest

from budgets.gdpr import erase_ideas, export_ideas
from budgets.models import Ballot, Elector, Idea, Support
from contacts import gdpr_registry
from contacts.models import Contact
from tests.budgets.conftest import make_idea, make_process, support

pytestmark = pytest.mark.django_db


@pytest.fixture
def taking_part(council):
    process = make_process(council, title="Northbridge decides 2027")
    mine = make_idea(process, proposer=council.resident, title="Swings for Cara Creator's street",
                     description="I am Cara Creator and my children need swings.")  # fmt: skip
    theirs = make_idea(process, proposer=council.supporter, title="Benches")
    support(theirs, council.resident)
    support(mine, council.supporter)
    Ballot.objects.create(
        budget=mine.budget, channel=Ballot.Channel.ONLINE, voter=council.resident
    ).projects.add(theirs)
    Elector.objects.create(process=process, user=council.resident, area=council.ancoats)
    contact = Contact.objects.create(
        organisation=council.organisation, email="cara@example.org", name="Cara Creator",
        user=council.resident,
    )  # fmt: skip
    return mine, theirs, contact


def test_the_copy_lists_what_they_proposed_and_supported(taking_part):
    _mine, _theirs, contact = taking_part
    rows = export_ideas(contact)
    assert [(row["idea"], row["what"]) for row in rows] == [
        ("Swings for Cara Creator's street", "proposed it"),
        ("Benches", "supported it"),
        ("", "voted in the budget Citywide"),
        ("", "votes as a resident of Ancoats"),
    ]
    assert "Benches" not in str(rows[2])  # that they voted, never how
    assert rows[0]["description"] == "I am Cara Creator and my children need swings."
    assert "budget ideas and supports" in {section.name for section in gdpr_registry.sections()}


def test_erasure_keeps_the_ideas_and_supports_and_removes_who_and_what_named_them(taking_part):
    mine, theirs, contact = taking_part
    assert erase_ideas(contact) == 4

    mine.refresh_from_db()
    assert mine.proposer is None
    assert mine.title == "Swings for [erased]'s street"
    assert mine.description.startswith("This description was removed")
    assert Support.objects.filter(idea=theirs, user__isnull=True).count() == 1
    assert Support.objects.filter(idea=mine).count() == 1  # someone else's support stays theirs
    assert Ballot.objects.get().voter is None
    elector = Elector.objects.get()  # the area they voted as stays, no longer theirs
    assert elector.user is None and elector.area.name == "Ancoats"
    assert export_ideas(contact) == []
    assert Idea.objects.count() == 2
