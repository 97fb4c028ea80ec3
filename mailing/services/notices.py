"""News about an item to everyone who asked to hear it: the one way a feature app tells the
people who consented to an item's consent purpose (contacts.services.item_purpose) that
something happened (a consultation's outcome, a petition's response, a budget's result).

The feature app draws the message once (the same words for everyone), and
`consenters_notify_after_commit` has a worker put it in the outbox for every contact with a
live consent: one INSERT per NOTICE_BATCH contacts, a sending worker woken per chunk it sends,
so an officer's click never waits for thousands of messages, and a petition's hundred thousand
signers cost a few hundred statements. Everyone consenting when the worker runs is told once;
the outbox's own rules (suppressions, retries, leases) apply as to any transactional message.
"""

from __future__ import annotations

from django.db import transaction

from civic.queueing import queue_after_commit
from contacts.models import ConsentPurpose, Contact
from mailing.services import transactional_enqueue_many

NOTICE_BATCH = 500
NOTIFY_TASK = "mailing.tasks.consenters_notify_task"


def consenters(purpose: ConsentPurpose):
    """The contacts a notice for this purpose goes to: active, with an address, consenting."""
    return Contact.objects.active().with_live_consent(purpose).exclude(email="")


def consenters_notify(*, purpose_id: int, subject: str, text: str) -> int:
    """Put one message to each consenting contact in the outbox, NOTICE_BATCH at a time; the
    number of messages. Run by a worker (consenters_notify_task)."""
    purpose = ConsentPurpose.objects.select_related("organisation").filter(pk=purpose_id).first()
    if purpose is None:
        return 0
    sent, batch = 0, []
    for contact in consenters(purpose).iterator(chunk_size=NOTICE_BATCH):
        batch.append(
            {
                "organisation": purpose.organisation,
                "to_email": contact.email,
                "subject": subject,
                "text": text,
                "contact": contact,
            }
        )
        if len(batch) == NOTICE_BATCH:
            sent += _enqueue(batch)
            batch = []
    return sent + _enqueue(batch)


def _enqueue(messages: list[dict]) -> int:
    if messages:
        with transaction.atomic():
            transactional_enqueue_many(messages)
    return len(messages)


def consenters_notify_after_commit(*, purpose: ConsentPurpose, subject: str, text: str) -> int:
    """Have a worker tell everyone consenting to the purpose, once this transaction commits;
    how many consent now (what the officer is told will be e-mailed)."""
    queue_after_commit(NOTIFY_TASK, purpose.pk, subject, text)
    return consenters(purpose).count()
