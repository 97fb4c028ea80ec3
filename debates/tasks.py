"""Background work for debates. Each task takes ids and calls a service; each is safe to run
twice."""

from celery import shared_task

from debates import conversation_results
from debates.following import conclusion_tell, digests_send, reply_notify

# Conversations' opinion groups ------------------------------------------------------------------


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=120, soft_time_limit=100)
def conversation_results_task(conversation_id: int) -> int | None:
    """Work out a conversation's opinion groups again (debounced by recompute_soon); returns the
    number of votes counted, or None if another recompute held it or it has gone."""
    result = conversation_results.conversation_results_recompute(conversation_id=conversation_id)
    return None if result is None else result.votes_counted


# Following: replies, digests and the conclusion (debates.following); every message is recorded
# with its delivery, once --------------------------------------------------------------------------


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=120, soft_time_limit=100)
def reply_notify_task(comment_id: int) -> int:
    return reply_notify(comment_id=comment_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def digests_send_task() -> int:
    """Each follower's digest of the day; run hourly by beat in the day, so a worker lost on
    one run is caught up by the next, and nobody gets two."""
    return digests_send()


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def conclusion_tell_task(conclusion_id: int) -> int:
    return conclusion_tell(conclusion_id=conclusion_id)
