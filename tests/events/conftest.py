"""Events for the events tests, in the stage a test asks for, run by the cast's department
(tests/cast.py: the officer works there)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from events.models import Event
from tests.events.factories import EventFactory

# Registration opening and the event's start, in days from now, that put a published event in
# each stage (it lasts two hours).
STAGE_DAYS = {
    Event.Stage.ANNOUNCED: (3, 17),
    Event.Stage.REGISTERING: (-1, 14),
    Event.Stage.PAST: (-30, -6),
}


def make_event(cast, stage: str = Event.Stage.REGISTERING, *, now=None, **fields) -> Event:
    """An event of the cast's department in `stage` at `now`; a draft for Stage.DRAFT and a
    cancelled one for Stage.CANCELLED."""
    now = now or timezone.now()
    opens, starts = STAGE_DAYS.get(stage, STAGE_DAYS[Event.Stage.REGISTERING])
    defaults = {
        "department": cast.department,
        "registration_opens_at": now + timedelta(days=opens),
        "starts_at": now + timedelta(days=starts),
        "ends_at": now + timedelta(days=starts, hours=2),
    }
    if stage == Event.Stage.DRAFT:
        defaults.update(status=Event.Status.DRAFT, published_at=None)
    if stage == Event.Stage.CANCELLED:
        defaults.update(
            status=Event.Status.CANCELLED, cancelled_at=now, cancellation_reason="The hall flooded."
        )
    return EventFactory(**{**defaults, **fields})


def drawn_token(seconds_ago: int = 60) -> str:
    """The registration form's signed drawing time, as if drawn `seconds_ago`."""
    import time

    from events.services import register_token

    return register_token(now=time.time() - seconds_ago)
