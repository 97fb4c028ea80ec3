"""The voting rules every channel shares (budgets.voting): who may vote where, what a ballot may
hold in each style, changing a ballot, and one ballot per voter per budget under concurrent
posts. The pages and the code and paper channels have tests of their own; these call the
service as they do."""

from __future__ import annotations

import os

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError

from budgets.models import Ballot, Budget, CodeBatch, Elector, Idea, Process, VotingCode
from budgets.services import winners_purpose
from budgets.voting import (
    ballot_cast,
    ballot_of,
    ballot_problems,
    budgets_for,
    elector_register,
)
from civic.form_guard import Refused
from contacts.models import Activity
from contacts.services import consent_is_live
from tests.budgets.conftest import budget_of, make_idea, make_process
from tests.concurrency import at_once
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Stage = Process.Stage
ON = Idea.Status.ON_BALLOT


def on_ballot(process, area, *costs, proposer):
    return [
        make_idea(process, proposer=proposer, area=area, status=ON, final_cost=cost)
        for cost in costs
    ]


@pytest.fixture
def voting(council):
    process = make_process(council, Stage.VOTING)
    return process


def test_the_area_comes_from_the_postcode_and_opens_its_budget_and_the_citywide_one(
    council, voting
):
    elector = elector_register(process=voting, user=council.resident, postcode="m4 6aa")
    assert elector.area == council.ancoats
    assert budgets_for(elector) == [budget_of(voting, council.ancoats), budget_of(voting)]
    # a second step keeps the first area, whatever postcode comes now
    again = elector_register(process=voting, user=council.resident, postcode="M15 5AA")
    assert again.pk == elector.pk and again.area == council.ancoats

    voting.voters = Process.Voters.OWN_AREA
    assert budgets_for(elector) == [budget_of(voting, council.ancoats)]


def test_a_postcode_outside_the_council_or_malformed_is_refused_by_field(council, voting):
    for postcode, code in (("", "required"), ("not a postcode", "invalid"), ("B1 1AA", "outside")):
        with pytest.raises(ValidationError) as caught:
            elector_register(process=voting, user=council.resident, postcode=postcode)
        assert caught.value.error_dict["postcode"][0].code == code
    assert not Elector.objects.exists()


def test_an_unverified_address_or_no_account_cannot_vote(council, voting):
    EmailAddress.objects.filter(user=council.resident).update(verified=False)
    with pytest.raises(Refused) as caught:
        elector_register(process=voting, user=council.resident, postcode="M4 6AA")
    assert caught.value.code == "unverified"
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Refused) as caught:
        elector_register(process=voting, user=AnonymousUser(), postcode="M4 6AA")
    assert caught.value.code == "sign_in"


def test_a_minimum_age_is_confirmed(council, voting):
    voting.min_age = 16
    with pytest.raises(ValidationError) as caught:
        elector_register(process=voting, user=council.resident, postcode="M4 6AA")
    assert "16 or older" in caught.value.error_dict["age_confirmed"][0].message
    elector = elector_register(
        process=voting, user=council.resident, postcode="M4 6AA", age_confirmed=True
    )
    assert elector.age_confirmed


def test_any_one_area_lets_the_voter_choose_once(council, voting):
    voting.voters = Process.Voters.ANY_ONE_AREA
    voting.save()
    with pytest.raises(ValidationError) as caught:
        elector_register(process=voting, user=council.resident, postcode="M4 6AA")
    assert "area" in caught.value.error_dict
    elector = elector_register(
        process=voting, user=council.resident, postcode="M4 6AA", area=council.hulme
    )
    assert budgets_for(elector) == [budget_of(voting, council.hulme), budget_of(voting)]


@pytest.mark.parametrize("stage", [Stage.REVIEW, Stage.RESULTS])
def test_voting_happens_in_the_voting_phase_only(council, stage):
    process = make_process(council, stage)
    with pytest.raises(Refused) as caught:
        elector_register(process=process, user=council.resident, postcode="M4 6AA")
    assert caught.value.code == "closed"


