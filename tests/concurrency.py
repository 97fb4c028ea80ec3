"""Requests at the same moment, for the tests that show nothing is lost or counted twice under
concurrency.

`at_once(*calls)` runs each call in a thread of its own with its own database connection, all
released together, and gives back what each returned, in the order of the calls. A call that
raised one of the `expected` exceptions (a refusal the test is looking for) gives that exception
in its place; any other exception fails the test once every thread has finished, so a race test
never has to collect errors by hand. A thread still running after `timeout` seconds fails the test
instead of hanging it."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def at_once(
    *calls: Callable[[], object],
    expected: type[BaseException] | tuple[type[BaseException], ...] = (),
    timeout: float = 120,
) -> list[object]:
    start = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)
    unexpected: list[BaseException] = []

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            start.wait(timeout)
            outcomes[index] = call()
        except expected as refusal:
            outcomes[index] = refusal
        except Exception as error:
            unexpected.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair, daemon=True) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    running = sum(thread.is_alive() for thread in threads)
    assert not running, f"{running} of {len(calls)} calls were still running after {timeout} s"
    if unexpected:
        raise ExceptionGroup(f"{len(unexpected)} of {len(calls)} calls raised", unexpected)
    return outcomes
