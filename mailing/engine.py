"""The sending engine: claim rows of the outbox, send them over one connection, mark each sent.

A worker claims a chunk of deliveries with `SELECT ... FOR UPDATE SKIP LOCKED` and stamps them
with its claim token and a lease. Several workers on one campaign never take the same row; a row
whose worker died comes back when its lease runs out. A row is marked sent at the commit point of
its transport (mailing.transports), failed with the reason on a permanent refusal, and put back
with a growing delay on a transient one, until a ceiling of attempts.
"""

from __future__ import annotations

import email.utils
import hmac
import logging
import secrets
import time
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
from mailing.transports import CommitFailed, Outcome, Outgoing, transport_from_settings

logger = logging.getLogger(__name__)


def _setting(name: str, default):
    return getattr(settings, name, default)


def claimable_q(now) -> Q:
    return Q(status=Delivery.Status.QUEUED, next_attempt_at__lte=now) | Q(
        status=Delivery.Status.SENDING, lease_until__lt=now
    )


def claim(
    *,
    token: str,
    size: int,
    campaign_id: int | None = None,
    delivery_id: int | None = None,
    transactional: bool = False,
) -> list[Delivery]:
    """Take up to `size` rows no other worker holds, for this worker alone."""
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
        .select_related("contact", "organisation")
        .order_by("pk")
    )


def renew(*, token: str) -> int:
    lease = timedelta(seconds=_setting("CIVIC_MAIL_LEASE_SECONDS", 300))
    return Delivery.objects.filter(claimed_by=token, status=Delivery.Status.SENDING).update(
        lease_until=timezone.now() + lease
    )


_MARK_SENT_SQL = (
    "UPDATE mailing_delivery SET status = 'sent', sent_at = now(), attempts = attempts + 1, "
    "lease_until = NULL, error = '', esp_message_id = $1 "
    "WHERE id = $2 AND claimed_by = $3 AND status = 'sending'"
)


def mark_sent_starter(delivery: Delivery, token: str, esp_message_id: str):
    """The commit callback for a transport: start the UPDATE, return a function that waits.

    On PostgreSQL the UPDATE is written to the server without waiting for its answer, so that the
    transport can write its own last line straight after it (see mailing.transports)."""

    def start():
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            connection.ensure_connection()
            pgconn = connection.connection.pgconn
            pgconn.send_query_params(
                _MARK_SENT_SQL.encode(),
                [esp_message_id.encode(), str(delivery.pk).encode(), token.encode()],
            )

            def wait() -> bool:
                updated = False
                while (result := pgconn.get_result()) is not None:
                    if result.status != pq.ExecStatus.COMMAND_OK:
                        raise RuntimeError(result.error_message.decode(errors="replace"))
                    updated = result.command_tuples == 1
                return updated

            return wait
        updated = Delivery.objects.filter(
            pk=delivery.pk, claimed_by=token, status=Delivery.Status.SENDING
        ).update(
            status=Delivery.Status.SENT,
            sent_at=timezone.now(),
            attempts=delivery.attempts + 1,
            lease_until=None,
            error="",
            esp_message_id=esp_message_id,
        )
        return lambda: updated == 1

    return start


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
    sent = 0
    renew_every = _setting("CIVIC_MAIL_LEASE_SECONDS", 300) / 3
    renewed = time.monotonic()
    try:
        for index, delivery in enumerate(rows):
            if time.monotonic() - renewed > renew_every:
                renew(token=token)
                renewed = time.monotonic()
            outgoing = build(delivery)
            limiter.wait(len(rows) - index)
            outcome = transport.send(
                outgoing, mark_sent_starter(delivery, token, outgoing.message_id)
            )
            if outcome.sent:
                sent += 1
                if outcome.esp_message_id and outcome.esp_message_id != outgoing.message_id:
                    Delivery.objects.filter(pk=delivery.pk).update(
                        esp_message_id=outcome.esp_message_id
                    )
            else:
                record_failure(delivery, token, outcome)
    except CommitFailed:
        logger.warning("Lost the claim on a delivery; stopping this chunk", exc_info=True)
    finally:
        transport.close()
    return sent


def campaign_send_chunks(campaign_id: int, *, seconds: float | None = None) -> int:
    """Claim and send chunks of one campaign until none is left, it is paused or time runs out."""
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
    try:
        while time.monotonic() < deadline:
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
    campaign_finish_if_done(campaign_id)
    return sent


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


def transactional_send(*, delivery_id: int | None = None, limit: int = 50) -> int:
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
