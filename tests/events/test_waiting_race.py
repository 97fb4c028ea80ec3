"""Registrations and cancellations at the same moment, many at once, on PostgreSQL: never more
places held (confirmed and offered) than the event has, and the waiting list in arrival order,
offers going to its head."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from events.models import Registration
from events.services import registration_cancel
from mailing.models import Delivery
from tests.concurrency import at_once
from tests.events.conftest import make_event
from tests.events.factories import RegistrationFactory
from tests.events.test_registering import register

Status = Registration.Status


@pytest.mark.usefixtures("postgresql_only")
@pytest.mark.django_db(transaction=True)
def test_registering_and_cancelling_at_once_never_holds_more_than_the_capacity(cast):
    capacity = 10
    event = make_event(cast, in_person_capacity=capacity)
    booked = [
        RegistrationFactory(event=event, arrival=number + 1, email=f"early{number}@example.org")
        for number in range(capacity)
    ]
    for number in range(4):
        RegistrationFactory(event=event, arrival=capacity + number + 1, status=Status.WAITING,
                            email=f"queue{number}@example.org")  # fmt: skip
    registering, cancelling = 20, 8
    jobs = [
        lambda number=number: register(event, email=f"racer{number}@example.org")
        for number in range(registering)
    ] + [lambda booking=booking: registration_cancel(registration=booking)
         for booking in booked[:cancelling]]  # fmt: skip
    at_once(*jobs)

    registrations = Registration.objects.filter(event=event)
    held = registrations.holding_places().aggregate(total=Sum("places"))["total"]
    assert held == capacity  # eight freed places, all taken again: never more, none left idle
    offered = sorted(registrations.filter(status=Status.OFFERED).values_list("arrival", flat=True))
    waiting = list(registrations.waiting().values_list("arrival", flat=True))
    racers = registrations.filter(email__startswith="racer")
    confirmed = list(racers.filter(status=Status.CONFIRMED).values_list("arrival", flat=True))
    # The four who queued first were offered the first four freed places. Which came first of
    # the other cancellations and the racers is the threads' order: a place freed while nobody
    # waited went to the next racer at once, any other was offered to the head of the queue.
    assert offered[:4] == [capacity + 1, capacity + 2, capacity + 3, capacity + 4]
    assert len(offered) - 4 + len(confirmed) == cancelling - 4
    # In arrival order: nobody waiting arrived before anyone who was offered or given a place.
    assert max(offered + confirmed) < min(waiting)
    arrivals = sorted(registrations.values_list("arrival", flat=True))
    assert arrivals == list(range(1, capacity + 4 + registering + 1))
    # One e-mail per move: each racer's answer (waiting or confirmed), each cancellation and
    # each offer.
    assert Delivery.objects.count() == registering + cancelling + len(offered)
