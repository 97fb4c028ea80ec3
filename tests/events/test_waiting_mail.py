"""Every move of a booking is e-mailed once, through the mailing engine's outbox, a real Celery
worker and an SMTP server: booked, waiting, offered, accepted, cancelled, passed, and the event
cancelled by its officers."""

from __future__ import annotations

from collections import Counter

import pytest

from events.models import Registration
from events.services import event_cancel, offer_accept, offers_expire, registration_cancel
from tests.events.conftest import make_event
from tests.events.test_registering import register
from tests.worker import wait_for

Status = Registration.Status


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_every_move_of_a_booking_is_e_mailed_once(cast, clock, celery_workers, smtp_sink):
    celery_workers.start(**smtp_sink.env())
    event = make_event(cast, title="Drop-in", in_person_capacity=1)
    ann = register(event, email="ann@example.org", now=clock.now).registration  # booked
    bob = register(event, email="bob@example.org", now=clock.now).registration  # waits
    register(event, email="cat@example.org", now=clock.now)  # waits
    register(event, email="dan@example.org", now=clock.now)  # waits
    registration_cancel(registration=ann, now=clock.now)  # Bob is offered the place
    offer_accept(registration=bob, now=clock.later(hours=1))  # and takes it
    registration_cancel(registration=bob, now=clock.later(hours=2))  # Cat is offered it
    offers_expire(now=clock.later(hours=27))  # Cat's offer passes; Dan is offered it
    event_cancel(actor=cast.officer, event=event, reason="The hall flooded.")  # Dan hears

    expected = Counter({
        ("ann@example.org", "Your place is booked: Drop-in"): 1,
        ("ann@example.org", "Your booking is cancelled: Drop-in"): 1,
        ("bob@example.org", "You are on the waiting list: Drop-in"): 1,
        ("bob@example.org", "A place is free for you: Drop-in"): 1,
        ("bob@example.org", "Your place is booked: Drop-in"): 1,
        ("bob@example.org", "Your booking is cancelled: Drop-in"): 1,
        ("cat@example.org", "You are on the waiting list: Drop-in"): 1,
        ("cat@example.org", "A place is free for you: Drop-in"): 1,
        ("cat@example.org", "The offer of a place has passed: Drop-in"): 1,
        ("dan@example.org", "You are on the waiting list: Drop-in"): 1,
        ("dan@example.org", "A place is free for you: Drop-in"): 1,
        ("dan@example.org", "Event cancelled: Drop-in"): 1,
    })  # fmt: skip

    def received() -> Counter:
        return Counter(
            (message.recipients[0], message.message["subject"]) for message in smtp_sink.received
        )

    wait_for(lambda: sum(received().values()) >= sum(expected.values()), timeout=90,
             message=f"not all delivered: {received()}")  # fmt: skip
    smtp_sink.wait_closed()
    assert received() == expected
