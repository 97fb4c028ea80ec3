"""Background work for debates. Each task takes ids and calls a service in debates.following;
each is safe to run twice (every message is recorded with its delivery, once)."""

from celery import shared_task

from debates.following import conclusion_tell, digests_send, reply_notify


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
