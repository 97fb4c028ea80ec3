"""A real Celery worker process for tests that need background work to happen.

The worker runs `celery -A civic worker` in a child process against the test database and the
configured broker (Redis in CI, otherwise the test run's own embedded SQLite broker, never the
var/broker.sqlite3 of `make run`), so tasks go through the same serialisation, broker and process
boundary as in production.

`celery_worker` is one worker for the whole run, for tests that only need their tasks done: it
takes tasks only while such a test runs, and before the test ends every task it took has ended.
`celery_workers` starts workers of the test's own, with settings of its own, for tests that kill,
pause or restart them (and `fresh_celery_worker` is one of those with the default settings).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    user = database.get("USER") or ""
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{database['NAME']}"


def wait_for(condition, *, timeout: float = 30.0, interval: float = 0.2, message: str = ""):
    """Poll until condition() is truthy; fail the test with the message when time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(message or "the condition was not met in time")


class Worker:
    def __init__(self, process: subprocess.Popen, log_path: Path, mail_dir: Path):
        self.process = process
        self.log_path = log_path
        self.mail_dir = mail_dir  # the worker's e-mail, one file per connection

    def mail(self) -> list[str]:
        """Every message the worker has finished writing so far, as raw text.

        Django's file backend ends each message with a line of 79 dashes, so a message still
        being written is not counted yet."""
        separator = "\n" + "-" * 79 + "\n"
        messages = []
        for path in sorted(self.mail_dir.glob("*.log")):
            messages += [text for text in path.read_text().split(separator)[:-1] if text.strip()]
        return messages

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, whatever the worker was doing."""
        self.process.kill()
        self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _worker_env(mail_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CIVIC_TESTING": "1",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        # The test run's own embedded cache (and broker, when no CELERY_BROKER_URL is set).
        "CIVIC_TEST_RUN_DIR": str(settings.TEST_RUN_DIR),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        **extra,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def _start(tmp_path: Path, name: str, extra: dict[str, str], command: list[str]) -> Worker:
    env = _worker_env(tmp_path / "mail", extra)
    log_path = tmp_path / f"{name}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "civic", *command],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Worker(process, log_path, tmp_path / "mail")


WORKER_COMMAND = [
    "worker",
    "--pool=solo",
    "--loglevel=INFO",
    "-Q",
    "transactional,default",
    "--without-heartbeat",
    "--without-gossip",
    "--without-mingle",
]


def _broker_empty() -> None:
    """Empty the Redis broker of what earlier tests left: both queues, and the tasks a killed
    worker had taken (kept as unacknowledged for the visibility timeout, an hour, which a later
    test's worker would otherwise hold or count as its own)."""
    from civic.celery import app

    with app.connection_for_write() as broker:
        channel = broker.default_channel
        for queue in QUEUES:
            channel.queue_purge(queue)
        with channel.conn_or_acquire() as client:
            client.delete(channel.unacked_key, channel.unacked_index_key, channel.unacked_mutex_key)


def _purge(tmp_path: Path, extra: dict[str, str]) -> None:
    if _shares_workers():
        _broker_empty()
        return
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "civic", "purge", "-f"],
        cwd=ROOT,
        env=_worker_env(tmp_path / "mail", extra),
        capture_output=True,
        timeout=60,
        check=False,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Workers:
    """Start, kill and restart several workers (and a beat) with settings of the test's own."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.started: list[Worker] = []

    def start(self, name: str = "worker", *, wait: bool = True, **extra: str) -> Worker:
        worker = _start(self.tmp_path, f"{name}-{len(self.started)}", extra, WORKER_COMMAND)
        self.started.append(worker)
        if wait:
            wait_for(
                lambda: "ready." in worker.log() or worker.process.poll() is not None,
                timeout=60,
                message="the Celery worker did not start",
            )
            if worker.process.poll() is not None:
                pytest.fail(f"the Celery worker exited at start:\n{worker.log()}")
        return worker

    def beat(self, **extra: str) -> Worker:
        schedule = self.tmp_path / f"beat-{len(self.started)}"
        beat = _start(
            self.tmp_path,
            f"beat-{len(self.started)}",
            extra,
            ["beat", "--loglevel=INFO", "--schedule", str(schedule)],
        )
        self.started.append(beat)
        return beat

    def purge(self, **extra: str) -> None:
        _purge(self.tmp_path, extra)

    def stop_all(self) -> None:
        for worker in self.started:
            _stop(worker.process)


@pytest.fixture
def celery_workers(transactional_db, tmp_path):
    """A factory of workers on the test database; every one is stopped after the test."""
    connection.close()  # the workers open their own connections to the same database
    workers = Workers(tmp_path)
    workers.purge()
    try:
        yield workers
    finally:
        workers.stop_all()


@pytest.fixture
def fresh_celery_worker(celery_workers):
    """A worker of the test's own on the test database, started with the environment the test
    has set (a mail directory, a MEDIA_ROOT), and stopped after it."""
    return celery_workers.start()


QUEUES = ["transactional", "default"]
_RECEIVED = re.compile(r"Task [\w.]+\[([0-9a-f-]+)\] received")
_ENDED = re.compile(r"Task [\w.]+\[([0-9a-f-]+)\] (?:succeeded|raised|retry|failed)")


class SharedWorker(Worker):
    """The run's worker. Between the tests that use it, it listens to no queue, so the tasks
    other tests leave on the broker never run in it against a later test's rows."""

    def __init__(self, worker: Worker, name: str):
        super().__init__(worker.process, worker.log_path, worker.mail_dir)
        self.name = name
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        self._earlier = self.mail_dir.parent / "earlier-mail"
        self._earlier.mkdir(exist_ok=True)

    def _control(self, command: str) -> None:
        from civic.celery import app

        for queue in QUEUES:
            answers = getattr(app.control, command)(
                queue, destination=[self.name], reply=True, timeout=10
            )
            if not answers:
                pytest.fail(f"the shared worker did not answer {command}:\n{self.log()}")

    def begin(self) -> None:
        """Start taking tasks, with an empty broker and an empty mailbox."""

        if self.process.poll() is not None:
            pytest.fail(f"the shared Celery worker has exited:\n{self.log()}")
        _broker_empty()
        for path in self.mail_dir.glob("*.log"):  # the worker is idle: no file is being written
            path.rename(self._earlier / f"{len(list(self._earlier.iterdir()))}-{path.name}")
        self._control("add_consumer")

    def _idle(self) -> bool:
        log = self.log()
        return set(_RECEIVED.findall(log)) <= set(_ENDED.findall(log))

    def end(self) -> None:
        """Stop taking tasks, and wait until every task taken has ended."""
        self._control("cancel_consumer")
        wait_for(lambda: self._idle() and self._idle(), timeout=120, interval=0.1,
                 message=f"the shared worker's tasks did not end:\n{self.log()}")  # fmt: skip


