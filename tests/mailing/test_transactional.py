"""Transactional mail: recorded in the outbox, never sent inside the web request, sent by a worker
from its own queue."""

from __future__ import annotations

import pytest

from mailing.models import Delivery
from mailing.services import transactional_enqueue
from tests.factories import UserFactory
from tests.worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

OUTBOX = {
    "default": {"BACKEND": "mailing.backends.OutboxBackend"},
    "outbound": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
}


def test_a_receipt_is_recorded_and_sent_by_a_worker_with_a_stable_message_id(
    celery_worker, newsletter
):
    delivery = transactional_enqueue(
        organisation=newsletter.council,
        to_email="ann@example.org",
        subject="Your response, reference R-1234",
        text="Thank you for taking part. Your reference is R-1234.",
        html="<p>Thank you for taking part. Your reference is <strong>R-1234</strong>.</p>",
    )

    messages = wait_for(celery_worker.mail, timeout=30, message="no receipt was sent")
    assert len(messages) == 1
    assert "Subject: Your response, reference R-1234" in messages[0]
    assert "To: ann@example.org" in messages[0]
    delivery.refresh_from_db()
    assert (delivery.kind, delivery.status, delivery.attempts) == ("transactional", "sent", 1)
    assert delivery.esp_message_id.startswith(f"<civic.{delivery.pk}.")
    assert f"Message-ID: {delivery.esp_message_id}" in messages[0]
    # Sent once: the task running again finds nothing to send.
    from mailing.engine import transactional_send

    assert transactional_send(delivery_id=delivery.pk) == 0


def test_mail_a_page_sends_leaves_the_request_for_the_outbox_and_a_worker(
    celery_worker, client, settings
):
    from django.core import mail

    settings.MAILERS = OUTBOX
    UserFactory(email="ann@example.org")

    response = client.post("/accounts/password/reset/", {"email": "ann@example.org"})

    assert response.status_code == 302
    assert mail.outbox == []  # nothing was sent inside the request
    delivery = Delivery.objects.get()
    assert (delivery.kind, delivery.to_email) == ("transactional", "ann@example.org")
    assert "password" in delivery.message["subject"].lower()
    messages = wait_for(celery_worker.mail, timeout=30, message="the worker sent nothing")
    assert len(messages) == 1 and "To: ann@example.org" in messages[0]
    wait_for(lambda: Delivery.objects.filter(status="sent").exists(), timeout=10)


def test_many_messages_at_once_are_one_insert_and_every_one_is_sent_once(
    celery_worker, newsletter, django_assert_num_queries
):
    from mailing.services import transactional_enqueue_many

    messages = [
        {
            "organisation": newsletter.council,
            "to_email": f"signer{number}@example.org",
            "subject": f"Confirm your signature {number}",
            "text": "Open the link to confirm.",
        }
        for number in range(120)  # more than a worker claims at a time
    ]
    with django_assert_num_queries(1):
        deliveries = transactional_enqueue_many(messages)

    assert len(deliveries) == 120
    sent = wait_for(lambda: len(celery_worker.mail()) >= 120, timeout=60,
                    message=f"not all sent:\n{celery_worker.log()}")  # fmt: skip
    assert sent
    assert len(celery_worker.mail()) == 120
    assert Delivery.objects.filter(status="sent").count() == 120
    addresses = [next(line for line in text.splitlines() if line.startswith("To: "))
                 for text in celery_worker.mail()]  # fmt: skip
    assert len(set(addresses)) == 120
