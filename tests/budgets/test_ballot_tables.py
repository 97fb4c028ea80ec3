"""The voting tables keep their rules in the database before any page writes them: one ballot
per account and one per code in each budget, each channel saying who voted (or nobody, on
paper), a project chosen once per ballot; an erased voter's ballot stays counted."""

from __future__ import annotations

import os

import pytest
from django.db import IntegrityError, transaction

from budgets.models import Ballot, BallotChoice, CodeBatch, VotingCode
from tests.budgets.conftest import budget_of, make_idea, make_process

pytestmark = pytest.mark.django_db
Channel = Ballot.Channel


def refused(**fields) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(**fields)


@pytest.fixture
def budget(council):
    return budget_of(make_process(council))


@pytest.fixture
def code(budget):
    batch = CodeBatch.objects.create(
        process=budget.process, name="Library, March", salt=os.urandom(16)
    )
    return VotingCode.objects.create(batch=batch, digest=os.urandom(32))


def test_one_ballot_per_account_and_per_code_in_each_budget(council, budget, code):
    Ballot.objects.create(budget=budget, channel=Channel.ONLINE, voter=council.resident)
    refused(budget=budget, channel=Channel.ONLINE, voter=council.resident)
    Ballot.objects.create(budget=budget, channel=Channel.CODE, code=code)
    refused(budget=budget, channel=Channel.CODE, code=code)
    other = budget.process.budgets.exclude(pk=budget.pk).first()
    Ballot.objects.create(budget=other, channel=Channel.CODE, code=code)  # once per budget
    assert Ballot.objects.count() == 3


def test_each_channel_says_who_voted(council, budget, code):
    refused(budget=budget, channel=Channel.CODE)
    refused(budget=budget, channel=Channel.CODE, code=code, voter=council.resident)
    refused(budget=budget, channel=Channel.PAPER, voter=council.resident)
    refused(budget=budget, channel=Channel.ONLINE, voter=council.resident, code=code)
    Ballot.objects.create(budget=budget, channel=Channel.PAPER, keyed_by=council.officer,
                          paper_batch="Town hall box 3")  # fmt: skip
    Ballot.objects.create(budget=budget, channel=Channel.PAPER, keyed_by=council.officer)
    assert Ballot.objects.filter(channel=Channel.PAPER).count() == 2


def test_a_project_is_chosen_once_per_ballot_and_an_erased_voters_ballot_stays(council, budget):
    idea = make_idea(budget.process, proposer=council.supporter)
    ballot = Ballot.objects.create(budget=budget, channel=Channel.ONLINE, voter=council.resident)
    BallotChoice.objects.create(ballot=ballot, idea=idea)
    with pytest.raises(IntegrityError), transaction.atomic():
        BallotChoice.objects.create(ballot=ballot, idea=idea)
    council.resident.delete()
    ballot.refresh_from_db()
    assert ballot.voter is None and list(ballot.projects.all()) == [idea]
