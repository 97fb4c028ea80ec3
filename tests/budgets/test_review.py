"""The council's review of ideas, through the services: feasible or not with a public reason, the
final cost, merging duplicates (supporters move and are told), choosing the ballot, and removing
an idea. Each decision is audited, told to the proposer once and to those who follow the idea,
refused to officers who do not run the process, and closed once voting opens."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from budgets.models import Idea, Process, Support
from budgets.services import (
    idea_ballot_add,
    idea_ballot_remove,
    idea_cost_set,
    idea_feasible,
    idea_merge,
    idea_not_feasible,
    idea_purpose,
    idea_support,
    idea_withdraw,
)
from civic.form_guard import Refused
from civic.models import AuditEntry
from contacts.services import consent_give, contact_for_email
from mailing.models import Delivery
from tests.budgets.conftest import make_idea, make_process, support
from tests.factories import UserFactory
from tests.worker import wait_for

pytestmark = pytest.mark.django_db
Status = Idea.Status


def mails_to(email: str) -> list[Delivery]:
    return list(Delivery.objects.filter(to_email=email).order_by("pk"))


def audit(idea: Idea) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_id=str(idea.pk), object_repr=f"Idea #{idea.pk}")
        .order_by("pk")
        .values_list("summary", flat=True)
    )


@pytest.fixture
def idea(council):
    return make_idea(make_process(council, Process.Stage.REVIEW), proposer=council.resident,
                     area=council.ancoats, title="Swings in Ancoats Park")  # fmt: skip


def test_a_feasible_idea_gets_its_reason_and_cost_the_proposer_is_told(council, idea, clock):
    idea_feasible(actor=council.officer, idea=idea, reason="On council land.", final_cost=22_000,
                  now=clock.now)  # fmt: skip
    idea.refresh_from_db()
    assert (idea.status, idea.reason, idea.final_cost, idea.reviewed_at) == (
        Status.FEASIBLE, "On council land.", 22_000, clock.now)  # fmt: skip
    assert audit(idea) == ["Found the idea feasible at £22,000"]
    (mail,) = mails_to("cara@example.org")
    assert mail.message["subject"] == "Your idea can be done: Swings in Ancoats Park"
    assert "On council land." in mail.message["text"] and "£22,000" in mail.message["text"]


def test_not_feasible_needs_a_public_reason_and_without_one_changes_nothing(council, idea):
    with pytest.raises(ValidationError) as caught:
        idea_not_feasible(actor=council.officer, idea=idea, reason="  ")
    assert caught.value.message_dict == {
        "reason": ["Enter the reason, which is shown on the idea's page"]
    }
    idea.refresh_from_db()
    assert idea.status == Status.PROPOSED
    assert audit(idea) == [] and not Delivery.objects.exists()

    idea_not_feasible(actor=council.officer, idea=idea, reason="The land is Network Rail's.")
    idea.refresh_from_db()
    assert (idea.status, idea.reason) == (Status.NOT_FEASIBLE, "The land is Network Rail's.")
    assert (
        mails_to("cara@example.org")[0].message["subject"]
        == "Your idea cannot be done: Swings in Ancoats Park"
    )


def test_a_cost_above_the_budget_is_refused(council, idea):
    with pytest.raises(ValidationError) as caught:
        idea_cost_set(actor=council.officer, idea=idea, final_cost=50_001)
    assert caught.value.message_dict == {
        "final_cost": ["Enter a cost no more than the budget of £50,000"]
    }
    idea_cost_set(actor=council.officer, idea=idea, final_cost=50_000)
    idea.refresh_from_db()
    assert idea.final_cost == 50_000
    assert audit(idea) == ["Set the final cost to £50,000"]


def test_an_idea_goes_on_the_ballot_once_feasible_with_a_final_cost(council, idea):
    with pytest.raises(ValidationError) as caught:
        idea_ballot_add(actor=council.officer, idea=idea)
    assert caught.value.messages == [
        "Only an idea found feasible, with a final cost, goes on the ballot."
    ]
    idea_feasible(actor=council.officer, idea=idea, reason="Fine.")
    with pytest.raises(ValidationError) as caught:
        idea_ballot_add(actor=council.officer, idea=idea)
    assert caught.value.message_dict == {
        "final_cost": ["Set the idea's final cost before it goes on the ballot"]
    }
    idea_cost_set(actor=council.officer, idea=idea, final_cost=21_000)
    idea_ballot_add(actor=council.officer, idea=idea)
    idea.refresh_from_db()
    assert idea.status == Status.ON_BALLOT
    assert (
        mails_to("cara@example.org")[-1].message["subject"]
        == "Your idea goes to the vote: Swings in Ancoats Park"
    )
    idea_ballot_remove(actor=council.officer, idea=idea)
    idea.refresh_from_db()
    assert idea.status == Status.FEASIBLE
    assert audit(idea)[-2:] == ["Put the idea on the ballot", "Took the idea off the ballot"]
    assert (
        mails_to("cara@example.org")[-1].message["subject"]
        == "Your idea is no longer on the ballot: Swings in Ancoats Park"
    )


def test_decisions_close_when_voting_opens(council):
    idea = make_idea(make_process(council, Process.Stage.VOTING), proposer=council.resident)
    for decide in (
        lambda: idea_feasible(actor=council.officer, idea=idea, reason="Fine."),
        lambda: idea_not_feasible(actor=council.officer, idea=idea, reason="No."),
        lambda: idea_withdraw(actor=council.officer, idea=idea, reason="Rules."),
    ):
        with pytest.raises(Refused) as caught:
            decide()
        assert caught.value.code == "closed"
    idea.refresh_from_db()
    assert idea.status == Status.PROPOSED
    assert not Delivery.objects.exists() and audit(idea) == []


@pytest.mark.parametrize(
    "who", ["other_officer", "other_council_officer", "other_council_admin", "resident"]
)
def test_officers_who_do_not_run_the_process_cannot_decide(council, idea, who):
    with pytest.raises(PermissionDenied):
        idea_feasible(actor=getattr(council, who), idea=idea, reason="Fine.", final_cost=1)
    with pytest.raises(PermissionDenied):
        idea_merge(
            actor=getattr(council, who),
            idea=idea,
            into=make_idea(idea.process, proposer=council.supporter),
        )
    idea.refresh_from_db()
    assert (idea.status, idea.final_cost) == (Status.PROPOSED, None)
    assert not Delivery.objects.exists()


def test_the_organisation_admin_decides_too(council, idea):
    idea_not_feasible(actor=council.admin, idea=idea, reason="Too dear.")
    idea.refresh_from_db()
    assert idea.status == Status.NOT_FEASIBLE


# Merging ----------------------------------------------------------------------------------------


def test_merging_moves_the_support_once_per_person_and_tells_supporters(council, idea):
    carries_on = make_idea(
        idea.process, proposer=council.supporter, title="A playground in Ancoats"
    )
    both, only_duplicate = (
        UserFactory(email="both@example.org"),
        UserFactory(email="dup@example.org"),
    )
    support(idea, both, only_duplicate)
    support(carries_on, both)

    idea_merge(actor=council.officer, idea=idea, into=carries_on, reason="The same park.")

    idea.refresh_from_db()
    assert (idea.status, idea.merged_into, idea.reason) == (
        Status.MERGED,
        carries_on,
        "The same park.",
    )
    assert Support.objects.filter(idea=carries_on).count() == 2
    assert set(Support.objects.filter(idea=carries_on).values_list("user__email", flat=True)) == {
        "both@example.org", "dup@example.org"}  # fmt: skip
    told = sorted(Delivery.objects.values_list("to_email", flat=True))
    assert told == ["both@example.org", "cara@example.org", "dup@example.org"]
    supporter_mail = mails_to("dup@example.org")[0]
    assert "your support now counts for that one" in supporter_mail.message["text"]
    assert "A playground in Ancoats" in supporter_mail.message["text"]
    assert "It carries your idea on." in mails_to("cara@example.org")[0].message["text"]
    assert audit(idea) == [f"Merged the idea into idea #{carries_on.pk}"]
    assert audit(carries_on) == [f"Took in idea #{idea.pk} and 1 of its supports"]


def test_an_idea_merges_into_another_live_idea_of_its_process_only(council, idea):
    other_process = make_idea(
        make_process(council, Process.Stage.REVIEW), proposer=council.supporter
    )
    gone = make_idea(idea.process, proposer=council.supporter, status=Status.WITHDRAWN)
    for into, message in (
        (idea, "Choose another idea to merge this one into"),
        (other_process, "Choose an idea of the same process"),
        (gone, "Choose an idea that is proposed, feasible or on the ballot"),
    ):
        with pytest.raises(ValidationError) as caught:
            idea_merge(actor=council.officer, idea=idea, into=into)
        assert caught.value.message_dict == {"into": [message]}
    idea.refresh_from_db()
    assert idea.status == Status.PROPOSED and idea.merged_into is None


# Removing ---------------------------------------------------------------------------------------


def test_the_council_removes_an_idea_with_a_reason_and_its_proposer_withdraws_their_own(
    council, idea
):
    idea_withdraw(actor=council.officer, idea=idea, reason="It advertises a business.")
    idea.refresh_from_db()
    assert (idea.status, idea.reason) == (Status.WITHDRAWN, "It advertises a business.")
    assert (
        mails_to("cara@example.org")[0].message["subject"]
        == "Your idea was removed: Swings in Ancoats Park"
    )

    own = make_idea(idea.process, proposer=council.resident)
    idea_withdraw(actor=council.resident, idea=own)
    own.refresh_from_db()
    assert (own.status, own.reason) == (Status.WITHDRAWN, "Its proposer withdrew it.")
    with pytest.raises(PermissionDenied):
        idea_withdraw(
            actor=council.supporter, idea=make_idea(idea.process, proposer=council.resident)
        )


# Who is told, by a real worker over SMTP --------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_decision_reaches_the_proposer_once_and_followers_only(
    council, celery_workers, smtp_sink
):
    celery_workers.start(**smtp_sink.env())
    process = make_process(council, Process.Stage.IDEAS)
    follower, quiet = UserFactory(email="fay@example.org"), UserFactory(email="quentin@example.org")
    idea = make_idea(process, proposer=council.resident, title="Swings in Ancoats Park")
    idea_support(user=follower, idea=idea, hears_progress=True)
    idea_support(user=quiet, idea=idea, hears_progress=False)
    # The proposer follows their idea too: they hear once, through the followers' notice.
    proposer = contact_for_email(
        organisation=council.organisation, email="cara@example.org", source="budget"
    )
    consent_give(contact=proposer, purpose=idea_purpose(idea), method="test", wording="Tell me")

    idea_feasible(actor=council.officer, idea=idea, reason="On council land.", final_cost=9_000)

    def delivered():
        return sorted(smtp_sink.recipients()) == ["cara@example.org", "fay@example.org"]

    wait_for(delivered, timeout=60, message=f"not delivered: {smtp_sink.recipients()}")
    subjects = {message.recipients[0]: message.message["subject"] for message in smtp_sink.received}
    assert subjects == {
        "cara@example.org": "An idea you follow can be done: Swings in Ancoats Park",
        "fay@example.org": "An idea you follow can be done: Swings in Ancoats Park",
    }
    assert Delivery.objects.filter(to_email="quentin@example.org").count() == 0
