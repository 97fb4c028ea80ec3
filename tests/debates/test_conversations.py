"""Conversations: publishing after a check; one vote per participant per statement, changeable,
kept to one row by the database even when votes arrive at once; who may take part (an account,
or an anonymous visitor's key behind the public-form guard where the conversation allows it);
residents' statements checked before or after they show; the next statement to vote on."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from civic.form_guard import Refused
from civic.models import AuditEntry
from contacts.models import Activity
from debates.conversations import (
    conversation_problems,
    conversation_publish,
    next_statement,
    participant_for,
    statement_add,
    statement_moderate,
    statement_token,
    statement_vote,
    statement_vote_known,
    vote_token,
)
from debates.models import (
    ACTIVITY_CONVERSATION,
    ACTIVITY_STATEMENT,
    Conversation,
    Participant,
    Statement,
    StatementVote,
)
from tests.concurrency import at_once
from tests.debates.conftest import make_conversation
from tests.debates.factories import StatementFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Stage = Conversation.Stage
AGREE, DISAGREE, PASS = 1, -1, 0
IP = "198.51.100.7"


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    settings.CIVIC_CONVERSATION_STATEMENT_MIN_SECONDS = 0
    settings.CIVIC_CONVERSATION_STATEMENT_BURST = "1000/m"
    settings.CIVIC_CONVERSATION_STATEMENT_SUSTAINED = "1000/h"


def join(conversation, user=None, key=None, **guard):
    values = {"token": vote_token(now=time.time() - 60), "ip": IP, **guard}
    return participant_for(
        conversation=conversation,
        user=user or AnonymousUser(),
        anonymous_key=key,
        create=True,
        **values,
    )


def add(conversation, participant, text="Buses should come every ten minutes.", **fields):
    values = {"token": statement_token(now=time.time() - 60), "ip": IP, **fields}
    return statement_add(conversation=conversation, participant=participant, text=text, **values)


# Publishing -------------------------------------------------------------------------------------


def test_a_draft_is_published_only_once_it_passes_its_checks(cast):
    conversation = make_conversation(
        cast, Stage.DRAFT, seeds=2, background="", question="Sharing the street"
    )
    assert conversation_problems(conversation) == {
        "question": "Enter the question, ending with a question mark",
        "background": "Enter the background residents need to take part",
        "": "Add at least 3 statements of your own for residents to vote on first",
    }
    with pytest.raises(ValidationError):
        conversation_publish(actor=cast.officer, conversation=conversation)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.DRAFT

    StatementFactory(conversation=conversation)
    Conversation.objects.filter(pk=conversation.pk).update(
        background="Why.", question="How should it be shared?"
    )
    conversation.refresh_from_db()
    conversation_publish(actor=cast.officer, conversation=conversation)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.PUBLISHED
    entry = AuditEntry.objects.get(action="publish")
    assert (entry.actor, entry.object_repr) == (cast.officer, f"Conversation #{conversation.pk}")


def test_an_officer_of_another_department_cannot_publish_and_nothing_changes(cast):
    conversation = make_conversation(cast, Stage.DRAFT)
    with pytest.raises(PermissionDenied):
        conversation_publish(actor=cast.other_officer, conversation=conversation)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.DRAFT
    assert not AuditEntry.objects.exists()


# Voting -----------------------------------------------------------------------------------------


def test_a_vote_is_one_row_per_participant_per_statement_and_changeable(cast):
    conversation = make_conversation(cast)
    statement = conversation.statements.first()
    participant = join(conversation, user=cast.resident)
    statement_vote(participant=participant, statement=statement, choice=AGREE)
    statement_vote(participant=participant, statement=statement, choice=DISAGREE)
    statement_vote(participant=participant, statement=statement, choice=PASS)
    assert list(StatementVote.objects.values_list("participant", "statement", "choice")) == [
        (participant.pk, statement.pk, PASS)
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementVote.objects.create(participant=participant, statement=statement, choice=1)


def test_a_choice_other_than_agree_disagree_or_pass_is_refused(cast):
    conversation = make_conversation(cast)
    participant = join(conversation, user=cast.resident)
    with pytest.raises(ValidationError) as refused:
        statement_vote(participant=participant, statement=conversation.statements.first(), choice=2)
    assert refused.value.message_dict == {"choice": ["Choose agree, disagree or pass"]}
    assert not StatementVote.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementVote.objects.create(
            participant=participant, statement=conversation.statements.first(), choice=5
        )


@pytest.mark.django_db(transaction=True)
def test_votes_sent_at_the_same_moment_make_one_row_per_participant(cast, postgresql_only):
    conversation = make_conversation(cast, allow_anonymous=True)
    statement = conversation.statements.first()

    def send(choice):
        def vote():
            # Each request makes the participant if it is not there yet, then votes.
            participant = participant_for(
                conversation=conversation, user=cast.resident, anonymous_key=None, create=True
            )
            statement_vote(
                participant=participant,
                statement=Statement.objects.select_related("conversation").get(pk=statement.pk),
                choice=choice,
            )

        return vote

    at_once(*[send((1, -1, 0)[n % 3]) for n in range(8)])
    assert Participant.objects.filter(conversation=conversation).count() == 1
    assert StatementVote.objects.filter(statement=statement).count() == 1
    assert Activity.objects.filter(kind=ACTIVITY_CONVERSATION).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_known_participants_votes_sent_at_the_same_moment_make_one_row(cast, postgresql_only):
    """A returning participant's vote is found and written in one statement: sent eight times
    at once, by their account and by their key, it is still one row, and the last choice."""
    conversation = make_conversation(cast, allow_anonymous=True)
    statement = conversation.statements.first()
    by_account = Participant.objects.create(conversation=conversation, user=cast.resident)
    by_key = Participant.objects.create(conversation=conversation, anonymous_key="k" * 32)

    def send(number):
        return lambda: statement_vote_known(
            statement=Statement.objects.select_related("conversation").get(pk=statement.pk),
            choice=(1, -1, 0)[number % 3],
            user=cast.resident if number % 2 else AnonymousUser(),
            anonymous_key="k" * 32,
        )

    assert at_once(*[send(number) for number in range(8)]) == [True] * 8
    assert Participant.objects.filter(conversation=conversation).count() == 2
    votes = StatementVote.objects.filter(statement=statement)
    assert sorted(votes.values_list("participant_id", flat=True)) == [by_account.pk, by_key.pk]


def test_someone_who_takes_no_part_yet_is_not_found_and_nothing_is_written(cast):
    conversation = make_conversation(cast, allow_anonymous=False)
    statement = Statement.objects.select_related("conversation").filter(conversation=conversation)[
        0
    ]
    Participant.objects.create(conversation=conversation, anonymous_key="k" * 32)
    # Without anonymous participation a key finds nobody here, nor does an account that has
    # not taken part, nor nobody at all.
    for user, key in ((AnonymousUser(), "k" * 32), (cast.resident, None), (AnonymousUser(), None)):
        assert not statement_vote_known(statement=statement, choice=1, user=user, anonymous_key=key)
    assert not StatementVote.objects.exists()
    with pytest.raises(ValidationError):
        statement_vote_known(statement=statement, choice=7, user=cast.resident, anonymous_key=None)


@pytest.mark.parametrize("stage", [Stage.UPCOMING, Stage.CLOSED])
def test_votes_are_taken_only_while_the_conversation_is_open(cast, stage):
    conversation = make_conversation(cast, stage)
    participant = Participant.objects.create(conversation=conversation, user=cast.resident)
    with pytest.raises(Refused) as refused:
        statement_vote(
            participant=participant, statement=conversation.statements.first(), choice=AGREE
        )
    assert refused.value.code == "closed"
    assert not StatementVote.objects.exists()


def test_a_statement_waiting_to_be_checked_or_rejected_takes_no_votes(cast):
    conversation = make_conversation(cast)
    participant = join(conversation, user=cast.resident)
    for status in (Statement.Status.PENDING, Statement.Status.REJECTED):
        statement = StatementFactory(conversation=conversation, is_seed=False, status=status)
        with pytest.raises(Refused):
            statement_vote(participant=participant, statement=statement, choice=AGREE)
    assert not StatementVote.objects.exists()


def test_a_participant_votes_only_in_their_own_conversation(cast):
    first, second = make_conversation(cast), make_conversation(cast)
    participant = join(first, user=cast.resident)
    with pytest.raises(Refused):
        statement_vote(participant=participant, statement=second.statements.first(), choice=AGREE)
    assert not StatementVote.objects.exists()


def test_the_next_statement_is_the_councils_first_then_the_oldest_until_none_is_left(cast):
    conversation = make_conversation(cast, seeds=2, statement_moderation="after")
    participant = join(conversation, user=cast.resident)
    theirs = add(conversation, join(conversation, user=UserFactory()), text="More benches.")
    seeds = list(conversation.statements.filter(is_seed=True).order_by("pk"))
    seen = []
    while (statement := next_statement(participant, conversation)) is not None:
        seen.append(statement)
        statement_vote(participant=participant, statement=statement, choice=PASS)
    assert seen == [*seeds, theirs]


# Who takes part ---------------------------------------------------------------------------------


def test_without_anonymous_participation_only_people_who_sign_in_take_part(cast):
    conversation = make_conversation(cast)
    with pytest.raises(Refused) as refused:
        join(conversation, key="a-key")
    assert refused.value.code == "sign_in"
    assert join(conversation, user=cast.resident).user == cast.resident
    assert join(conversation, user=cast.resident) == Participant.objects.get()
    activity = Activity.objects.get(kind=ACTIVITY_CONVERSATION)
    assert activity.contact.email == cast.resident.email


def test_an_anonymous_visitor_takes_part_by_their_key_once(cast):
    conversation = make_conversation(cast, allow_anonymous=True)
    first = join(conversation, key="key-one")
    assert join(conversation, key="key-one") == first
    assert (first.user, first.anonymous_key) == (None, "key-one")
    assert join(conversation, key="key-two") != first
    assert not Activity.objects.exists()  # an anonymous participant is nobody's contact


def test_anonymous_participants_are_held_to_the_public_form_guard(cast, settings):
    settings.CIVIC_CONVERSATION_JOIN_BURST = "2/m"
    conversation = make_conversation(cast, allow_anonymous=True)
    with pytest.raises(Refused) as refused:
        join(conversation, key="script", honeypot="http://spam.example")
    assert refused.value.code == "spam"
    with pytest.raises(Refused) as refused:
        join(conversation, key="too-quick", token=vote_token())
    assert refused.value.code == "spam"
    join(conversation, key="one")
    join(conversation, key="two")
    with pytest.raises(Refused) as refused:
        join(conversation, key="three")
    assert refused.value.code == "rate_limited"
    # Someone already taking part is not counted again.
    assert join(conversation, key="one").anonymous_key == "one"
    assert sorted(Participant.objects.values_list("anonymous_key", flat=True)) == ["one", "two"]


# Residents' statements --------------------------------------------------------------------------


def test_checked_before_a_residents_statement_waits_until_an_officer_shows_it(cast):
    conversation = make_conversation(cast, statement_moderation="before")
    statement = add(conversation, join(conversation, user=cast.resident))
    assert (statement.status, statement.author, statement.is_seed) == (
        "pending",
        cast.resident,
        False,
    )
    assert Activity.objects.filter(kind=ACTIVITY_STATEMENT).count() == 1
    voter = join(conversation, user=UserFactory())
    assert statement not in _all_next(voter, conversation)

    statement_moderate(actor=cast.officer, statement=statement, status="shown")
    statement.refresh_from_db()
    assert statement.status == "shown"
    entry = AuditEntry.objects.get(action="moderate")
    assert (entry.actor, entry.object_repr) == (cast.officer, f"Statement #{statement.pk}")
    assert statement in _all_next(voter, conversation)


def _all_next(participant, conversation) -> list[Statement]:
    seen = []
    while (statement := next_statement(participant, conversation)) is not None:
        seen.append(statement)
        statement_vote(participant=participant, statement=statement, choice=PASS)
    StatementVote.objects.filter(participant=participant).delete()
    return seen


def test_checked_after_a_residents_statement_shows_at_once_and_can_be_rejected(cast):
    conversation = make_conversation(cast, statement_moderation="after")
    statement = add(conversation, join(conversation, user=cast.resident))
    assert statement.status == "shown"
    statement_moderate(actor=cast.admin, statement=statement, status="rejected")
    statement.refresh_from_db()
    assert statement.status == "rejected"


def test_only_those_who_run_the_conversation_check_statements(cast):
    conversation = make_conversation(cast)
    statement = add(conversation, join(conversation, user=cast.resident))
    for person in (cast.resident, cast.other_officer, cast.facilitator, cast.other_council_admin):
        with pytest.raises(PermissionDenied):
            statement_moderate(actor=person, statement=statement, status="shown")
    statement.refresh_from_db()
    assert statement.status == "pending"
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "Enter your statement"),
        ("x" * 141, "Your statement must be 140 characters or fewer: make one point at a time"),
        ("seed STATEMENT 1.", "Someone has already made this statement: vote on it instead"),
    ],
)
def test_a_statement_is_checked_and_nothing_is_saved(cast, text, message):
    conversation = make_conversation(cast)
    participant = join(conversation, user=cast.resident)
    with pytest.raises(ValidationError) as refused:
        add(conversation, participant, text=text)
    assert refused.value.message_dict == {"text": [message]}
    assert conversation.statements.count() == 3


def test_statements_are_held_to_the_public_form_guard(cast, settings):
    settings.CIVIC_CONVERSATION_STATEMENT_BURST = "1/m"
    conversation = make_conversation(cast)
    participant = join(conversation, user=cast.resident)
    with pytest.raises(Refused) as refused:
        add(conversation, participant, honeypot="filled")
    assert refused.value.code == "spam"
    add(conversation, participant, text="First.")
    with pytest.raises(Refused) as refused:
        add(conversation, participant, text="Second.")
    assert refused.value.code == "rate_limited"
    assert conversation.statements.filter(is_seed=False).count() == 1


def test_statements_are_taken_only_while_the_conversation_is_open(cast):
    conversation = make_conversation(cast, Stage.CLOSED)
    participant = Participant.objects.create(conversation=conversation, user=cast.resident)
    with pytest.raises(Refused) as refused:
        add(conversation, participant)
    assert refused.value.code == "closed"
    assert conversation.statements.count() == 3
