"""The sending engine: claim rows of the outbox, send them over one connection, mark each sent.

A worker claims a chunk of deliveries with `SELECT ... FOR UPDATE SKIP LOCKED` and stamps them
with its claim token and a lease. Several workers on one campaign never take the same row; a row
whose worker died comes back when its lease runs out. A row is marked sent at the commit point of
its transport (mailing.transports), failed with the reason on a permanent refusal, and put back
with a growing delay on a transient one, until a ceiling of attempts.
"""

from __future__ import annotations

import contextlib
import email.utils
import hmac
import logging
import secrets
import select
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from hashlib import sha256

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from psycopg import pq

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
from mailing.transports import Outcome, Outgoing, transport_from_settings

logger = logging.getLogger(__name__)


def _setting(name: str, default):
    return getattr(settings, name, default)


def claimable_q(now) -> Q:
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
    now = timezone.now()
    lease = timedelta(seconds=_setting("CIVIC_MAIL_LEASE_SECONDS", 300))
    rows = Delivery.objects.filter(claimable_q(now))
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
                status=Delivery.Status.SENDING, claimed_by=token, lease_until=now + lease
            )
    if not ids:
        return []
    return list(
        Delivery.objects.filter(pk__in=ids, claimed_by=token)
        .select_related("contact")
        .only(*_SENDING_FIELDS)
        .order_by("pk")
    )


def renew(*, token: str) -> int:
    lease = timedelta(seconds=_setting("CIVIC_MAIL_LEASE_SECONDS", 300))
    return Delivery.objects.filter(claimed_by=token, status=Delivery.Status.SENDING).update(
        lease_until=timezone.now() + lease
    )


class CommitFailed(Exception):
    """The row could not be marked sent (its claim was lost): the chunk's claims are stale."""


_MARK_SENT_STATEMENT = b"civic_mailing_mark_sent"
_MARK_SENT_SQL = (
    b"UPDATE mailing_delivery SET status = 'sent', sent_at = now(), attempts = attempts + 1, "
    b"lease_until = NULL, error = '', esp_message_id = $1 "
    b"WHERE id = $2 AND claimed_by = $3 AND status = 'sending'"
)
_DUPLICATE_PREPARED_STATEMENT = b"42P05"
# The database connections the statement was prepared on (it lives as long as the session).
_prepared_on: weakref.WeakSet = weakref.WeakSet()


class SentMarks:
    """Marks rows sent for a transport's commit point without waiting for the database.

    On PostgreSQL the UPDATE of a row is written to the server and the transport writes its own
    last line straight after it (see mailing.transports); the answer is read only when the
    connection is next needed: at the next row's commit point, or before any other query
    (`settle`). Each row is still marked in its own autocommitted UPDATE, written before its
    message is complete, so a killed worker loses nothing; it only stops waiting for each
    commit in turn. The UPDATE is a statement prepared once per database connection.
    """

    def __init__(self, token: str):
        self.token = token
        self.pending: tuple[int, pq.abc.PGconn] | None = None

    def commit(self, delivery: Delivery, esp_message_id: str) -> Callable[[], None]:
        """The commit callback for the transport sending `delivery`."""
        return lambda: self.start(delivery, esp_message_id)

    def start(self, delivery: Delivery, esp_message_id: str) -> None:
        self.settle()
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            updated = Delivery.objects.filter(
                pk=delivery.pk, claimed_by=self.token, status=Delivery.Status.SENDING
            ).update(
                status=Delivery.Status.SENT,
                sent_at=timezone.now(),
                attempts=delivery.attempts + 1,
                lease_until=None,
                error="",
                esp_message_id=esp_message_id,
            )
            if updated != 1:
                raise CommitFailed(delivery.pk)
            return
        pgconn = self._prepared()
        pgconn.send_query_prepared(
            _MARK_SENT_STATEMENT,
            [esp_message_id.encode(), str(delivery.pk).encode(), self.token.encode()],
        )
        # psycopg keeps the connection non-blocking: make sure the whole UPDATE has left.
        while pgconn.flush():
            select.select([], [pgconn.socket], [])
        self.pending = (delivery.pk, pgconn)

    def settle(self) -> None:
        """Wait for the last row's UPDATE; CommitFailed if it marked nothing."""
        if self.pending is None:
            return
        delivery_id, pgconn = self.pending
        self.pending = None
        updated = False
        while (result := pgconn.get_result()) is not None:
            if result.status != pq.ExecStatus.COMMAND_OK:
                raise RuntimeError(result.error_message.decode(errors="replace"))
            updated = result.command_tuples == 1
        if not updated:
            raise CommitFailed(delivery_id)

    @staticmethod
    def _prepared() -> pq.abc.PGconn:
        connection.ensure_connection()
        pgconn = connection.connection.pgconn
        if pgconn not in _prepared_on:
            result = pgconn.prepare(_MARK_SENT_STATEMENT, _MARK_SENT_SQL)
            if (
                result.status != pq.ExecStatus.COMMAND_OK
                and result.error_field(pq.DiagnosticField.SQLSTATE) != _DUPLICATE_PREPARED_STATEMENT
            ):
                raise RuntimeError(result.error_message.decode(errors="replace"))
            _prepared_on.add(pgconn)
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
    """Send claimed rows over one connection; returns how many were sent."""
    marks = SentMarks(token)
    sent = 0
    renew_every = _setting("CIVIC_MAIL_LEASE_SECONDS", 300) / 3
    renewed = time.monotonic()
    try:
        for index, delivery in enumerate(rows):
            if time.monotonic() - renewed > renew_every:
                marks.settle()
                renew(token=token)
                renewed = time.monotonic()
            outgoing = build(delivery)
            if limiter.per_second:
                marks.settle()  # the limiter reserves its slots in the database
            limiter.wait(len(rows) - index)
            outcome = transport.send(outgoing, marks.commit(delivery, outgoing.message_id))
            if outcome.sent:
                sent += 1
                if outcome.esp_message_id and outcome.esp_message_id != outgoing.message_id:
                    marks.settle()
                    Delivery.objects.filter(pk=delivery.pk).update(
                        esp_message_id=outcome.esp_message_id
                    )
            else:
                marks.settle()
                record_failure(delivery, token, outcome)
        marks.settle()
    except CommitFailed:
        # Our claim had lapsed and another worker took the row: this chunk's claims are stale,
        # so stop before sending anything more (leases are renewed well before that happens).
        logger.warning("Lost the claim on a delivery; stopping this chunk", exc_info=True)
    finally:
        # Only after an unexpected error can an answer still be unread; read it so that the
        # connection serves the queries that follow (the error itself is what goes up).
        with contextlib.suppress(CommitFailed, RuntimeError):
            marks.settle()
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
        left = Delivery.objects.filter(claimable_q(timezone.now()), campaign_id=campaign_id)
        if left.exists():
            _campaign_continue(campaign_id)
    campaign_finish_if_done(campaign_id)
    return sent


def _campaign_continue(campaign_id: int) -> None:
    """A fresh task for the rest of the campaign; without one, beat's sweep would wake only once
    no other worker is sending it, and until then this worker would sit idle."""
    from mailing.tasks import campaign_send_task  # mailing.tasks imports this module

    try:
        campaign_send_task.delay(campaign_id)
    except Exception:  # the broker is down: the sweep queues it when the broker is back
        logger.warning("Could not queue campaign %s's next task", campaign_id, exc_info=True)


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
