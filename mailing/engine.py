"""The sending engine: claim rows of the outbox, send them over one connection, mark each sent.

A worker claims a chunk of deliveries with `SELECT ... FOR UPDATE SKIP LOCKED` and stamps them
with its claim token and a lease, which it renews while it works. Several workers on one campaign
never take the same row; a row whose worker died comes back when its lease runs out, and beat's
sweep wakes a worker for it (docs/operations.md says how soon).

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

Every lease is reckoned on the database's clock, never a worker's, so that workers on machines
whose clocks disagree still agree on when a claim lapses.
"""

from __future__ import annotations

import collections
import email.utils
import functools
import hmac
import logging
import secrets
import select
import time
import weakref
from dataclasses import dataclass
from datetime import timedelta
from hashlib import sha256

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from psycopg import pq

from civic.queueing import queue
from contacts.models import Contact
from mailing.models import Campaign, Delivery, RateLimit
from mailing.rendering import (
    Template,
    address,
    compile_message,
    header_value,
    merge_values,
    mime_bytes,
)
from mailing.services.unsubscribe import unsubscribe_token
from mailing.transports import ClaimLost, Outcome, Outgoing, transport_from_settings

logger = logging.getLogger(__name__)


def _setting(name: str, default):
    return getattr(settings, name, default)


def lease_seconds() -> float:
    return float(_setting("CIVIC_MAIL_LEASE_SECONDS", 15))


def claimable_q(now=None) -> Q:
    """Rows due to be sent: queued and due, or claimed by a worker whose lease has lapsed. `now`
    is the database's clock unless given."""
    now = Now() if now is None else now
    return Q(status=Delivery.Status.QUEUED, next_attempt_at__lte=now) | Q(
        status=Delivery.Status.SENDING, lease_until__lt=now
    )


# What sending reads of a claimed row (CampaignContext.outgoing, transactional_outgoing,
# record_failure): building whole rows, with their organisation, cost more than rendering them.
_SENDING_FIELDS = ("to_email", "attempts", "message", "contact__name", "contact__email")


def claim(
    *,
    token: str,
    size: int,
    campaign_id: int | None = None,
    delivery_id: int | None = None,
    transactional: bool = False,
) -> list[Delivery]:
    """Take up to `size` rows no other worker holds, for this worker alone, loaded with only the
    fields sending reads (and the contact's)."""
    rows = Delivery.objects.filter(claimable_q())
    if campaign_id is not None:
        rows = rows.filter(campaign_id=campaign_id)
    if delivery_id is not None:
        rows = rows.filter(pk=delivery_id)
    if transactional:
        rows = rows.filter(kind=Delivery.Kind.TRANSACTIONAL)
    with transaction.atomic():
        ids = list(
            rows.order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:size]
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(
                status=Delivery.Status.SENDING,
                claimed_by=token,
                lease_until=Now() + timedelta(seconds=lease_seconds()),
            )
    if not ids:
        return []
    return list(
        Delivery.objects.filter(pk__in=ids, claimed_by=token)
        .select_related("contact")
        .only(*_SENDING_FIELDS)
        .order_by("pk")
    )


def renew(*, token: str) -> set[int]:
    """Extend the lease of every row this worker still holds; returns their ids. A row another
    worker has taken since is not among them (a claim always writes its own token), so the rows
    missing are the ones this worker must leave alone."""
    held = Delivery.objects.filter(claimed_by=token, status=Delivery.Status.SENDING)
    held.update(lease_until=Now() + timedelta(seconds=lease_seconds()))
    # Only this worker writes its token, so a row still held now was held, and renewed, above.
    return set(held.values_list("pk", flat=True))


# The fence asks how long this worker still holds a row's claim, on the database's clock. It reads;
# it takes no lock and writes nothing. No other worker can claim the row before its lease ends,
# and the worker writes that row's end-of-data line only while (by its own clock, counted from
# before it asked) the lease has a margin left.
_FENCE_STATEMENT = b"civic_mailing_fence"
_FENCE_SQL = (
    b"SELECT extract(epoch FROM lease_until - clock_timestamp()) FROM mailing_delivery "
    b"WHERE id = $1 AND claimed_by = $2 AND status = 'sending'"
)
# The mark, after the server's 250. It does not require the claim: a row whose message the server
# has accepted is sent, whoever holds it now, and a worker that took it over then finds its own
# fence failing instead of sending a copy.
_MARK_SENT_STATEMENT = b"civic_mailing_mark_sent"
_MARK_SENT_SQL = (
    b"UPDATE mailing_delivery SET status = 'sent', sent_at = now(), attempts = attempts + 1, "
    b"lease_until = NULL, error = '', esp_message_id = $1 WHERE id = $2 AND status = 'sending'"
)
_DUPLICATE_PREPARED_STATEMENT = b"42P05"
# The database connections the statements were prepared on (they live as long as the session).
_prepared_on: weakref.WeakSet = weakref.WeakSet()