def test_knapsack_rules_over_the_amount_and_least_spend(council, voting):
    budget = budget_of(voting, council.ancoats)  # £50,000
    budget.min_spend_percent = 50
    budget.save()
    big, small, tiny = on_ballot(voting, council.ancoats, 40_000, 15_000, 5_000,
                                 proposer=council.supporter)  # fmt: skip
    assert ballot_problems(budget, [big, small]) == [
        "Your choices for Ancoats cost £55,000, which is £5,000 more than its £50,000. "
        "Remove a project"
    ]
    assert ballot_problems(budget, [tiny]) == [
        "Choose projects for Ancoats worth at least £25,000 (50% of its budget). "
        "Your choices come to £5,000"
    ]
    assert ballot_problems(budget, [big, tiny]) == []
    assert "Choose at least one project" in ballot_problems(budget, [])[0]
    elsewhere = on_ballot(voting, council.hulme, 1_000, proposer=council.supporter)
    assert "only projects on the ballot" in ballot_problems(budget, elsewhere)[0]


def test_approval_rules_least_and_most_projects(council, voting):
    budget = budget_of(voting)
    budget.style, budget.min_projects, budget.max_projects = Budget.Style.APPROVAL, 2, 3
    budget.save()
    ideas = on_ballot(voting, None, 90_000, 80_000, 70_000, 60_000, proposer=council.supporter)
    assert "at least 2 projects" in ballot_problems(budget, ideas[:1])[0]
    assert ballot_problems(budget, ideas[:3]) == []  # costs do not matter
    assert "no more than 3 projects" in ballot_problems(budget, ideas)[0]


def test_a_ballot_is_cast_changed_and_recorded_without_how(council, voting):
    budget = budget_of(voting, council.ancoats)
    first, second = on_ballot(voting, council.ancoats, 20_000, 25_000, proposer=council.supporter)
    elector_register(process=voting, user=council.resident, postcode="M4 6AA")
    ballot = ballot_cast(budget=budget, idea_ids=[first.pk], voter=council.resident,
                         hears_winners=True)  # fmt: skip
    changed = ballot_cast(budget=budget, idea_ids=[str(second.pk)], voter=council.resident)
    assert changed.pk == ballot.pk and changed.channel == Ballot.Channel.ONLINE
    assert list(ballot_of(budget, voter=council.resident).projects.all()) == [second]
    # A change that keeps a project, drops one and adds one holds exactly the new choices.
    (third,) = on_ballot(voting, council.ancoats, 5_000, proposer=council.supporter)
    ballot_cast(budget=budget, idea_ids=[first.pk, third.pk], voter=council.resident)
    ballot_cast(budget=budget, idea_ids=[second.pk, third.pk], voter=council.resident)
    assert set(ballot_of(budget, voter=council.resident).projects.all()) == {second, third}
    assert Ballot.objects.filter(budget=budget).count() == 1
    activity = Activity.objects.get(contact__email="cara@example.org", kind="budget_vote")
    assert activity.reference == f"vote-{voting.pk}"
    assert consent_is_live(contact=activity.contact, purpose=winners_purpose(voting))


def test_taking_part_is_recorded_once_a_process_and_a_later_ballots_consent_still_counts(
    council, voting
):
    ward, citywide = budget_of(voting, council.ancoats), budget_of(voting)
    (local,) = on_ballot(voting, council.ancoats, 20_000, proposer=council.supporter)
    (everywhere,) = on_ballot(voting, None, 10_000, proposer=council.supporter)
    elector_register(process=voting, user=council.resident, postcode="M4 6AA")
    ballot_cast(budget=ward, idea_ids=[local.pk], voter=council.resident)
    activity = Activity.objects.get(contact__email="cara@example.org", kind="budget_vote")
    assert not consent_is_live(contact=activity.contact, purpose=winners_purpose(voting))

    ballot_cast(budget=citywide, idea_ids=[everywhere.pk], voter=council.resident,
                hears_winners=True)  # fmt: skip
    assert Activity.objects.filter(kind="budget_vote").count() == 1
    assert consent_is_live(contact=activity.contact, purpose=winners_purpose(voting))


def test_a_ballot_breaking_the_rules_or_for_another_area_changes_nothing(council, voting):
    ancoats = on_ballot(voting, council.ancoats, 60_000 - 20_000, 20_000,
                        proposer=council.supporter)  # fmt: skip
    hulme = on_ballot(voting, council.hulme, 1_000, proposer=council.supporter)
    elector_register(process=voting, user=council.resident, postcode="M4 6AA")
    with pytest.raises(ValidationError):
        ballot_cast(budget=budget_of(voting, council.ancoats),
                    idea_ids=[idea.pk for idea in ancoats], voter=council.resident)  # fmt: skip
    with pytest.raises(ValidationError):
        ballot_cast(budget=budget_of(voting, council.ancoats), idea_ids=["x"],
                    voter=council.resident)  # fmt: skip
    with pytest.raises(Refused) as caught:
        ballot_cast(budget=budget_of(voting, council.hulme), idea_ids=[hulme[0].pk],
                    voter=council.resident)  # fmt: skip
    assert caught.value.code == "not_yours"
    assert not Ballot.objects.exists()
    assert not Activity.objects.filter(kind="budget_vote").exists()


