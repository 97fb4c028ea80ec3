"""A confirmed place's e-mail carries the event's calendar file (METHOD:PUBLISH) and the check-in
code as a QR code picture; an e-mail about waiting or cancelling carries neither. Sent by a real
worker to an SMTP server, the message arrives with both, readable: the calendar by two parsers,
the QR code by a decoder."""

from __future__ import annotations

import base64

import numpy
import png
import pytest
import zxingcpp

from events.calendar import check_in_qr_png
from events.models import Event, Registration
from events.services import registration_make
from mailing.models import Delivery
from tests.events.calendars import read_twice, unfolded
from tests.events.conftest import drawn_token, make_event
from tests.worker import wait_for

Status = Registration.Status


def _register(event: Event, email: str) -> Registration:
    return registration_make(
        event=event, name="Ann Example", email=email, postcode="m4 6aa", started=drawn_token()
    ).registration


def _decoded_qr(content: bytes) -> str:
    """The text of the one QR code in a PNG, read by zxing-cpp from its pixels (pypng)."""
    width, height, rows, info = png.Reader(bytes=content).asDirect()
    planes = info["planes"]
    pixels = numpy.vstack([numpy.asarray(row, dtype=numpy.uint8) for row in rows])
    grey = pixels.reshape(height, width, planes)[:, :, 0]
    if info["bitdepth"] == 1:
        grey = grey * 255
    [found] = zxingcpp.read_barcodes(numpy.ascontiguousarray(grey))
    return found.text


def test_the_qr_code_reads_back_as_the_check_in_code():
    assert _decoded_qr(check_in_qr_png("KX7P3Q")) == "KX7P3Q"


@pytest.mark.django_db
def test_only_a_confirmed_places_e_mail_carries_the_calendar_and_the_qr_code(cast):
    event = make_event(cast, in_person_capacity=1)
    confirmed = _register(event, "first@example.org")
    waiting = _register(event, "second@example.org")
    assert (confirmed.status, waiting.status) == (Status.CONFIRMED, Status.WAITING)

    stored = Delivery.objects.get(to_email="first@example.org").message["attachments"]
    assert [(item["filename"], item["content_type"]) for item in stored] == [
        (f"event-{event.pk}.ics", "text/calendar; charset=utf-8; method=PUBLISH"),
        ("check-in-code.png", "image/png"),
    ]
    method, [read] = read_twice(base64.b64decode(stored[0]["content"]))
    assert method == "PUBLISH"
    assert read.summary == event.title
    assert _decoded_qr(base64.b64decode(stored[1]["content"])) == confirmed.check_in_code
    assert "attachments" not in Delivery.objects.get(to_email="second@example.org").message


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_confirmation_arrives_over_smtp_with_a_readable_calendar_and_qr_code(
    cast, celery_workers, smtp_sink
):
    celery_workers.start(**smtp_sink.env())
    event = make_event(
        cast,
        title="Riverside drop-in",
        kind=Event.Kind.HYBRID,
        online_capacity=10,
        joining_link="https://meet.example.org/j/8437-riverside",
    )
    registration = _register(event, "ann@example.org")
    wait_for(
        lambda: smtp_sink.recipients() == ["ann@example.org"],
        timeout=60,
        message=f"not delivered: {smtp_sink.recipients()}",
    )
    message = smtp_sink.received[0].message
    body = message.get_body(("plain",)).get_content()
    assert f"Your check-in code: {registration.check_in_code}" in body
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attachments) == {f"event-{event.pk}.ics", "check-in-code.png"}

    calendar = attachments[f"event-{event.pk}.ics"]
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "PUBLISH"
    content = calendar.get_payload(decode=True)
    method, [read] = read_twice(content)
    assert (method, read.summary, read.status) == ("PUBLISH", "Riverside drop-in", "CONFIRMED")
    assert event.joining_link not in unfolded(content)

    picture = attachments["check-in-code.png"]
    assert picture.get_content_type() == "image/png"
    assert _decoded_qr(picture.get_payload(decode=True)) == registration.check_in_code
