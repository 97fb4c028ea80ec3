"""Queueing by name (civic.queueing): what reaches the test run's own broker, read back as a
worker reads it; nothing before the commit or after a rollback; once however often asked; asked
again when the broker could not take it. And, read from the source of every package of the
repository, so that a new app cannot slip past: every name queued is a task the Celery app knows,
and only tasks modules import tasks."""

from __future__ import annotations

import ast
import logging
import time
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from civic.celery import app as celery_app
from civic.models import Organisation
from civic.queueing import queue, queue_after_commit, queue_soon, soon_key
from tests.factories import OrganisationFactory

ROOT = Path(settings.BASE_DIR)
# A task that takes an object's id; no worker runs here, so it is only ever read back.
TASK = "civic.tasks.postcode_import_task"


@pytest.fixture
def broker_down():
    """The Celery app sends to an address where nothing answers (as when Redis is down) until
    `up()` is called; its pool of producers is dropped, as it holds connections to the old
    address."""

    class Switch:
        url = celery_app.conf.broker_write_url

        def down(self) -> None:
            celery_app.conf.broker_write_url = "redis://127.0.0.1:1/0"
            celery_app.amqp._producer_pool = None

        def up(self) -> None:
            celery_app.conf.broker_write_url = self.url
            celery_app.amqp._producer_pool = None

    switch = Switch()
    switch.down()
    yield switch
    switch.up()


def _between(eta: datetime, before: datetime, after: datetime, seconds: float) -> bool:
    """The message is to run `seconds` after it was sent, which was between before and after."""
    return before.timestamp() + seconds <= eta.timestamp() <= after.timestamp() + seconds


# Queueing now --------------------------------------------------------------------------------


def test_queue_sends_the_task_by_its_name_with_its_arguments_at_once(broker):
    assert queue(TASK, 7) is True

    assert broker.take() == [(TASK, [7], None)]


def test_queue_with_a_countdown_sends_a_task_to_run_that_much_later(broker):
    before = timezone.now()
    assert queue(TASK, 7, countdown=30) is True
    after = timezone.now()

    [(name, args, eta)] = broker.take()
    assert (name, args) == (TASK, [7])
    assert _between(eta, before, after, 30)


def test_a_task_sent_by_name_still_goes_to_the_queue_its_route_names(broker):
    assert queue("mailing.tasks.transactional_send_task", None) is True

    assert broker.take("transactional") == [("mailing.tasks.transactional_send_task", [None], None)]
    assert broker.take("default") == []


def test_when_the_broker_is_down_queue_logs_it_and_says_false(broker, broker_down, caplog):
    with caplog.at_level(logging.WARNING, logger="civic.queueing"):
        assert queue(TASK, 7) is False

    assert [
        record.getMessage() for record in caplog.records if record.name == "civic.queueing"
    ] == ["Could not queue civic.tasks.postcode_import_task(7,)"]
    broker_down.up()
    assert broker.take() == []


# Queueing after the commit ---------------------------------------------------------------------


def test_queue_after_commit_sends_nothing_until_the_transaction_commits(transactional_db, broker):
    with transaction.atomic():
        queue_after_commit(TASK, 7)
        queue_after_commit(TASK, 8, countdown=30)
        assert broker.take() == []

    # The broker keeps no order between messages sent a moment apart: read them by argument.
    sent = sorted(broker.take(), key=lambda message: message[1])
    assert [(name, args) for name, args, _eta in sent] == [(TASK, [7]), (TASK, [8])]
    assert sent[0][2] is None
    assert sent[1][2] is not None


def test_queue_after_commit_sends_nothing_when_the_transaction_rolls_back(transactional_db, broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_after_commit(TASK, 7)
        raise RuntimeError("the change failed")

    with transaction.atomic():
        pass  # a later commit does not send it either
    assert broker.take() == []


def test_queue_after_commit_inside_a_rolled_back_savepoint_sends_nothing(transactional_db, broker):
    with transaction.atomic():
        queue_after_commit(TASK, 7)
        with pytest.raises(RuntimeError), transaction.atomic():
            queue_after_commit(TASK, 8)
            raise RuntimeError("the inner change failed")

    assert broker.take() == [(TASK, [7], None)]


def test_queue_after_commit_outside_a_transaction_sends_at_once(transactional_db, broker):
    queue_after_commit(TASK, 7)

    assert broker.take() == [(TASK, [7], None)]


def test_when_the_broker_is_down_after_the_commit_the_change_stays_committed(
    transactional_db, broker, broker_down, caplog
):
    with caplog.at_level(logging.WARNING, logger="civic.queueing"), transaction.atomic():
        OrganisationFactory(slug="northbridge")
        queue_after_commit(TASK, 7)

    assert Organisation.objects.filter(slug="northbridge").exists()  # a committed change
    assert "Could not queue civic.tasks.postcode_import_task(7,)" in caplog.text


# Queueing soon, once ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_task_asked_for_many_times_is_queued_once_after_the_commit(
    django_capture_on_commit_callbacks, broker
):
    with django_capture_on_commit_callbacks(execute=True):
        for _request in range(5):
            queue_soon(TASK, 7, delay=2)
        assert broker.take() == []  # nothing before the commit
        before = timezone.now()
    after = timezone.now()

    [(name, args, eta)] = broker.take()
    assert (name, args) == (TASK, [7])
    assert _between(eta, before, after, 2)