@dataclass
class _Asked:
    """A statement written to the database whose answer is not read yet."""

    fence: bool  # a fence, or a mark
    delivery_id: int
    asked_at: float  # time.monotonic() before the statement was written


class Fence:
    """Marks rows sent after their 250 and confirms claims before each end-of-data line.

    On PostgreSQL the statements go in libpq's pipeline mode, each its own transaction, written
    without waiting for their answers: as soon as a row's 250 is read, the next row's fence and
    then that row's mark go together, and the fence's answer is read only when the transport
    asks to confirm, just before the next end-of-data line. The round trip to the database thus
    overlaps rendering the next message and the envelope's round trip to the mail server, and
    the fence, asked first, does not wait for the mark's commit to reach the disk. The mark's
    answer is read before the next statements go, or before any other query (`settle`, which
    also leaves pipeline mode). Elsewhere (SQLite, or inside a transaction in tests) each step
    waits for its answer.
    """

    def __init__(self, token: str):
        self.token = token
        self.lease = lease_seconds()
        # Kept in hand when deciding whether a lease still holds: the time from that decision to
        # the end-of-data line leaving, and any difference in the speed of the two clocks.
        self.margin = self.lease / 10
        self.pgconn: pq.abc.PGconn | None = None  # in pipeline mode while this is set
        self.asked: collections.deque[_Asked] = collections.deque()
        self.fenced_id: int | None = None  # the row the last fence asked about
        self.held_until: float | None = None  # monotonic time until which its claim holds

    def ask(self, *, fenced_id: int | None, sent: tuple[int, str] | None = None) -> None:
        """Ask how long this worker holds the claim on row `fenced_id`, and mark `sent` (a row id
        and the ESP's message id) sent; the answers are read later."""
        self._read(until_fence=False)
        self.fenced_id, self.held_until = fenced_id, None
        if not self._pipelined():
            if sent is not None:
                self._mark_now(*sent)
            return  # confirm() asks, and waits
        pgconn = self._pipeline()
        if fenced_id is not None:
            self.asked.append(_Asked(True, fenced_id, time.monotonic()))
            pgconn.send_query_prepared(
                _FENCE_STATEMENT, [str(fenced_id).encode(), self.token.encode()]
            )
            pgconn.pipeline_sync()
        if sent is not None:
            delivery_id, esp_message_id = sent
            self.asked.append(_Asked(False, delivery_id, 0.0))
            pgconn.send_query_prepared(
                _MARK_SENT_STATEMENT, [esp_message_id.encode(), str(delivery_id).encode()]
            )
            pgconn.pipeline_sync()
        # psycopg keeps the connection non-blocking: make sure every statement has left.
        while pgconn.flush():
            select.select([], [pgconn.socket], [])

    def settle(self) -> None:
        """Read every answer still unread and leave pipeline mode: before any other query."""
        self._read(until_fence=False)
        if self.pgconn is not None:
            pgconn, self.pgconn = self.pgconn, None
            pgconn.exit_pipeline_mode()

    def confirm(self, delivery_id: int) -> None:
        """Return only if this worker holds the claim on the row, with the lease to spare, now:
        the transport then writes the end-of-data line at once. Raise ClaimLost otherwise."""
        self._read(until_fence=True)
        held_until = self.held_until if self.fenced_id == delivery_id else None
        if held_until is not None and time.monotonic() < held_until:
            return
        # No answer yet, or one too old to trust (the worker was paused, or the server slow):
        # ask again, extending this row's lease, and wait for the answer.
        self.settle()
        self.fenced_id, self.held_until = delivery_id, None
        asked_at = time.monotonic()
        extended = Delivery.objects.filter(
            pk=delivery_id, claimed_by=self.token, status=Delivery.Status.SENDING
        ).update(lease_until=Now() + timedelta(seconds=self.lease))
        if extended != 1:
            raise ClaimLost(delivery_id)
        self.held_until = asked_at + self.lease - self.margin
        if time.monotonic() >= self.held_until:  # paused again while asking: do not trust it
            raise ClaimLost(delivery_id)

    def _read(self, *, until_fence: bool) -> None:
        """Read answers in the order asked: all of them, or up to the last fence's."""
        while self.asked and (not until_fence or any(asked.fence for asked in self.asked)):
            asked = self.asked.popleft()
            result = self._answer()
            if not asked.fence and result.command_tuples != 1:
                # Another worker had sent it too: a copy went, with the same Message-ID.
                logger.warning("Delivery %s was sent by another worker as well", asked.delivery_id)
            elif asked.fence and asked.delivery_id == self.fenced_id and result.ntuples:
                remaining = result.get_value(0, 0)  # NULL: the row is not this worker's
                if remaining is not None:
                    self.held_until = asked.asked_at + float(remaining) - self.margin

    def _answer(self) -> pq.abc.PGresult:
        """The result of the next statement in the pipeline, up to and including its sync."""
        answer, error, nothing = None, "", 0
        while True:
            result = self.pgconn.get_result()
            if result is None:
                nothing += 1
                if nothing > 1:  # nothing more will come: the connection has gone
                    raise RuntimeError(self.pgconn.error_message.decode(errors="replace"))
                continue
            nothing = 0
            if result.status == pq.ExecStatus.PIPELINE_SYNC:
                break
            if result.status in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
                answer = result
            else:
                error = error or result.error_message.decode(errors="replace")
        if error or answer is None:
            raise RuntimeError(error or "A statement in the pipeline gave no answer")
        return answer

    def _mark_now(self, delivery_id: int, esp_message_id: str) -> None:
        marked = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).update(
            status=Delivery.Status.SENT,
            sent_at=timezone.now(),
            attempts=F("attempts") + 1,
            lease_until=None,
            error="",
            esp_message_id=esp_message_id,
        )
        if marked != 1:
            logger.warning("Delivery %s was sent by another worker as well", delivery_id)

    @staticmethod
    def _pipelined() -> bool:
        return connection.vendor == "postgresql" and not connection.in_atomic_block

    def _pipeline(self) -> pq.abc.PGconn:
        if self.pgconn is not None:
            return self.pgconn
        connection.ensure_connection()
        pgconn = connection.connection.pgconn
        if pgconn not in _prepared_on:
            for name, sql in (
                (_FENCE_STATEMENT, _FENCE_SQL),
                (_MARK_SENT_STATEMENT, _MARK_SENT_SQL),
            ):
                result = pgconn.prepare(name, sql)
                if (
                    result.status != pq.ExecStatus.COMMAND_OK
                    and result.error_field(pq.DiagnosticField.SQLSTATE)
                    != _DUPLICATE_PREPARED_STATEMENT
                ):
                    raise RuntimeError(result.error_message.decode(errors="replace"))
            _prepared_on.add(pgconn)
        pgconn.enter_pipeline_mode()
        self.pgconn = pgconn
        return pgconn


