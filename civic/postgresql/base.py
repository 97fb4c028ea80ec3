"""Django's PostgreSQL backend, with a cheaper health check.

A web process keeps its connection between requests (`DATABASE_CONN_MAX_AGE`), and Django checks
it before the first query of each request (`CONN_HEALTH_CHECKS`) so that a connection the
server dropped (PostgreSQL restarted, a session killed, a failover) is replaced instead of
failing the request. Django's check is a `SELECT 1`: a round trip to the server in every request
that queries, which under a petition's spike is half of a signature's trips to the database.

Between requests the connection is idle, and an idle server says nothing: a server that drops a
session first sends it a fatal error and then closes the socket, and either makes the socket
readable. So the check here looks at the socket without waiting. Nothing to read means the
server has not hung up, and the connection is used as it is; anything to read (or a socket that
cannot be polled) is checked Django's way. What this cannot see, a network that silently
lost the server, Django's `SELECT 1` would only see by waiting out TCP's timeout either way.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        try:
            readable, _writable, _failed = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        if not readable:
            return True
        return super().is_usable()
