"""Background work for debates. Each task takes ids and calls a service; each is safe to run
twice."""

from celery import shared_task

from debates import conversation_results

# Conversations' opinion groups ------------------------------------------------------------------


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=120, soft_time_limit=100)
def conversation_results_task(conversation_id: int) -> int | None:
    """Work out a conversation's opinion groups again (debounced by recompute_soon); returns the
    number of votes counted, or None if another recompute held it or it has gone."""
    result = conversation_results.conversation_results_recompute(conversation_id=conversation_id)
    return None if result is None else result.votes_counted
