"""Reminders before an event, by beat's sweep: the day before at the same local time (so 23 or
25 hours before across a change of the clocks) and an hour before, only to bookings still
confirmed when the sweep runs, never for a cancelled event, each once per booking however often
and however many sweeps run at once, and sent over SMTP by a real worker once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from civic.queueing import queue
from events.models import Event, Registration, ReminderSent
from events.services import registration_cancel
from events.services.reminders import due_at, reminders_send
from mailing.models import Delivery
from tests.concurrency import at_once
from tests.events.conftest import make_event
from tests.events.factories import RegistrationFactory
from tests.worker import wait_for

pytestmark = pytest.mark.django_db


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def sent_to() -> list[str]:
    return sorted(Delivery.objects.values_list("to_email", flat=True))


def booked(event: Event, *, at: datetime, **fields) -> Registration:
    return RegistrationFactory(event=event, created_at=at, **fields)


@pytest.mark.parametrize(
    ("starts", "day_before", "hours"),
    [
        # Sunday 28 March 2027: clocks go forward at 01:00 GMT. 10:00 BST is 09:00 UTC, and
        # 10:00 the day before (GMT) is 10:00 UTC: 23 hours earlier.
        (utc(2027, 3, 28, 9), utc(2027, 3, 27, 10), 23),
        # Monday 29 March 2027, the day after: both days in BST, 24 hours.
        (utc(2027, 3, 29, 9), utc(2027, 3, 28, 9), 24),
        # Sunday 31 October 2027: clocks go back at 01:00 UTC. 10:00 GMT is 10:00 UTC, and
        # 10:00 the day before (BST) is 09:00 UTC: 25 hours earlier.
        (utc(2027, 10, 31, 10), utc(2027, 10, 30, 9), 25),
        # Monday 1 November 2027, the day after: both in GMT.
        (utc(2027, 11, 1, 10), utc(2027, 10, 31, 10), 24),
    ],
    ids=["spring-change-day", "spring-day-after", "autumn-change-day", "autumn-day-after"],
)
def test_the_day_before_reminder_goes_at_the_same_local_time_across_the_change_of_clocks(
    cast, clock, settings, starts, day_before, hours
):
    settings.TIME_ZONE = "Europe/London"
    settings.CIVIC_EVENT_REMINDERS = ["1d", "1h"]
    assert starts - day_before == timedelta(hours=hours)
    assert due_at(starts, "1d") == day_before
    event = make_event(cast, starts_at=starts, ends_at=starts + timedelta(hours=2), now=starts)
    booked(event, at=day_before - timedelta(days=3), email="ada@example.org")

    clock.now = day_before - timedelta(seconds=1)
    assert reminders_send(now=clock.now) == 0
    assert sent_to() == []
    clock.advance(seconds=1)
    assert reminders_send(now=clock.now) == 1
    assert reminders_send(now=clock.advance(minutes=5)) == 0
    assert sent_to() == ["ada@example.org"]
    message = Delivery.objects.get().message
    assert message["subject"].startswith(f"Reminder: {event.title}")
    assert "A reminder that you have a place at this event tomorrow." in message["text"]

    clock.now = starts - timedelta(hours=1, seconds=1)
    assert reminders_send(now=clock.now) == 0
    assert reminders_send(now=clock.advance(seconds=1)) == 1
    assert reminders_send(now=clock.advance(minutes=59)) == 0
    assert sent_to() == ["ada@example.org", "ada@example.org"]
    assert "which starts soon" in Delivery.objects.latest("pk").message["text"]
    assert reminders_send(now=clock.advance(minutes=2)) == 0  # it has started


def test_an_hour_before_is_an_hour_whatever_the_time_zone(cast, settings):
    settings.TIME_ZONE = "America/New_York"
    starts = utc(2027, 3, 14, 15)  # the US clocks went forward that morning
    assert due_at(starts, "1h") == utc(2027, 3, 14, 14)
    assert due_at(starts, "30m") == utc(2027, 3, 14, 14, 30)
    # 11:00 EDT; the day before at 11:00 EST is 16:00 UTC.
    assert due_at(starts, "1d") == utc(2027, 3, 13, 16)


def test_only_bookings_still_confirmed_are_reminded(cast, clock, settings):
    settings.TIME_ZONE = "UTC"  # every day 24 hours long, whatever today is; see the test above
    starts = clock.later(days=1, minutes=30)
    event = make_event(cast, starts_at=starts, ends_at=starts + timedelta(hours=2))
    earlier = clock.ago(days=5)
    keeps = booked(event, at=earlier, email="keeps@example.org")
    cancels = booked(event, at=earlier, email="cancels@example.org")
    booked(event, at=earlier, email="waits@example.org", status="waiting")
    booked(event, at=earlier, email="gone@example.org", status="cancelled")

    assert reminders_send(now=clock.advance(minutes=31)) == 2
    assert sent_to() == ["cancels@example.org", "keeps@example.org"]
    registration_cancel(registration=cancels, now=clock.now)
    Delivery.objects.all().delete()

    assert reminders_send(now=clock.advance(hours=23)) == 1
    assert sent_to() == ["keeps@example.org"]
    assert set(ReminderSent.objects.values_list("registration_id", "reminder")) == {
        (keeps.pk, "1d"),
        (cancels.pk, "1d"),
        (keeps.pk, "1h"),
    }


def test_a_cancelled_or_draft_event_reminds_nobody(cast, clock):
    starts = clock.later(minutes=30)
    for stage in (Event.Stage.CANCELLED, Event.Stage.DRAFT):
        event = make_event(cast, stage, starts_at=starts, ends_at=starts + timedelta(hours=2))
        booked(event, at=clock.ago(days=3))
    assert reminders_send(now=clock.now) == 0
    assert not Delivery.objects.exists()
    assert not ReminderSent.objects.exists()


def test_a_reminder_already_due_when_someone_booked_is_not_sent_them(cast, clock):
    starts = clock.later(hours=5)
    event = make_event(cast, starts_at=starts, ends_at=starts + timedelta(hours=2))
    booked(event, at=clock.ago(minutes=10), email="late@example.org")
    assert reminders_send(now=clock.now) == 0
    assert reminders_send(now=clock.advance(hours=4)) == 1
    assert ReminderSent.objects.get().reminder == "1h"


def test_when_two_are_due_at_once_only_the_nearer_is_sent(cast, clock):
    starts = clock.later(minutes=20)
    event = make_event(cast, starts_at=starts, ends_at=starts + timedelta(hours=2))
    booked(event, at=clock.ago(days=3), email="ada@example.org")
    assert reminders_send(now=clock.now) == 1
    assert "which starts soon" in Delivery.objects.get().message["text"]
    assert sorted(ReminderSent.objects.values_list("reminder", flat=True)) == ["1d", "1h"]
    assert reminders_send(now=clock.now) == 0


def test_the_reminders_are_configurable(cast, clock, settings):
    settings.TIME_ZONE = "UTC"  # every day 24 hours long, whatever today is
    settings.CIVIC_EVENT_REMINDERS = ["2d"]
    starts = clock.later(days=2, minutes=1)
    event = make_event(cast, starts_at=starts, ends_at=starts + timedelta(hours=2))
    booked(event, at=clock.ago(days=3))
    assert reminders_send(now=clock.now) == 0
    assert reminders_send(now=clock.advance(minutes=2)) == 1
    assert reminders_send(now=clock.advance(days=2) - timedelta(minutes=2)) == 0
    settings.CIVIC_EVENT_REMINDERS = ["soon"]
    with pytest.raises(ValueError, match="is not like 1d, 1h or 30m"):
        reminders_send(now=clock.now)


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_reminder_once(cast, clock):
    starts = clock.later(minutes=30)
    event = make_event(cast, starts_at=starts, ends_at=starts + timedelta(hours=2))
    people = [booked(event, at=clock.ago(days=3)) for _number in range(20)]

    def sweep() -> int:
        return reminders_send(now=clock.now)

    assert sum(at_once(sweep, sweep, sweep)) == 20
    assert sorted(sent_to()) == sorted(person.email for person in people)
    assert ReminderSent.objects.filter(reminder="1h").count() == 20


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_each_reminder_once_over_smtp(cast, celery_workers, smtp_sink):
    worker = celery_workers.start(**smtp_sink.env())
    starts = datetime.now(UTC) + timedelta(minutes=30)
    event = make_event(cast, title="Budget workshop", starts_at=starts,
                       ends_at=starts + timedelta(hours=2))  # fmt: skip
    booked(event, at=starts - timedelta(days=3), email="ada@example.org")
    booked(event, at=starts - timedelta(days=3), email="alan@example.org")
    booked(event, at=starts - timedelta(days=3), email="wendy@example.org", status="waiting")

    queue("events.tasks.event_reminders_task")
    queue("events.tasks.event_reminders_task")
    wait_for(lambda: worker.log().count("event_reminders_task") >= 4, timeout=60,
             message="the sweep did not run twice")  # fmt: skip
    wait_for(lambda: len(smtp_sink.received) >= 2, timeout=60,
             message=f"no reminders: {smtp_sink.recipients()}")  # fmt: skip
    smtp_sink.wait_closed()
    assert sorted(smtp_sink.recipients()) == ["ada@example.org", "alan@example.org"]
    assert smtp_sink.received[0].message["subject"].startswith("Reminder: Budget workshop")
    assert Delivery.objects.count() == 2
