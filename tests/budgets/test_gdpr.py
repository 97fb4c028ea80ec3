"""A person's copy of their data lists the ideas they proposed and supported; erasure removes who
they were, and the words about themselves they wrote, and keeps every support counted."""

import pytest

from budgets.gdpr import erase_ideas, export_ideas
from budgets.models import Ballot, Elector, Idea, Process, Support
from budgets.voting import ballot_cast, elector_register
from contacts import gdpr_registry
from contacts.models import Contact
from tests.budgets.conftest import make_idea, make_process, support
from tests.factories import UserFactory

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
    # the vote is still open: their ballot is withdrawn, as they could vote again
    assert not Ballot.objects.exists() and not Elector.objects.exists()
    assert export_ideas(contact) == []
    assert Idea.objects.count() == 2


def test_erasure_after_voting_closed_keeps_the_ballot_counted_without_its_voter(council):
    process = make_process(council, Process.Stage.RESULTS)
    idea = make_idea(process, proposer=council.supporter, title="Benches")
    Ballot.objects.create(
        budget=idea.budget, channel=Ballot.Channel.ONLINE, voter=council.resident
    ).projects.add(idea)
    Elector.objects.create(process=process, user=council.resident, area=council.ancoats)
    contact = Contact.objects.create(organisation=council.organisation,
                                     email="cara@example.org", user=council.resident)  # fmt: skip
    assert erase_ideas(contact) == 2
    ballot = Ballot.objects.get()
    assert ballot.voter is None and list(ballot.projects.all()) == [idea]
    elector = Elector.objects.get()  # the area they voted as stays, no longer theirs
    assert elector.user is None and elector.area.name == "Ancoats"


def test_someone_erased_while_voting_is_open_who_votes_again_is_counted_once(council):
    process = make_process(council, Process.Stage.VOTING)
    idea = make_idea(process, proposer=council.supporter, title="Benches",
                     status=Idea.Status.ON_BALLOT, final_cost=1_000)  # fmt: skip
    elector_register(process=process, user=council.resident, postcode="M4 6AA")
    ballot_cast(budget=idea.budget, idea_ids=[idea.pk], voter=council.resident)
    contact = Contact.objects.get(organisation=council.organisation, user=council.resident)
    erase_ideas(contact)
    assert not Ballot.objects.exists()
    # the same person, back with a new account, votes once more: one ballot in the count
    again = UserFactory(email="back@example.org")
    elector_register(process=process, user=again, postcode="M4 6AA")
    ballot_cast(budget=idea.budget, idea_ids=[idea.pk], voter=again)
    assert Ballot.objects.filter(budget=idea.budget).count() == 1
