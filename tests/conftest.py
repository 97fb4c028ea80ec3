"""Shared fixtures: which real components the suite runs against, and the rule that CI skips
nothing. A test that needs a component which is absent skips with its reason; under CI=true a
skip fails the run, so that a missing PostgreSQL, Redis, worker or browser never passes silently.
"""

import os
import shutil

import pytest
from django.conf import settings

from tests.components import describe_components

pytest_plugins = ["tests.browser", "tests.worker", "tests.smtp_sink"]

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
def cast(db):
    """One person of each role for Northbridge, and Eastmoor's officer and admin (tests/cast.py)."""
    from tests.cast import make_cast

    return make_cast()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from civic.localcache import clear_all

    cache.clear()
    clear_all()
    yield
