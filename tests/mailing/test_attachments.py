"""Transactional mail with attachments: the files travel in the outbox row itself (so a worker
needs nothing else to send it, however often it is tried) and leave as a multipart/mixed message
that mail programs read, over SMTP or through a Django mailer."""

from __future__ import annotations

import email
import email.policy

import pytest
from django.core import mail

from mailing.messages import transactional_outgoing
from mailing.services import ATTACHMENTS_LIMIT, Attachment, transactional_message
from mailing.transports import MailerTransport

pytestmark = pytest.mark.django_db

CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
PICTURE = bytes(range(256)) * 3
FILES = [
    Attachment("event.ics", CALENDAR, "text/calendar; charset=utf-8; method=PUBLISH"),
    Attachment('code "1"\r\nX-Evil: yes.png', PICTURE, "image/png"),
]


def _saved(**message):
    delivery = transactional_message(
        organisation=None, to_email="ann@example.org", subject="Your place", **message
    )
    delivery.save()
    return delivery


@pytest.mark.parametrize("html", ["", "<p>Your place is <strong>booked</strong>.</p>"])
def test_attachments_leave_with_the_text_and_read_back_byte_for_byte(html):
    delivery = _saved(text="Your place is booked.", html=html, attachments=FILES)
    raw = transactional_outgoing(delivery).raw
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message.get_content_type() == "multipart/mixed"
    assert "X-Evil" not in message  # a file's name cannot add a header
    assert message.get_body(("plain",)).get_content().startswith("Your place is booked.")
    if html:
        assert "<strong>booked</strong>" in message.get_body(("html",)).get_content()
    parts = list(message.iter_attachments())
    assert [part.get_filename() for part in parts] == ["event.ics", "code__1___X-Evil__yes.png"]
    assert parts[0].get_content_type() == "text/calendar"
    assert parts[0].get_param("method") == "PUBLISH"
    assert parts[0].get_payload(decode=True) == CALENDAR
    assert parts[1].get_payload(decode=True) == PICTURE
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998  # RFC 5322's line limit


def test_a_message_without_attachments_is_drawn_as_before():
    delivery = _saved(text="Your place is booked.")
    assert "attachments" not in delivery.message
    raw = transactional_outgoing(delivery).raw
    assert b"Content-Type: text/plain; charset=utf-8" in raw
    assert b"multipart" not in raw


def test_attachments_go_through_a_django_mailer_too(settings):
    settings.MAILERS = {
        **settings.MAILERS,
        "outbound": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
    }
    delivery = _saved(text="Your place is booked.", attachments=FILES[:1])
    transport = MailerTransport()
    assert transport.send(transactional_outgoing(delivery), confirm=lambda: None).sent
    [sent] = mail.outbox
    [(filename, content, mimetype)] = sent.attachments
    assert (filename, mimetype) == ("event.ics", "text/calendar")
    assert (content.encode() if isinstance(content, str) else content) == CALENDAR


def test_an_outbox_row_refuses_attachments_too_large_for_it():
    with pytest.raises(ValueError):
        transactional_message(
            organisation=None,
            to_email="ann@example.org",
            subject="Too big",
            text="",
            attachments=[Attachment("big.bin", b"x" * (ATTACHMENTS_LIMIT + 1), "image/png")],
        )
