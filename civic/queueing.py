"""The one way to queue background work, for every app.

Callers name the task by its registered name ("petitions.tasks.petition_count_task") and never
import it: a service stays importable without its app's tasks, the tasks import the services at
the top with no cycle, and tests/civic/test_queueing.py checks that every name queued anywhere is
a task the Celery app knows.

queue_after_commit(name, *args)   the usual case for a service: queue once the transaction
                                  commits, so the worker finds the rows it needs; nothing is sent
                                  if it rolls back
queue(name, *args)                queue now, outside a transaction (a beat sweep, a worker's
                                  follow-up task)
queue_soon(name, id, delay=)      queue once the transaction commits, to run `delay` seconds
                                  later, and only once however often it is asked for meanwhile:
                                  a worker counts a petition or a survey's results once per few
                                  seconds, whatever the number of signatures or responses

If the broker is down, each of them logs it and goes on rather than fail a change that has
committed: a sweep or a schedule catches up (or the next request asks again), and the log names
the task and its arguments for the work that has neither.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.db import transaction

from civic.celery import app
from civic.localcache import ProcessMemo

logger = logging.getLogger(__name__)
# When the queue_soon tasks this process knows of are due (wall-clock seconds, the value of their
# key), whether it queued them or found them waiting.
_due_here = ProcessMemo(60)
SOON_MARGIN = 0.5  # seconds: more than the clocks of two of the platform's machines differ


def queue(name: str, *args, countdown: float | None = None) -> bool:
    """Queue the task registered as `name` now; False (logged) when the broker could not take it."""
    try:
        app.send_task(name, args=args, countdown=countdown)
    except Exception:
        logger.warning("Could not queue %s%r", name, args, exc_info=True)
        return False
    return True


def queue_after_commit(name: str, *args, countdown: float | None = None) -> None:
    """Queue the task registered as `name` once the current transaction commits (at once when
    there is none); nothing is queued if it rolls back."""
    transaction.on_commit(lambda: queue(name, *args, countdown=countdown))


def soon_key(name: str, object_id) -> str:
    """The cache key that stands for a queue_soon of this task and object still to run."""
    return f"queued-soon:{name}:{object_id}"


def queue_soon(name: str, object_id, *, delay: float) -> None:
    """Queue name(object_id) to run in `delay` seconds, once this transaction commits, unless
    one is already waiting; if the broker is down, the next request asks again."""
    key = soon_key(name, object_id)

    def once() -> None:
        # A task this process knows is due later than this commit (by a margin for the clocks of
        # other machines) will read what this commit wrote, so asking Redis again is not needed:
        # a viral petition's signatures and a conversation's votes make a round trip a few times
        # a delay in each process, not each.
        now = time.time()
        due = _due_here.get(key)
        if due is not None and now < due - min(SOON_MARGIN, delay / 2):
            return
        if cache.add(key, now + delay, timeout=max(delay, 1)):
            if queue(name, object_id, countdown=delay):
                _due_here.set(key, now + delay)
            else:
                cache.delete(key)
            return
        if due is None or due <= now:  # queued by another process: learn when it is due
            waiting = cache.get(key)
            if isinstance(waiting, float):
                _due_here.set(key, waiting)

    transaction.on_commit(once)