@pytest.mark.django_db
def test_another_object_is_queued_of_its_own(django_capture_on_commit_callbacks, broker):
    with django_capture_on_commit_callbacks(execute=True):
        queue_soon(TASK, 7, delay=2)
        queue_soon(TASK, 8, delay=2)

    assert sorted((name, args) for name, args, _eta in broker.take()) == [(TASK, [7]), (TASK, [8])]


@pytest.mark.django_db
def test_when_the_broker_is_down_the_next_request_asks_again(
    django_capture_on_commit_callbacks, broker, broker_down
):
    with django_capture_on_commit_callbacks(execute=True):
        queue_soon(TASK, 7, delay=2)
    assert cache.get(soon_key(TASK, 7)) is None

    broker_down.up()
    with django_capture_on_commit_callbacks(execute=True):
        queue_soon(TASK, 7, delay=2)
    assert [(name, args) for name, args, _eta in broker.take()] == [(TASK, [7])]


class HeldClock:
    """The clock queue_soon reads, held by the test and moved on by it, so that a slow moment
    of the machine never passes the half second these tests measure."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


@pytest.fixture
def soon_clock(monkeypatch):
    clock = HeldClock()
    monkeypatch.setattr("civic.queueing.time", clock)
    return clock


@pytest.mark.django_db
def test_once_the_key_expires_a_later_commit_queues_the_task_again(
    django_capture_on_commit_callbacks, broker, soon_clock
):
    with django_capture_on_commit_callbacks(execute=True):
        queue_soon(TASK, 7, delay=1)
    cache.delete(soon_key(TASK, 7))  # as when the key expires, the task having run
    with django_capture_on_commit_callbacks(execute=True):
        queue_soon(TASK, 7, delay=1)  # within this process's half second: the task still to run
    assert len(broker.take()) == 1

    soon_clock.now += 0.6
    with django_capture_on_commit_callbacks(execute=True):
        queue_soon(TASK, 7, delay=1)
    assert [(name, args) for name, args, _eta in broker.take()] == [(TASK, [7])]


@pytest.mark.django_db
def test_a_task_another_process_queued_is_not_asked_for_again_until_half_its_delay_before_it_is_due(
    django_capture_on_commit_callbacks, broker, soon_clock
):
    cache.set(soon_key(TASK, 7), soon_clock.now + 1, 60)  # another process queued it just now
    with django_capture_on_commit_callbacks(execute=True):
        queue_soon(TASK, 7, delay=1)
    assert broker.take() == []
    # Were the key asked for now, it would be missing and the task queued again: it is not
    # asked for, the task found waiting being due after this commit.
    cache.delete(soon_key(TASK, 7))
    with django_capture_on_commit_callbacks(execute=True):
        queue_soon(TASK, 7, delay=1)
    assert broker.take() == []

    soon_clock.now += 0.6
    with django_capture_on_commit_callbacks(execute=True):
        queue_soon(TASK, 7, delay=1)
    assert [(name, args) for name, args, _eta in broker.take()] == [(TASK, [7])]


def test_the_key_of_a_task_queued_soon_is_its_name_and_the_objects_id():
    assert soon_key("petitions.tasks.petition_count_task", 7) == (
        "queued-soon:petitions.tasks.petition_count_task:7"
    )


# Read from the source --------------------------------------------------------------------------

QUEUEING_FUNCTIONS = {"queue", "queue_after_commit", "queue_soon"}


def queued_names(source: str) -> list[tuple[int, str | None]]:
    """(line, task name) of every call of civic.queueing's functions in the source, however they
    were imported; the name is None when it is neither a string nor a string constant of the
    module, since then nobody can check it."""
    tree = ast.parse(source)
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Constant):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    constants[target.id] = node.value.value
    functions, modules = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "civic.queueing":
            functions |= {
                alias.asname or alias.name
                for alias in node.names
                if alias.name in QUEUEING_FUNCTIONS
            }
        elif isinstance(node, ast.ImportFrom) and node.module == "civic":
            modules |= {
                alias.asname or alias.name for alias in node.names if alias.name == "queueing"
            }
        elif isinstance(node, ast.Import):
            modules |= {
                alias.asname or alias.name for alias in node.names if alias.name == "civic.queueing"
            }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func
        if not (
            (isinstance(called, ast.Name) and called.id in functions)
            or (
                isinstance(called, ast.Attribute)
                and called.attr in QUEUEING_FUNCTIONS
                and ast.unparse(called.value) in modules
            )
        ):
            continue
        named = [keyword.value for keyword in node.keywords if keyword.arg == "name"]
        first = node.args[0] if node.args else (named[0] if named else None)
        name = None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            name = first.value
        elif isinstance(first, ast.Name):
            name = constants.get(first.id)
        found.append((node.lineno, name))
    return sorted(found, key=lambda pair: pair[0])


def task_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of a tasks module in the source, at the top or inside a
    function."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                (node.lineno, alias.name)
                for alias in node.names
                if "tasks" in alias.name.split(".")
            ]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if "tasks" in module.split("."):
                found.append((node.lineno, module))
            found += [
                (node.lineno, f"{module}.tasks") for alias in node.names if alias.name == "tasks"
            ]
    return sorted(found)


def first_party_sources() -> list[Path]:
    """Every Python file of the packages at the root of the repository (the apps, tests, bench),
    and the scripts beside them: a new app is a new package there."""
    packages = [path for path in ROOT.iterdir() if (path / "__init__.py").is_file()]
    return sorted(
        [*ROOT.glob("*.py"), *(file for package in packages for file in package.rglob("*.py"))]
    )


def registered_tasks() -> set[str]:
    """The names of the tasks of civic's Celery app, once it has found every app's tasks (as a
    worker does when it starts)."""
    celery_app.loader.import_default_modules()
    return set(celery_app.tasks.keys())


def unregistered(sources: dict[str, str], registered: set[str]) -> list[str]:
    return [
        f"{where}:{line} queues {name or 'a name that is not a string'}"
        for where, source in sources.items()
        for line, name in queued_names(source)
        if name not in registered
    ]


def test_every_name_queued_anywhere_is_a_registered_task():
    sources = {str(path.relative_to(ROOT)): path.read_text() for path in first_party_sources()}
    names = {name for source in sources.values() for _line, name in queued_names(source)}
    assert {"petitions.tasks.petition_count_task", "mailing.tasks.campaign_send_task"} <= names

    assert unregistered(sources, registered_tasks()) == []


def test_a_name_that_is_no_task_or_cannot_be_read_is_reported():
    source = """
