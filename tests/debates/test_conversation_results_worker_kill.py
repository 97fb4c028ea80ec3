"""A worker killed in the middle of working out a conversation's opinion groups: the figures are
not half-written, and the next worker works them out once, correctly.

The kill comes at a set step, not after a sleep: the test holds the conversation's results row
locked from a connection of its own, so the worker, which has taken the recompute's advisory
lock and read every vote, waits on it just before it writes. The test sees it waiting in
pg_stat_activity, kills it (SIGKILL: no shutdown, no acknowledgement), and lets the row go. The
task was acknowledged late, so the broker still holds it as taken by a worker that has gone;
Redis gives it back once its visibility timeout has passed, which the test moves on in Redis
rather than waits out (as the mailing engine's kill tests move a lease on in the database).
"""

from __future__ import annotations

import psycopg
import pytest
import redis
from django.conf import settings

from debates import conversation_results, opinion
from debates.conversation_results import (
    RECOMPUTE,
    conversation_results_recompute,
    figures_from,
    vote_matrix,
)
from debates.conversations import statement_vote
from debates.models import ConversationResult, Participant
from tests.debates.conftest import make_conversation
from tests.debates.conversations_planted import votes_load
from tests.debates.planted import planted
from tests.worker import wait_for


def _connect(**options) -> psycopg.Connection:
    database = settings.DATABASES["default"]
    return psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"],
        password=database.get("PASSWORD") or None,
        dbname=database["NAME"],
        **options,
    )


def _recompute_holder(watcher: psycopg.Connection, conversation_id: int) -> int | None:
    """The database session holding the conversation's recompute lock, if one does."""
    row = watcher.execute(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND classid = %s AND objid = %s",
        [conversation_results._LOCK_SPACE, conversation_id],
    ).fetchone()
    return row[0] if row else None


def _waiting_on_a_lock(watcher: psycopg.Connection, pid: int) -> bool:
    row = watcher.execute(
        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]
    ).fetchone()
    return bool(row) and row[0] == "Lock"


def _session_gone(watcher: psycopg.Connection, pid: int) -> bool:
    return not watcher.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()


def _succeeded(worker) -> int:
    return sum(
        1 for line in worker.log().splitlines() if f"{RECOMPUTE}[" in line and "succeeded" in line
    )


@pytest.fixture
def redis_broker():
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        pytest.skip("needs a Redis broker: set CELERY_BROKER_URL=redis://… (CI does)")
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    yield client
    client.close()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_recompute_leaves_no_half_figures_and_the_next_works_them_out_once(
    cast, celery_workers, redis_broker, postgresql_only, settings
):
    settings.CIVIC_CONVERSATION_RESULTS_SECONDS = 0  # the recompute is queued at once
    conversation = make_conversation(cast, seeds=0, title="The market hall", slug="market-hall")
    data = planted(participants=90, statements=10, seed=23)
    earlier = planted(participants=30, statements=10, seed=23)
    statements = votes_load(conversation, earlier)
    stale = conversation_results_recompute(conversation_id=conversation.pk)
    votes_load(conversation, data, first=30)
    late = Participant.objects.create(conversation=conversation, anonymous_key="late")

    with _connect(autocommit=True) as watcher, _connect() as holder:
        holder.execute(
            "SELECT 1 FROM debates_conversationresult WHERE conversation_id = %s FOR UPDATE",
            [conversation.pk],
        )
        first = celery_workers.start()
        statement_vote(participant=late, statement=statements[0], choice=1)  # asks for it

        pid = wait_for(
            lambda: _recompute_holder(watcher, conversation.pk),
            message=f"no worker took the recompute:\n{first.log()}",
        )
        wait_for(
            lambda: _waiting_on_a_lock(watcher, pid),
            message=f"the worker did not reach its write:\n{first.log()}",
        )
        first.kill()
        holder.rollback()  # the row is free; the killed worker's session finds nobody to answer
        wait_for(
            lambda: _session_gone(watcher, pid),
            message="the killed worker's database session lived on",
        )

        kept = ConversationResult.objects.get(conversation=conversation)
        assert (kept.votes_counted, kept.figures, kept.computed_at) == (
            stale.votes_counted,
            stale.figures,
            stale.computed_at,
        )
        assert _recompute_holder(watcher, conversation.pk) is None
        assert _succeeded(first) == 0

    # The broker still holds the task as taken by the dead worker: its visibility timeout is
    # moved on in Redis, and a new worker, as a supervisor starts one, takes it back at start.
    taken = redis_broker.zrange("unacked_index", 0, -1)
    assert len(taken) == 1
    redis_broker.zadd("unacked_index", dict.fromkeys(taken, 0))
    second = celery_workers.start()

    total = int(data.voted.sum()) + 1
    result = wait_for(
        lambda: ConversationResult.objects.filter(
            conversation=conversation, votes_counted=total
        ).first(),
        timeout=60,
        message=f"the new worker did not work the groups out:\n{second.log()}",
    )
    wait_for(lambda: _succeeded(second) == 1, message=second.log())

    matrix = vote_matrix(conversation.pk)
    expected = figures_from(
        opinion.opinion_groups(matrix.votes, matrix.voted),
        matrix.statement_ids,
        matrix.participants,
    )
    assert result.figures == expected
    assert result.figures["participants"] == 91
    assert ConversationResult.objects.filter(conversation=conversation).count() == 1
    assert redis_broker.zcard("unacked_index") == 0  # acknowledged once it had run
    assert _succeeded(first) + _succeeded(second) == 1
