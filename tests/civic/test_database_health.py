"""The web processes' database connection is checked before each request without a round trip
(civic/postgresql/base.py), and still replaced when the server has dropped it."""

from __future__ import annotations

import select

import psycopg
import pytest
from django.db import close_old_connections, connection

from tests.worker import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _last_query(pid: int) -> str:
    """What the server last ran for the session `pid`, asked from a connection of its own."""
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        return other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[
            0
        ]


def test_a_healthy_connection_is_used_without_asking_the_server(postgresql_only):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 42 AS civic_marker")
    pid = connection.connection.info.backend_pid
    assert connection.is_usable()
    assert _last_query(pid) == "SELECT 42 AS civic_marker"  # no SELECT 1 went to the server


def test_a_connection_the_server_dropped_is_replaced_before_the_request_queries(
    postgresql_only,
):
    connection.close()
    kept = {name: connection.settings_dict[name] for name in ("CONN_HEALTH_CHECKS", "CONN_MAX_AGE")}
    connection.settings_dict.update(CONN_HEALTH_CHECKS=True, CONN_MAX_AGE=60)
    try:
        connection.ensure_connection()
        dropped = connection.connection.info.backend_pid
        params = connection.get_connection_params()
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [dropped])
        socket = connection.connection.fileno()
        wait_for(
            lambda: select.select([socket], [], [], 0)[0],
            timeout=10,
            message="the server did not tell the session it was ending",
        )
        assert not connection.is_usable()
        # What Django does as a request starts and at its first query.
        close_old_connections()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            assert cursor.fetchone()[0] != dropped
    finally:
        connection.close()
        connection.settings_dict.update(kept)