from civic import queueing
from civic.queueing import queue_after_commit as later, queue_soon

RECOUNT = "petitions.tasks.petitions_recount_task"
MISSPELT = "petitions.tasks.petition_cont_task"


def service(petition_id, name):
    later("petitions.tasks.petition_notify_task", petition_id, "debated")
    queue_soon(MISSPELT, petition_id, delay=2)
    queueing.queue(RECOUNT)
    queueing.queue(name)
    queue_soon(name="petitions.tasks.no_such_task", object_id=petition_id, delay=1)
"""
    assert queued_names(source) == [
        (10, "petitions.tasks.petition_notify_task"),
        (11, "petitions.tasks.petition_cont_task"),
        (12, "petitions.tasks.petitions_recount_task"),
        (13, None),
        (14, "petitions.tasks.no_such_task"),
    ]
    assert unregistered({"petitions/services/new.py": source}, registered_tasks()) == [
        "petitions/services/new.py:11 queues petitions.tasks.petition_cont_task",
        "petitions/services/new.py:13 queues a name that is not a string",
        "petitions/services/new.py:14 queues petitions.tasks.no_such_task",
    ]


def test_every_task_the_beat_schedule_names_is_registered():
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert names - registered_tasks() == set()


def _may_import_tasks(path: Path) -> bool:
    relative = path.relative_to(ROOT)
    return (
        relative.parts[0] == "tests"
        or relative == Path("civic/celery.py")
        or path.name == "tasks.py"
        or "tasks" in relative.parts[:-1]  # a tasks package (contacts/tasks/)
    )


def test_only_tasks_modules_import_tasks():
    imports = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in first_party_sources()
        if not _may_import_tasks(path)
        for line, module in task_imports(path.read_text())
    ]

    assert imports == []


def test_an_import_of_tasks_is_found_at_the_top_or_inside_a_function():
    source = """
import mailing.tasks
from contacts import tasks
from celery import shared_task


def service():
    from petitions.tasks import petition_count_task
"""
    assert task_imports(source) == [
        (2, "mailing.tasks"),
        (3, "contacts.tasks"),
        (8, "petitions.tasks"),
    ]


def test_tasks_import_what_they_call_at_the_top():
    """A function-level import in a tasks module hides an import cycle with its services."""
    late = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in first_party_sources()
        if path.relative_to(ROOT).parts[0] != "tests"
        and (path.name == "tasks.py" or "tasks" in path.relative_to(ROOT).parts[:-1])
        for function in ast.walk(ast.parse(path.read_text()))
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]

    assert late == []
