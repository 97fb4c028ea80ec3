"""Queueing Celery tasks from the web process, for every app.

queue(task, *args)          queue now; if the broker is down, log it and go on (each caller
                            has a sweep or a schedule that catches up)
queue_soon(task, id, ...)   queue once this transaction commits, to run `delay` seconds later,
                            and only once however often it is asked for meanwhile: a worker
                            counts a petition or a survey's results once per few seconds,
                            whatever the number of signatures or responses
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction

from civic.localcache import Recent

logger = logging.getLogger(__name__)
# The queue_soon keys this process set itself a moment ago: their task is still to run.
_set_here = Recent(0.5)


def queue(task, *args, countdown: float | None = None) -> bool:
    """Queue a task; False (logged) when the broker could not take it."""
    try:
        task.apply_async(args, countdown=countdown)
    except Exception:
        logger.warning("Could not queue %s%r", task.name, args, exc_info=True)
        return False
    return True


def soon_key(task, object_id) -> str:
    """The cache key that stands for a queue_soon of this task and object still to run."""
    return f"queued-soon:{task.name}:{object_id}"


def queue_soon(task, object_id, *, delay: float) -> None:
    """Queue task(object_id) to run in `delay` seconds, once this transaction commits, unless
    one is already waiting; if the broker is down, the next request asks again."""
    key = soon_key(task, object_id)

    def once() -> None:
        # A task this process queued less than half its delay ago runs after this commit, so
        # asking Redis again is not needed (a viral petition's signatures skip a round trip).
        if delay >= 1 and _set_here.get(key):
            return
        if cache.add(key, 1, timeout=max(delay, 1)):
            if queue(task, object_id, countdown=delay):
                _set_here.set(key, True)
            else:
                cache.delete(key)

    transaction.on_commit(once)
