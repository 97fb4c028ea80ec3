"""A real Celery worker process for tests that need background work to happen.

The worker runs `celery -A civic worker` in a child process against the test database and the
configured broker (Redis in CI, the embedded SQLite broker otherwise), so tasks go through the
same serialisation, broker and process boundary as in production.
"""

from __future__ import annotations

import os
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

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    """Start a worker on the test database; stop it after the test."""
    connection.close()  # the worker opens its own connection to the same database
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CIVIC_TESTING": "1",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "civic", "purge", "-f"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "civic",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "-Q",
                "default",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(process, log_path, tmp_path / "mail")
    try:
        wait_for(
            lambda: "ready." in worker.log() or process.poll() is not None,
            timeout=60,
            message="the Celery worker did not start",
        )
        if process.poll() is not None:
            pytest.fail(f"the Celery worker exited at start:\n{worker.log()}")
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
