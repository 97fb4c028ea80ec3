"""A test run has a broker and a cache of its own, as it has a database of its own: `make run`
serving from the same checkout (embedded defaults under var/) never takes the tests' tasks."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from django.conf import settings

from mailing.tasks import transactional_send_task
from tests.worker import ROOT, _database_url, _start, wait_for

# What `make run` (scripts/run.sh) has that a test run does not, and the reverse.
TEST_ONLY = {
    "CIVIC_TESTING",
    "CIVIC_TEST_RUN_DIR",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def _make_run_env(**extra: str) -> dict[str, str]:
    """The environment of a newcomer's `make run` in this checkout: embedded defaults."""
    env = {key: value for key, value in os.environ.items() if key not in TEST_ONLY}
    return {**env, "DEBUG": "1", "CIVIC_VAR_DIR": str(settings.VAR_DIR), **extra}


def _settings_of(env: dict[str, str]) -> dict[str, str]:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'broker': s.CELERY_BROKER_URL, "
        "'cache': str(s.CACHES['default']['LOCATION'])}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "civic.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_test_run_uses_neither_the_broker_nor_the_cache_of_make_run():
    make_run = _settings_of(_make_run_env())
    assert make_run["broker"] == f"sqla+sqlite:///{Path(settings.VAR_DIR) / 'broker.sqlite3'}"
    assert make_run["cache"] == str(Path(settings.VAR_DIR) / "cache")
    assert make_run["broker"] != settings.CELERY_BROKER_URL
    assert str(settings.CACHES["default"]["LOCATION"]) != make_run["cache"]


def test_a_worker_started_by_the_tests_gets_the_test_runs_broker_and_cache(tmp_path):
    from tests.worker import _worker_env

    worker = _settings_of(_worker_env(tmp_path / "mail", {}))
    assert worker["broker"] == settings.CELERY_BROKER_URL
    assert worker["cache"] == str(settings.CACHES["default"]["LOCATION"])


def test_a_make_run_worker_in_the_same_checkout_cannot_take_the_tests_task(
    transactional_db, tmp_path
):
    # A queue of this test's own, so that the make-run-like worker takes nothing a real
    # `make run` left in var/broker.sqlite3; it uses the test database, never var/civic.sqlite3.
    queue_name = f"isolation-{uuid.uuid4().hex[:12]}"
    command = [
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
        "-Q",
        queue_name,
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]
    processes = []
    try:
        log_path = tmp_path / "make-run-worker.log"
        with log_path.open("w") as log:
            make_run_worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "civic", *command],
                cwd=ROOT,
                env=_make_run_env(DATABASE_URL=_database_url()),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(make_run_worker)
        wait_for(
            lambda: "ready." in log_path.read_text(errors="replace"),
            timeout=60,
            message="the make-run-like worker did not start",
        )

        sent = transactional_send_task.apply_async((None,), queue=queue_name)

        test_worker = _start(tmp_path, "test-worker", {}, command)
        processes.append(test_worker.process)
        wait_for(
            lambda: f"[{sent.id}] succeeded" in test_worker.log(),
            timeout=90,
            message="the test's own worker never got the task: "
            + log_path.read_text(errors="replace")[-2000:],
        )
        assert sent.id not in log_path.read_text(errors="replace")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
