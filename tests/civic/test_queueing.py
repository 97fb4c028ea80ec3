"""Queueing from the web process: once however often asked, after the commit, and asked again
when the broker could not take it. The tasks here stand in for Celery's task objects."""

import time

import pytest

from civic.queueing import queue_soon, soon_key

pytestmark = pytest.mark.django_db


class Task:
    name = "civic.tests.count"

    def __init__(self, broker_up: bool = True):
        self.broker_up, self.sent = broker_up, []

    def apply_async(self, args, countdown=None):
        if not self.broker_up:
            raise ConnectionError("broker down")
        self.sent.append((args, countdown))


def test_a_task_asked_for_many_times_is_queued_once_after_the_commit(
    django_capture_on_commit_callbacks,
):
    task = Task()
    with django_capture_on_commit_callbacks(execute=True):
        for _request in range(5):
            queue_soon(task, 7, delay=2)
        assert task.sent == []  # nothing before the commit

    assert task.sent == [((7,), 2)]


def test_another_object_is_queued_of_its_own(django_capture_on_commit_callbacks):
    task = Task()
    with django_capture_on_commit_callbacks(execute=True):
        queue_soon(task, 7, delay=2)
        queue_soon(task, 8, delay=2)

    assert task.sent == [((7,), 2), ((8,), 2)]


def test_when_the_broker_is_down_the_next_request_asks_again(
    django_capture_on_commit_callbacks,
):
    from django.core.cache import cache

    task = Task(broker_up=False)
    with django_capture_on_commit_callbacks(execute=True):
        queue_soon(task, 7, delay=2)
    assert cache.get(soon_key(task, 7)) is None

    task.broker_up = True
    with django_capture_on_commit_callbacks(execute=True):
        queue_soon(task, 7, delay=2)
    assert task.sent == [((7,), 2)]


def test_once_the_key_expires_a_later_commit_queues_the_task_again(
    django_capture_on_commit_callbacks,
):
    from django.core.cache import cache

    task = Task()
    with django_capture_on_commit_callbacks(execute=True):
        queue_soon(task, 7, delay=1)
    cache.delete(soon_key(task, 7))  # as when the key expires, the task having run
    with django_capture_on_commit_callbacks(execute=True):
        queue_soon(task, 7, delay=1)  # within this process's half second: the task still to run
    assert task.sent == [((7,), 1)]

    time.sleep(0.6)
    with django_capture_on_commit_callbacks(execute=True):
        queue_soon(task, 7, delay=1)
    assert task.sent == [((7,), 1), ((7,), 1)]
