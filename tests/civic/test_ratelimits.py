"""Rate limits in the shared cache: each window counts every attempt, one refusing does not stop
the other counting, a window's count expires with it, and on Redis the windows of one form cost
one command."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from civic.ratelimits import _redis_client, hit, hits

WINDOWS = [("test:burst", 2, 60), ("test:sustained", 3, 3600)]


def test_each_window_counts_every_attempt_and_refuses_past_its_limit():
    outcomes = [hits("192.0.2.1", WINDOWS) for _attempt in range(4)]

    assert outcomes == [True, True, False, False]  # the burst refuses the third ...
    assert hit("test:sustained", "192.0.2.1", limit=3, period=3600) is False  # ... which counted
    assert hits("192.0.2.2", WINDOWS) is True  # another address has windows of its own
    assert hits(None, WINDOWS) is True  # no address, nobody to count


def test_the_next_window_counts_afresh(monkeypatch):
    """Windows are cut from the clock: an hour's limit used up at 10:59 is whole again at 11:00."""
    monkeypatch.setattr("civic.ratelimits.window_clock", lambda: 3600 * 500_000 - 1.0)
    assert [hit("test:hourly", "192.0.2.3", limit=1, period=3600) for _ in range(2)] == [
        True,
        False,
    ]

    monkeypatch.setattr("civic.ratelimits.window_clock", lambda: 3600 * 500_000 + 0.0)
    assert hit("test:hourly", "192.0.2.3", limit=1, period=3600) is True


def test_on_redis_the_windows_are_one_command_and_expire(monkeypatch):
    client = _redis_client()
    if client is None:
        pytest.skip("needs Redis: set REDIS_URL=redis://… (CI does)")
    commands = []
    execute = type(client).execute_command

    def counted(self, *args, **kwargs):
        commands.append(args[0])
        return execute(self, *args, **kwargs)

    hits("192.0.2.8", WINDOWS)  # Redis learns the script (it keeps it until it restarts)
    monkeypatch.setattr(type(client), "execute_command", counted)

    assert hits("192.0.2.9", WINDOWS) is True

    assert commands == ["EVALSHA"]
    monkeypatch.undo()
    keys = client.keys(cache.make_and_validate_key("ratelimit:test:*"))
    assert len(keys) == 4  # two windows for each of the two addresses
    assert all(0 < client.ttl(key) <= 3660 for key in keys)
    client.script_flush()  # as after a restart of Redis: the script is sent again
    assert hits("192.0.2.10", WINDOWS) is True