def _shares_workers() -> bool:
    """A worker takes and drops queues when told through the broker; Redis carries that, the
    embedded SQLite broker does not (no broadcast), so there each test starts its own worker."""
    return settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))


@pytest.fixture(scope="session")
def _shared_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    if not _shares_workers():
        yield None
        return
    base = tmp_path_factory.mktemp("shared-worker")
    name = f"shared-{os.getpid()}@{socket.gethostname()}"
    # It starts listening to a queue of its own that nothing is sent to, and takes the real ones
    # only while a test that uses it runs.
    idle_queue = f"idle-{os.getpid()}"
    command = [
        "worker", "--pool=solo", "--loglevel=INFO", "-Q", idle_queue, "-n", name,
        "--without-heartbeat", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    with django_db_blocker.unblock():
        worker = SharedWorker(_start(base, "shared-worker", {}, command), name)
    try:
        wait_for(lambda: "ready." in worker.log() or worker.process.poll() is not None,
                 timeout=60, message="the shared Celery worker did not start")  # fmt: skip
        if worker.process.poll() is not None:
            pytest.fail(f"the shared Celery worker exited at start:\n{worker.log()}")
        yield worker
    finally:
        _stop(worker.process)


@pytest.fixture
def celery_worker(request, transactional_db, _shared_worker):
    """A worker on the test database with the default settings: the run's shared one (see
    SharedWorker), or on the embedded broker one of the test's own."""
    if _shared_worker is None:
        yield request.getfixturevalue("fresh_celery_worker")
        return
    connection.close()  # the worker opens its own connections to the same database
    _shared_worker.begin()
    try:
        yield _shared_worker
    finally:
        _shared_worker.end()