def record_failure(delivery: Delivery, token: str, outcome: Outcome) -> None:
    attempts = delivery.attempts + 1
    ceiling = _setting("CIVIC_MAIL_MAX_ATTEMPTS", 6)
    rows = Delivery.objects.filter(pk=delivery.pk, claimed_by=token)
    if outcome.transient and attempts < ceiling:
        delay = min(
            _setting("CIVIC_MAIL_RETRY_SECONDS", 30) * 2 ** (attempts - 1),
            _setting("CIVIC_MAIL_RETRY_CEILING_SECONDS", 3600),
        )
        rows.update(
            status=Delivery.Status.QUEUED,
            attempts=attempts,
            claimed_by="",
            lease_until=None,
            error=outcome.reason[:2000],
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
    else:
        reason = outcome.reason if not outcome.transient else f"Gave up: {outcome.reason}"
        rows.update(
            status=Delivery.Status.FAILED,
            attempts=attempts,
            lease_until=None,
            error=reason[:2000],
        )


def release(*, token: str) -> None:
    """Give back rows this worker claimed but did not try (paused, cancelled, out of time)."""
    Delivery.objects.filter(claimed_by=token, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.QUEUED, claimed_by="", lease_until=None
    )


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


def message_id(delivery_id: int, domain: str) -> str:
    """The same Message-ID however often a delivery is tried, so receivers can drop a copy."""
    signature = hmac.new(
        settings.SECRET_KEY.encode(), f"delivery:{delivery_id}".encode(), sha256
    ).hexdigest()[:16]
    return f"<civic.{delivery_id}.{signature}@{domain}>"


@dataclass
class CampaignContext:
    campaign: Campaign
    template: Template
    from_header: str
    envelope_from: str
    domain: str
    boundary: str
    unsubscribe_prefix: str

    @classmethod
    def load(cls, campaign: Campaign) -> CampaignContext:
        identity = campaign.identity
        return cls(
            campaign=campaign,
            template=compile_message(
                subject=campaign.subject, body=campaign.body, organisation=campaign.organisation
            ),
            from_header=address(identity.from_name, identity.from_email),
            envelope_from=identity.from_email,
            domain=identity.from_email.rpartition("@")[2] or "civic.localhost",
            boundary="civic-" + secrets.token_hex(12),
            # reverse() once per campaign: per message it costs more than rendering the body.
            unsubscribe_prefix=settings.CIVIC_SITE_URL
            + reverse("mailing:unsubscribe", args=["TOKEN"]).removesuffix("TOKEN/"),
        )

    def outgoing(self, delivery: Delivery) -> Outgoing:
        campaign = self.campaign
        token = unsubscribe_token(contact=delivery.contact, purpose=campaign.purpose)
        unsubscribe_url = self.unsubscribe_prefix + token + "/"
        values = merge_values(
            contact=delivery.contact,
            organisation=campaign.organisation,
            unsubscribe_url=unsubscribe_url,
        )
        subject = self.template.subject.fill(values)
        text = self.template.text.fill(values)
        html = self.template.html.fill(values)
        mid = message_id(delivery.pk, self.domain)
        mailto = f"mailto:{settings.CIVIC_UNSUBSCRIBE_MAILTO}?subject=unsubscribe%20{token}"
        list_headers = {
            "List-Unsubscribe": f"<{unsubscribe_url}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"<campaign-{campaign.pk}.{self.domain}>",
        }
        name = delivery.contact.name if delivery.contact else ""
        headers = [
            ("From", self.from_header),
            ("To", address(name, delivery.to_email)),
            ("Subject", header_value(subject)),
            ("Date", _date_header()),
            ("Message-ID", mid),
            *([("Reply-To", campaign.identity.reply_to)] if campaign.identity.reply_to else []),
            *list_headers.items(),
        ]
        return Outgoing(
            delivery_id=delivery.pk,
            from_address=self.envelope_from,
            to_address=delivery.to_email,
            raw=mime_bytes(headers=headers, text=text, html=html, boundary=self.boundary),
            subject=subject,
            text=text,
            html=html,
            from_header=self.from_header,
            reply_to=[campaign.identity.reply_to] if campaign.identity.reply_to else [],
            headers=list_headers,
            message_id=mid,
        )


_date_cache: tuple[int, str] = (0, "")


def _date_header() -> str:
    """The Date header, formatted once a second rather than once a message."""
    global _date_cache
    second = int(time.time())
    if _date_cache[0] != second:
        _date_cache = (second, email.utils.formatdate(second, localtime=False))
    return _date_cache[1]


def transactional_outgoing(delivery: Delivery) -> Outgoing:
    message = delivery.message or {}
    from_header = message.get("from") or settings.DEFAULT_FROM_EMAIL
    envelope = email.utils.parseaddr(from_header)[1]
    domain = envelope.rpartition("@")[2] or "civic.localhost"
    mid = message_id(delivery.pk, domain)
    reply_to = list(message.get("reply_to") or [])
    extra = dict(message.get("headers") or {})
    headers = [
        ("From", header_value(from_header)),
        ("To", delivery.to_email),
        ("Subject", header_value(message.get("subject", ""))),
        ("Date", email.utils.format_datetime(timezone.now())),
        ("Message-ID", mid),
        *([("Reply-To", ", ".join(reply_to))] if reply_to else []),
        *((name, header_value(value)) for name, value in extra.items()),
    ]
    text, html = message.get("text", ""), message.get("html", "")
    if html:
        raw = mime_bytes(headers=headers, text=text, html=html)
    else:
        raw = (
            "".join(f"{name}: {value}\r\n" for name, value in headers).encode()
            + b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + b"Content-Transfer-Encoding: 8bit\r\n\r\n"
            + text.replace("\r\n", "\n").replace("\n", "\r\n").encode()
        )
    return Outgoing(
        delivery_id=delivery.pk,
        from_address=envelope,
        to_address=delivery.to_email,
        raw=raw,
        subject=message.get("subject", ""),
        text=text,
        html=html,
        from_header=from_header,
        reply_to=reply_to,
        headers=extra,
        message_id=mid,
    )


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
        Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING).update(
            status=Campaign.Status.SENT, finished_at=timezone.now()
        )
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
