"""The sending engine: claim rows of the outbox, send them over one connection, mark each sent.

The claims, leases and the fence are in mailing.outbox; each message is drawn by mailing.messages.
This module sends: it paces each organisation's mail (`RateLimiter`), sends a chunk of claimed
rows over one connection (`send_rows`) and runs a campaign's or the transactional mail's chunks.

Sending is at least once, never lost, and fenced (RFC 5321 6.1, RFC 1047: a message is the
sender's until the server has answered its end of data):

- before it writes the end-of-data line of a row's message, the worker has an answer from the
  database that it still holds that row's claim, and for how long (`Fence`); without one it drops
  the connection, so the server discards the message, and goes on with the rows it still holds;
- the row is marked sent only after the server's 250, in the statement that also asks the next
  row's fence, sent as soon as the 250 is read and answered while the next message goes out.

So a worker that lost its claim (paused, frozen, cut off longer than its lease) never completes a
message another worker has taken; a worker killed between a 250 and its mark leaves the row to be
sent again, once, with the same Message-ID, which receiving systems use to drop the copy; and a
worker killed at any other moment loses nothing and repeats nothing.
"""

from __future__ import annotations

import functools
import logging
import secrets
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from civic.queueing import queue
from contacts.models import Contact
from mailing.messages import CampaignContext, transactional_outgoing
from mailing.models import Campaign, Delivery, RateLimit
from mailing.outbox import Fence, claim, claimable_q, record_failure, release, renew
from mailing.transports import ClaimLost, transport_from_settings

logger = logging.getLogger(__name__)


def _setting(name: str, default):
    return getattr(settings, name, default)


