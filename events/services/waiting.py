"""The waiting list: places that come free are offered to the first in the queue, who has a
while to accept; an offer not taken up in time ends that booking and passes the place on.

Strict order, per way of attending (in person, online): the booking at the head of the queue is
offered as soon as all its places fit, and nobody behind it is offered anything before it, even
a smaller booking that would fit. Newcomers already wait while anyone waits
(registering._decided), so a place never goes round the queue.

Every function here runs with the event's row locked (`select_for_update`), as registering
does: registrations, cancellations, acceptances, offers and expiries of one event are decided
one after another, so a place is never offered twice and never more places are held (confirmed
and offered) than the event has. Running the expiry sweep twice, or two sweeps at once, moves
each expired offer once: the second finds it no longer offered.

Offers are made while the event is published and has not started; an offer runs for
CIVIC_EVENT_OFFER_HOURS (read when used), but never past the event's start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.form_guard import Refused
from civic.services import state_move
from events.models import Event, Registration
from events.services.registering import _send

Status = Registration.Status


def offer_hours() -> float:
    return float(getattr(settings, "CIVIC_EVENT_OFFER_HOURS", 24))


def offers_make(*, event: Event, now: datetime) -> list[Registration]:
    """Offer the free places of a locked event to the head of each waiting list, in arrival
    order, each booking only when all its places fit. The caller holds the event's row."""
    if event.status != Event.Status.PUBLISHED or now >= event.starts_at:
        return []
    expires_at = min(now + timedelta(hours=offer_hours()), event.starts_at)
    offered = []
    for attendance in Registration.Attendance.values:
        capacity = event.capacity(attendance)
        same_way = Registration.objects.filter(event=event, attendance=attendance)
        held = same_way.holding_places().aggregate(total=Sum("places"))["total"] or 0
        if held >= capacity:
            continue
        for waiting in same_way.waiting().iterator(chunk_size=20):
            if held + waiting.places > capacity:
                break  # strict order: nobody behind the head of the queue goes first
            state_move(
                waiting,
                Status.OFFERED,
                actor=None,
                summary=None,
                fields={"offer_expires_at": expires_at},
            )
            waiting.event = event
            _send(waiting, "offered")
            held += waiting.places
            offered.append(waiting)
    return offered


def places_offer(*, event: Event, now: datetime | None = None) -> list[Registration]:
    """Offer whatever places are free (an officer raised the capacity, say)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Event.objects.select_for_update(of=("self",))
            .select_related("department__organisation")
            .get(pk=event.pk)
        )
        return offers_make(event=locked, now=now)


def offer_accept(*, registration: Registration, now: datetime | None = None) -> Registration:
    """The person takes the place they were offered, from their booking's page (a POST).

    Raises Refused with code "passed" once the offer has expired (the booking then ends and the
    place goes to the next, as the sweep would do), "not_offered" when there is no offer."""
    now = now or timezone.now()
    with transaction.atomic():
        event = (
            Event.objects.select_for_update(of=("self",))
            .select_related("department__organisation")
            .get(pk=registration.event_id)
        )
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        locked.event = event
        if locked.status == Status.CONFIRMED:
            return locked  # pressed twice: already theirs
        if locked.status != Status.OFFERED:
            raise Refused(_("You have no offer of a place to accept."), code="not_offered")
        if event.status != Event.Status.PUBLISHED or now >= event.starts_at:
            raise Refused(_("This event is no longer taking bookings."), code="closed")
        passed = locked.offer_expires_at <= now
        if passed:  # as the sweep would: the booking ends, and the place goes on
            _expire(event, [locked], now)
            offers_make(event=event, now=now)
        else:
            state_move(locked, Status.CONFIRMED, actor=None, summary=None)
            _send(locked, "confirmed")
    if passed:  # raised once the expiry is committed
        raise Refused(_("The offer of a place has passed."), code="passed")
    return locked


def _expire(event: Event, offers: list[Registration], now: datetime) -> None:
    for offer in offers:
        state_move(offer, Status.CANCELLED, actor=None, summary=None, fields={"cancelled_at": now})
        offer.event = event
        _send(offer, "offer_expired")


def offers_expire(*, now: datetime | None = None) -> int:
    """Beat's sweep: every offer past its time ends (the person is told) and its places go to
    the next on the waiting list. Each event in a transaction of its own; safe to run twice."""
    now = now or timezone.now()
    event_ids = (
        Registration.objects.filter(
            status=Status.OFFERED,
            offer_expires_at__lte=now,
            event__status=Event.Status.PUBLISHED,
        )
        .values_list("event_id", flat=True)
        .distinct()
    )
    expired = 0
    for event_id in list(event_ids):
        with transaction.atomic():
            event = (
                Event.objects.select_for_update(of=("self",))
                .select_related("department__organisation")
                .get(pk=event_id)
            )
            if event.status != Event.Status.PUBLISHED:
                continue
            offers = list(
                Registration.objects.select_for_update()
                .filter(event=event, status=Status.OFFERED, offer_expires_at__lte=now)
                .order_by("arrival")
            )
            _expire(event, offers, now)
            offers_make(event=event, now=now)
            expired += len(offers)
    return expired
