"""A clock the test holds: services that take `now=` are given `clock.now`, and the test moves
time on with `clock.advance(minutes=16)` instead of sleeping or adding to the wall clock."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def advance(self, **delta: float) -> datetime:
        """Move time on by timedelta(**delta) and give the new time."""
        self.now += timedelta(**delta)
        return self.now

    def ago(self, **delta: float) -> datetime:
        return self.now - timedelta(**delta)

    def later(self, **delta: float) -> datetime:
        """A time after now, without moving the clock."""
        return self.now + timedelta(**delta)

    @property
    def timestamp(self) -> float:
        """Now as seconds since the epoch, for the signed form tokens' `now=`."""
        return self.now.timestamp()
