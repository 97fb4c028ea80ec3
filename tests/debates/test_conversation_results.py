"""Opinion groups from a conversation's votes in the database, worked out by a real worker a few
seconds after votes arrive (debates.conversation_results, debates.tasks)."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from sklearn.metrics import adjusted_rand_score

from civic.queueing import soon_key
from debates import conversation_results, opinion
from debates.conversation_results import RECOMPUTE, conversation_results_recompute
from debates.conversations import statement_vote
from debates.models import ConversationResult, Participant, Statement, StatementVote
from tests.debates.conftest import make_conversation
from tests.debates.conversations_planted import votes_load
from tests.debates.planted import planted
from tests.worker import wait_for


@pytest.fixture
def conversation(cast):
    return make_conversation(cast, seeds=0, title="The new town square", slug="town-square")


@pytest.mark.django_db
def test_the_vote_matrix_is_read_as_the_votes_were_cast(conversation):
    data = planted(participants=40, statements=12, votes_each=(3, 12), seed=9)
    statements = votes_load(conversation, data)
    rejected = Statement.objects.create(
        conversation=conversation, text="Rejected", status=Statement.Status.REJECTED
    )
    StatementVote.objects.create(
        participant=Participant.objects.filter(conversation=conversation).first(),
        statement=rejected,
        choice=1,
    )

    matrix = conversation_results.vote_matrix(conversation.pk)

    assert matrix.statement_ids.tolist() == [statement.pk for statement in statements]
    assert matrix.participants == 40
    # Rows come in participant order here (made in order, ids ascending).
    assert matrix.voted.tolist() == data.voted.tolist()
    assert np.where(matrix.voted, matrix.votes, 0).tolist() == data.votes.tolist()
    shown = StatementVote.objects.filter(statement__status=Statement.Status.SHOWN)
    assert matrix.last_vote_at == max(shown.values_list("updated_at", flat=True))


@pytest.mark.django_db
def test_a_recompute_keeps_the_groups_consensus_and_shares_by_statement(conversation):
    data = planted(participants=300, statements=20, sparse_share=0.05, seed=14)
    statements = votes_load(conversation, data)

    result = conversation_results_recompute(conversation_id=conversation.pk)

    result.refresh_from_db()
    figures = result.figures
    ids = [statement.pk for statement in statements]
    assert result.votes_counted == int(data.voted.sum())
    assert (figures["participants"], figures["left_out"]) == (300, len(data.sparse))
    assert len(figures["groups"]) == 3
    assert sum(group["size"] for group in figures["groups"]) == figures["grouped"]
    assert {item["statement"]: item["direction"] for item in figures["consensus"]} == {
        ids[column]: direction for column, direction in data.consensus.items()
    }
    first = figures["statements"][str(ids[0])]
    column = data.voted[:, 0]
    assert (first["agree"], first["disagree"], first["pass"]) == (
        int((data.votes[column, 0] == 1).sum()),
        int((data.votes[column, 0] == -1).sum()),
        int((data.votes[column, 0] == 0).sum()),
    )
    assert first["agree_share"] == round(first["agree"] / int(column.sum()), 4)
    for group in figures["groups"]:
        assert set(group["statements"]) == {str(pk) for pk in ids}
        assert all(item["statement"] in ids for item in group["representative"])


@pytest.mark.django_db
def test_the_groups_found_in_the_database_are_the_planted_ones(conversation):
    data = planted(participants=300, statements=20, seed=15)
    votes_load(conversation, data)
    matrix = conversation_results.vote_matrix(conversation.pk)

    found = opinion.opinion_groups(matrix.votes, matrix.voted)

    assert adjusted_rand_score(data.labels[found.included], found.labels) >= 0.9


@pytest.mark.django_db
def test_the_figures_never_name_a_participant(conversation):
    data = planted(participants=60, statements=10, seed=16)
    votes_load(conversation, data)

    result = conversation_results_recompute(conversation_id=conversation.pk)

    figures = result.figures
    assert set(figures) == {
        "participants", "grouped", "left_out", "min_votes", "silhouette",
        "statements", "groups", "consensus",
    }  # fmt: skip
    statement_ids = {str(pk) for pk in Statement.objects.values_list("pk", flat=True)}
    assert set(figures["statements"]) <= statement_ids
    for group in figures["groups"]:
        assert set(group) == {"name", "size", "centre", "statements", "representative"}
        assert set(group["statements"]) <= statement_ids
    keys = set(Participant.objects.values_list("anonymous_key", flat=True))
    assert not any(key in str(figures) for key in keys)


@pytest.mark.django_db(transaction=True)
def test_a_recompute_waits_its_turn_while_another_holds_the_conversation(conversation):
    data = planted(participants=40, statements=10, seed=17)
    votes_load(conversation, data)
    database = settings.DATABASES["default"]
    cache.delete(soon_key(RECOMPUTE, conversation.pk))
    with psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"],
        dbname=database["NAME"],
        autocommit=True,
    ) as other:
        other.execute(
            "SELECT pg_advisory_lock(%s, %s)", [conversation_results._LOCK_SPACE, conversation.pk]
        )

        assert conversation_results_recompute(conversation_id=conversation.pk) is None

        assert not ConversationResult.objects.exists()
        assert cache.get(soon_key(RECOMPUTE, conversation.pk)) is not None  # asked for again
        other.execute(
            "SELECT pg_advisory_unlock(%s, %s)", [conversation_results._LOCK_SPACE, conversation.pk]
        )

    result = conversation_results_recompute(conversation_id=conversation.pk)

    assert result.votes_counted == int(data.voted.sum())


@pytest.mark.django_db
def test_a_conversation_that_has_gone_is_not_recomputed():
    assert conversation_results_recompute(conversation_id=987654) is None
    assert not ConversationResult.objects.exists()


@pytest.mark.django_db
def test_a_second_recompute_replaces_the_first(conversation):
    data = planted(participants=80, statements=10, seed=18)
    votes_load(conversation, data)
    conversation_results_recompute(conversation_id=conversation.pk)
    more = planted(participants=120, statements=10, seed=18)
    votes_load(conversation, more, first=80)

    result = conversation_results_recompute(conversation_id=conversation.pk)

    assert ConversationResult.objects.count() == 1
    assert result.figures["participants"] == 120


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_many_votes_in_a_moment_make_one_recompute_by_the_worker(
    fresh_celery_worker, conversation, settings
):
    settings.CIVIC_CONVERSATION_RESULTS_SECONDS = 4
    data = planted(participants=60, statements=10, seed=19)
    statements = votes_load(conversation, data)
    participant = Participant.objects.create(conversation=conversation, anonymous_key="late")
    for statement in statements:  # one vote at a time through the service, as residents vote
        statement_vote(participant=participant, statement=statement, choice=1)

    result = wait_for(
        lambda: ConversationResult.objects.filter(conversation=conversation).first(),
        message=f"not recomputed:\n{fresh_celery_worker.log()}",
    )

    assert result.votes_counted == int(data.voted.sum()) + len(statements)
    assert result.figures["participants"] == 61

    # The worker writes the figures before it logs the task's end: wait for the log to catch up.
    def ended() -> list[str]:
        lines = fresh_celery_worker.log().splitlines()
        return [line for line in lines if RECOMPUTE in line and "succeeded" in line]

    wait_for(ended, message=f"the recompute did not end:\n{fresh_celery_worker.log()}")
    log = fresh_celery_worker.log()
    received = [line for line in log.splitlines() if RECOMPUTE in line and "received" in line]
    succeeded = [line for line in log.splitlines() if RECOMPUTE in line and "succeeded" in line]
    assert (len(received), len(succeeded)) == (1, 1), log