class RateLimiter:
    """Messages per second for one organisation, across every worker (see RateLimit)."""

    def __init__(self, organisation_id: int | None):
        self.organisation_id = organisation_id
        self.per_second = 0
        self.slots: list[float] = []
        if organisation_id is not None:
            limit, _created = RateLimit.objects.get_or_create(
                organisation_id=organisation_id,
                defaults={"per_second": _setting("CIVIC_MAIL_RATE_PER_SECOND", 0)},
            )
            self.per_second = limit.per_second

    def _reserve(self, count: int) -> None:
        interval = 1.0 / self.per_second
        with transaction.atomic():
            limit = RateLimit.objects.select_for_update().get(organisation_id=self.organisation_id)
            start = max(limit.next_slot, time.time())
            limit.next_slot = start + count * interval
            limit.save(update_fields=["next_slot"])
        self.slots = [start + index * interval for index in range(count)]

    def wait(self, remaining: int) -> None:
        if not self.per_second:
            return
        if not self.slots:
            # Reserve a fifth of a second's worth at a time: few database writes, and little
            # left unused when a worker stops.
            self._reserve(max(1, min(remaining, self.per_second // 5)))
        slot = self.slots.pop(0)
        delay = slot - time.time()
        if delay > 0:
            time.sleep(delay)


def _still_wanted(campaign: Campaign, rows: list[Delivery]) -> set[int]:
    """Contacts of the chunk who may still be mailed: consent not withdrawn, not suppressed."""
    return set(
        Contact.objects.filter(pk__in=[row.contact_id for row in rows if row.contact_id])
        .filter(campaign.mailable_q())
        .values_list("pk", flat=True)
    )


def send_rows(rows: list[Delivery], *, token: str, transport, build, limiter) -> int:
    """Send claimed rows over one connection; returns how many were sent. A row whose claim this
    worker has lost is left to the worker that took it."""
    fence = Fence(token)
    sent = 0
    renew_every = fence.lease / 3
    renewed = time.monotonic()
    pending = list(rows)
    try:
        while pending:
            if time.monotonic() - renewed > renew_every:
                fence.settle()
                held = renew(token=token)
                renewed = time.monotonic()
                pending = [row for row in pending if row.pk in held]
                if not pending:
                    logger.warning("Lost the claim on the rest of this chunk; stopping it")
                    break
            delivery = pending.pop(0)
            if fence.fenced_id != delivery.pk:
                fence.ask(fenced_id=delivery.pk)
            outgoing = build(delivery)
            if limiter.per_second:
                fence.settle()  # the limiter reserves its slots in the database
            limiter.wait(len(pending) + 1)
            try:
                outcome = transport.send(outgoing, functools.partial(fence.confirm, delivery.pk))
            except ClaimLost:
                # Paused or cut off past the lease, and another worker took the row: this
                # message was abandoned unfinished. Keep only the rows still held.
                logger.warning("Lost the claim on delivery %s; left it to its new worker",
                               delivery.pk)  # fmt: skip
                renewed = float("-inf")  # renew at once: learn which rows are still held
                continue
            if outcome.sent:
                sent += 1
                # The row is marked at once, in one statement with the next row's fence.
                fence.ask(
                    fenced_id=pending[0].pk if pending else None,
                    sent=(delivery.pk, outcome.esp_message_id or outgoing.message_id),
                )
            else:
                fence.settle()
                record_failure(delivery, token, outcome)
        fence.settle()
    finally:
        try:
            # Only after an unexpected error can an answer still be unread: read it, so that
            # the connection serves the queries that follow (that error is what goes up).
            fence.settle()
        except RuntimeError:
            logger.warning("The last mark's answer could not be read", exc_info=True)
        finally:
            transport.close()
    return sent


def campaign_send_chunks(campaign_id: int, *, seconds: float | None = None) -> int:
    """Claim and send chunks of one campaign until none is left, it is paused or time runs out;
    then, if rows are left, queue a fresh task for them (a task's time is limited, a campaign's
    is not)."""
    token = secrets.token_hex(16)
    size = _setting("CIVIC_MAIL_CHUNK_SIZE", 200)
    deadline = time.monotonic() + (seconds or _setting("CIVIC_MAIL_TASK_SECONDS", 120))
    campaign = Campaign.objects.select_related("identity", "organisation", "purpose").get(
        pk=campaign_id
    )
    context = CampaignContext.load(campaign)
    limiter = RateLimiter(campaign.organisation_id)
    transport = transport_from_settings()
    sent = 0
    out_of_time = False
    try:
        while not (out_of_time := time.monotonic() >= deadline):
            status = Campaign.objects.filter(pk=campaign_id).values_list("status", flat=True)
            if status.first() != Campaign.Status.SENDING:
                break
            rows = claim(token=token, size=size, campaign_id=campaign_id)
            if not rows:
                break
            wanted = _still_wanted(campaign, rows)
            unwanted = [row.pk for row in rows if row.contact_id not in wanted]
            if unwanted:
                Delivery.objects.filter(pk__in=unwanted, claimed_by=token).update(
                    status=Delivery.Status.SKIPPED, lease_until=None
                )
            rows = [row for row in rows if row.contact_id in wanted]
            sent += send_rows(
                rows, token=token, transport=transport, build=context.outgoing, limiter=limiter
            )
    finally:
        release(token=token)
    if Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.CANCELLED).exists():
        # Rows given back after the campaign was cancelled are cancelled too.
        Delivery.objects.filter(campaign_id=campaign_id, status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.CANCELLED
        )
    elif out_of_time:
        left = Delivery.objects.filter(claimable_q(), campaign_id=campaign_id)
        if left.exists():
            _campaign_continue(campaign_id)
    campaign_finish_if_done(campaign_id)
    return sent


def _campaign_continue(campaign_id: int) -> None:
    """A fresh task for the rest of the campaign; without one, beat's sweep would wake only once
    no other worker is sending it, and until then this worker would sit idle."""
    # If the broker is down, the sweep queues it when the broker is back.
    queue("mailing.tasks.campaign_send_task", campaign_id)


def campaign_finish_if_done(campaign_id: int) -> bool:
    pending = Delivery.objects.filter(
        campaign_id=campaign_id, status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
    )
    if pending.exists():
        return False
    return bool(
        Campaign.objects.filter(
            pk=campaign_id, status__in=Campaign.lifecycle.sources(Campaign.Status.SENT)
        ).update(status=Campaign.Status.SENT, finished_at=timezone.now())
    )


TRANSACTIONAL_CHUNK = 50  # transactional messages a worker claims and sends at a time


def transactional_send(*, delivery_id: int | None = None, limit: int = TRANSACTIONAL_CHUNK) -> int:
    """Send one transactional message (or any that are due, when no id is given)."""
    token = secrets.token_hex(16)
    rows = claim(token=token, size=limit, delivery_id=delivery_id, transactional=True)
    if not rows:
        return 0
    try:
        return send_rows(
            rows,
            token=token,
            transport=transport_from_settings(),
            build=transactional_outgoing,
            limiter=RateLimiter(None),
        )
    finally:
        release(token=token)
