"""Shared fixtures: which real components the suite runs against, and the rule that CI skips
nothing. A test that needs a component which is absent skips with its reason; under CI=true a
skip fails the run, so that a missing PostgreSQL, Redis, worker or browser never passes silently.
"""

import os
import random
import shutil
import zlib

import pytest
from django.conf import settings

from tests.components import describe_components

pytest_plugins = ["tests.browser", "tests.worker", "tests.smtp_sink", "tests.broker"]

_skipped: list[str] = []


def pytest_report_header(config):
    return describe_components()


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI", "").lower() == "true" and _skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(
                f"CI=true: {len(_skipped)} skipped test(s) count as failures here: "
                + ", ".join(_skipped[:10]),
                red=True,
            )


def pytest_unconfigure(config):
    """The run's own broker and cache files (civic/settings.py TEST_RUN_DIR) go with it."""
    if "CIVIC_TEST_RUN_DIR" not in os.environ and settings.configured:
        shutil.rmtree(settings.TEST_RUN_DIR, ignore_errors=True)


def uses_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.fixture
def postgresql_only():
    if not uses_postgresql():
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://… (CI does)")


@pytest.fixture
def chance(request) -> random.Random:
    """Randomness the test can repeat: seeded from the test's id (or CIVIC_TEST_SEED), and the
    seed is printed with a failure so that the same draw can be run again."""
    seed = int(os.environ.get("CIVIC_TEST_SEED") or zlib.crc32(request.node.nodeid.encode()))
    request.node.chance_seed = seed
    return random.Random(seed)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    seed = getattr(item, "chance_seed", None)
    if report.failed and seed is not None:
        report.sections.append(("chance", f"drawn with CIVIC_TEST_SEED={seed}"))
    return report


@pytest.fixture
def clock():
    """A clock the test moves (tests/clock.py), starting at the wall clock's current second."""
    from django.utils import timezone

    from tests.clock import Clock

    return Clock(timezone.now().replace(microsecond=0))


@pytest.fixture
def cast(db):
    """One person of each role for Northbridge, and Eastmoor's officer and admin (tests/cast.py)."""
    from tests.cast import make_cast

    return make_cast()


@pytest.fixture(autouse=True)
def _error_pages_say_so_in_their_title(monkeypatch):
    """Every page any test gets through Django's test client is checked: one with an error
    summary says "Error:" first in its title, once (tests.pages.check_error_title)."""
    from django.test.client import Client

    from tests.pages import check_error_title

    request = Client.request

    def checked(self, **kwargs):
        response = request(self, **kwargs)
        check_error_title(response)
        return response

    monkeypatch.setattr(Client, "request", checked)


@pytest.fixture(autouse=True)
def _still_rate_windows(monkeypatch):
    """Every attempt a test makes counts in one window of each rate limit. The windows are cut
    from the real clock, so attempts that straddled a window's edge would be counted in two and
    a test expecting a refusal would fail now and then; a test of the edge patches it again."""
    import time

    moment = time.time()
    monkeypatch.setattr("civic.ratelimits.window_clock", lambda: moment)


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from civic.localcache import clear_all

    cache.clear()
    clear_all()
    yield