def test_a_voter_without_an_area_is_asked_for_it_first(council, voting):
    idea = on_ballot(voting, None, 1_000, proposer=council.supporter)[0]
    with pytest.raises(Refused) as caught:
        ballot_cast(budget=budget_of(voting), idea_ids=[idea.pk], voter=council.resident)
    assert caught.value.code == "no_area"


def test_a_code_votes_once_per_budget_and_paper_is_keyed_by_an_officer(council, voting):
    batch = CodeBatch.objects.create(process=voting, name="Library", salt=os.urandom(16),
                                     area=council.hulme)  # fmt: skip
    code = VotingCode.objects.create(batch=batch, digest=os.urandom(32))
    idea = on_ballot(voting, council.hulme, 1_000, proposer=council.supporter)[0]
    elector = elector_register(process=voting, code=code)
    assert elector.area == council.hulme
    ballot_cast(budget=budget_of(voting, council.hulme), idea_ids=[idea.pk], code=code)
    with pytest.raises(Refused) as caught:
        ballot_cast(budget=budget_of(voting, council.hulme), idea_ids=[idea.pk], code=code)
    assert caught.value.code == "used"
    paper = ballot_cast(budget=budget_of(voting, council.hulme), idea_ids=[idea.pk],
                        keyed_by=council.officer, paper_batch="Town hall box 1")  # fmt: skip
    assert paper.channel == Ballot.Channel.PAPER and paper.voter is None
    assert Ballot.objects.filter(budget__area=council.hulme).count() == 2


@pytest.mark.django_db(transaction=True)
def test_posts_of_one_voter_at_the_same_moment_make_one_ballot(council, postgresql_only):
    process = make_process(council, Stage.VOTING)
    ideas = on_ballot(process, council.ancoats, 10_000, 11_000, 12_000, 13_000,
                      proposer=council.supporter)  # fmt: skip
    voter = UserFactory()
    elector_register(process=process, user=voter, postcode="M4 6AA")
    budget = budget_of(process, council.ancoats)
    # Each post shares a project with two others: a mixture would show as three or four.
    posted = [{ideas[number].pk, ideas[(number + 1) % 4].pk} for number in range(4)]

    def send(chosen):
        return lambda: ballot_cast(budget=Budget.objects.get(pk=budget.pk), idea_ids=chosen,
                                   voter=voter)  # fmt: skip

    at_once(*[send(chosen) for chosen in posted])
    ballot = Ballot.objects.get(budget=budget)
    # one post's choices, whole, never a mixture
    assert set(ballot.choices.values_list("idea_id", flat=True)) in posted


@pytest.mark.django_db(transaction=True)
def test_one_code_used_twice_at_the_same_moment_makes_one_ballot(council, postgresql_only):
    process = make_process(council, Stage.VOTING)
    batch = CodeBatch.objects.create(process=process, name="Library", salt=os.urandom(16),
                                     area=council.ancoats)  # fmt: skip
    code = VotingCode.objects.create(batch=batch, digest=os.urandom(32))
    idea = on_ballot(process, council.ancoats, 10_000, proposer=council.supporter)[0]

    def send():
        elector_register(process=process, code=code)
        ballot_cast(budget=budget_of(process, council.ancoats), idea_ids=[idea.pk], code=code)
        return "voted"

    outcomes = at_once(send, send, expected=Refused)
    assert sorted(getattr(outcome, "code", outcome) for outcome in outcomes) == ["used", "voted"]
    assert Ballot.objects.filter(code=code).count() == 1
    assert Elector.objects.filter(code=code).count() == 1


def test_a_codes_batch_names_its_area_even_where_online_voters_choose_any_one(council, voting):
    voting.voters = Process.Voters.ANY_ONE_AREA
    voting.save()
    batch = CodeBatch.objects.create(process=voting, name="Hulme library", salt=os.urandom(16),
                                     area=council.hulme)  # fmt: skip
    code = VotingCode.objects.create(batch=batch, digest=os.urandom(32))
    # No choice is asked for, and a choice sent anyway cannot move the code to another ward.
    elector = elector_register(process=voting, code=code, area=council.ancoats)
    assert elector.area == council.hulme
    assert budgets_for(elector) == [budget_of(voting, council.hulme), budget_of(voting)]
