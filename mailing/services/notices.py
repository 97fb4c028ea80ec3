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

from collections.abc import Sequence

from django.db import transaction

from civic.queueing import queue_after_commit
from contacts.models import ConsentPurpose, Contact, live_consent_q
from mailing.services import transactional_enqueue_many

NOTICE_BATCH = 500
NOTIFY_TASK = "mailing.tasks.consenters_notify_task"


def consenters(
    purpose: ConsentPurpose, *, also: Sequence[int] = (), leaving_out: Sequence[int] = ()
):
    """The contacts a notice for this purpose goes to: active, with an address, consenting.
    With `also` (ids of other purposes), those consenting to any of them too, each once; with
    `leaving_out`, not those consenting to any of those (they hear by another notice)."""
    condition = live_consent_q(purpose.pk)
    for purpose_id in also:
        condition |= live_consent_q(purpose_id)
    contacts = Contact.objects.active().filter(condition).exclude(email="")
    for purpose_id in leaving_out:
        contacts = contacts.exclude(live_consent_q(purpose_id))
    return contacts


def consenters_notify(
    *,
    purpose_id: int,
    subject: str,
    text: str,
    also: Sequence[int] = (),
    leaving_out: Sequence[int] = (),
) -> int:
    """Put one message to each consenting contact in the outbox, NOTICE_BATCH at a time; the
    number of messages. Run by a worker (consenters_notify_task)."""
    purpose = ConsentPurpose.objects.select_related("organisation").filter(pk=purpose_id).first()
    if purpose is None:
        return 0
    sent, batch = 0, []
    people = consenters(purpose, also=also, leaving_out=leaving_out).order_by("pk")
    for contact in people.iterator(chunk_size=NOTICE_BATCH):
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


def consenters_notify_after_commit(
    *,
    purpose: ConsentPurpose,
    subject: str,
    text: str,
    also: Sequence[ConsentPurpose] = (),
    leaving_out: Sequence[ConsentPurpose] = (),
) -> int:
    """Have a worker tell everyone consenting to the purpose, once this transaction commits;
    how many consent now (what the officer is told will be e-mailed). `also` and `leaving_out`
    as for `consenters`: a budget's winning project tells those who follow the project and
    those who follow all the winners, once each."""
    also_ids = [other.pk for other in also]
    leaving_out_ids = [other.pk for other in leaving_out]
    if also_ids or leaving_out_ids:
        queue_after_commit(NOTIFY_TASK, purpose.pk, subject, text, also_ids, leaving_out_ids)
    else:
        queue_after_commit(NOTIFY_TASK, purpose.pk, subject, text)
    return consenters(purpose, also=also_ids, leaving_out=leaving_out_ids).count()
