"""Requests at the same moment, for the tests that show nothing is lost or counted twice under
concurrency: each call runs in a thread of its own with its own database connection, all
released together, and the errors they raised come back (an empty list when none did)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def at_once(*calls: Callable[[], object]) -> list[BaseException]:
    start = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        start.wait()
        try:
            call()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
