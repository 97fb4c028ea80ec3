"""Reminders before an event, sent by beat's sweep (events.tasks.event_reminders_task).

CIVIC_EVENT_REMINDERS lists them, each as a number and a unit: "1d" is the day before at the
same time of day where the council is (TIME_ZONE), so across a change of the clocks it is 23 or
25 hours before; "1h" (or "30m") is that long before, by the clock on the wall of any time zone.

Each reminder goes to the bookings confirmed when the sweep runs, of events still published (a
cancelled event reminds nobody), once per booking: the row in ReminderSent is claimed in the
same transaction that puts the e-mail in the outbox, and its unique constraint makes a second
sweep, run again or at the same moment, pass the booking by. A reminder already due when someone
booked is not sent them (they have just had their confirmation), and when a sweep finds two due
at once (beat was down) only the nearer one is sent.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from civic.formatting import when
from events.models import Event, Registration, ReminderSent
from events.services.registering import event_url, manage_url, venue_line

SPEC = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")


def reminder_keys() -> list[str]:
    """The reminders configured, checked: "2d", "1d", "1h", "30m"."""
    keys = []
    for spec in getattr(settings, "CIVIC_EVENT_REMINDERS", ["1d", "1h"]):
        found = SPEC.match(str(spec))
        if not found or int(found.group(1)) < 1:
            raise ValueError(f"CIVIC_EVENT_REMINDERS: {spec!r} is not like 1d, 1h or 30m")
        keys.append(f"{int(found.group(1))}{found.group(2)}")
    return keys


def due_at(starts_at: datetime, key: str) -> datetime:
    """When the reminder `key` of an event starting at `starts_at` is due."""
    number, unit = int(key[:-1]), key[-1]
    if unit == "d":
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        local = starts_at.astimezone(zone).replace(tzinfo=None) - timedelta(days=number)
        return local.replace(tzinfo=zone)
    return starts_at - (timedelta(hours=number) if unit == "h" else timedelta(minutes=number))


def _longest(keys: list[str]) -> timedelta:
    longest = timedelta(0)
    for key in keys:
        number, unit = int(key[:-1]), key[-1]
        lead = {"d": timedelta(days=number, hours=2), "h": timedelta(hours=number)}.get(
            unit, timedelta(minutes=number)
        )
        longest = max(longest, lead)
    return longest


def reminders_send(*, now: datetime | None = None) -> int:
    """Send every reminder that is due and not yet sent; how many e-mails were put in the
    outbox. Safe to run twice and at the same time as another sweep."""
    now = now or timezone.now()
    keys = reminder_keys()
    if not keys:
        return 0
    events = Event.objects.filter(
        status=Event.Status.PUBLISHED, starts_at__gt=now, starts_at__lte=now + _longest(keys)
    ).select_related("department__organisation")
    sent = 0
    for event in events:
        due = sorted(
            ((due_at(event.starts_at, key), key) for key in keys),
            key=lambda pair: pair[0],
        )
        due = [(moment, key) for moment, key in due if moment <= now]
        if due:
            sent += _event_reminders(event, due, now)
    return sent


def _event_reminders(event: Event, due: list[tuple[datetime, str]], now: datetime) -> int:
    done = set(
        ReminderSent.objects.filter(
            registration__event=event, reminder__in=[key for _moment, key in due]
        ).values_list("registration_id", "reminder")
    )
    sent = 0
    confirmed = (
        event.registrations.filter(status=Registration.Status.CONFIRMED)
        .exclude(email="")
        .order_by("pk")
    )
    for registration in confirmed.only("pk", "created_at"):
        pending = [
            key
            for moment, key in due
            if moment >= registration.created_at and (registration.pk, key) not in done
        ]
        if pending and _claim_and_send(event, registration.pk, pending, now):
            sent += 1
    return sent


def _claim_and_send(event: Event, registration_id: int, pending: list[str], now: datetime) -> bool:
    """Claim the pending reminders of one booking and put the nearest in the outbox, in one
    transaction; False if the booking is no longer confirmed or another sweep claimed them."""
    try:
        with transaction.atomic():
            registration = (
                Registration.objects.select_for_update()
                .filter(pk=registration_id, status=Registration.Status.CONFIRMED)
                .first()
            )
            if registration is None:
                return False
            ReminderSent.objects.bulk_create(
                [
                    ReminderSent(registration=registration, reminder=key, sent_at=now)
                    for key in pending
                ]
            )
            registration.event = event
            _send(registration, day_before=pending[-1].endswith("d"))
    except IntegrityError:
        return False
    return True


def _send(registration: Registration, *, day_before: bool) -> None:
    from mailing.services import transactional_enqueue

    event = registration.event
    context = {
        "event": event,
        "registration": registration,
        "url": event_url(event),
        "manage_url": manage_url(registration),
        "starts": when(event.starts_at),
        "where": venue_line(event),
        "soon": day_before,
        "site_name": settings.CIVIC_SITE_NAME,
    }
    transactional_enqueue(
        organisation=event.organisation,
        to_email=registration.email,
        subject=render_to_string("events/email/reminder_subject.txt", context).strip(),
        text=render_to_string("events/email/reminder.txt", context),
    )
