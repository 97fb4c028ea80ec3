"""The test run's own Celery broker, read as a worker reads it, and the tasks found there run as
a worker would run them: for tests of services that queue work after their commit."""

from __future__ import annotations

from datetime import datetime

import pytest

from civic.celery import app as celery_app


class Broker:
    """The test run's own broker, read as a worker reads it (through kombu), so the tests see the
    messages Celery sent and not our account of them."""

    QUEUES = ("default", "transactional")

    def take(self, queue_name: str = "default") -> list[tuple[str, list, datetime | None]]:
        """(task name, arguments, when it is to run) of every message waiting in the queue,
        taken off it."""
        messages = []
        with celery_app.connection_for_read() as connection:
            waiting = connection.SimpleQueue(queue_name)
            try:
                while True:
                    try:
                        message = waiting.get(block=False)
                    except waiting.Empty:
                        break
                    eta = message.headers["eta"]
                    messages.append(
                        (
                            message.headers["task"],
                            message.payload[0],
                            datetime.fromisoformat(eta) if eta else None,
                        )
                    )
                    message.ack()
            finally:
                waiting.close()
        return messages

    def run(self, name: str, queue_name: str = "default") -> list:
        """Run, in this process, every waiting task of that name, as a worker would (the same
        task function with the arguments that went through the broker); their results. Tasks
        of other names are put back."""
        celery_app.loader.import_default_modules()  # every app's tasks, as a worker finds them
        results, others = [], []
        for task, arguments, eta in self.take(queue_name):
            if task == name:
                results.append(celery_app.tasks[task](*arguments))
            else:
                others.append((task, arguments, eta))
        for task, arguments, eta in others:
            celery_app.send_task(task, args=arguments, eta=eta, queue=queue_name)
        return results

    def empty(self) -> None:
        for queue_name in self.QUEUES:
            self.take(queue_name)


@pytest.fixture
def broker():
    broker = Broker()
    broker.empty()
    yield broker
    broker.empty()  # no worker of a later test runs what was left here
