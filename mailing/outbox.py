"""The outbox's claims and leases: which worker holds which delivery rows, and for how long.

A worker claims a chunk of deliveries with `SELECT ... FOR UPDATE SKIP LOCKED` and stamps them
with its claim token and a lease, which it renews while it works. Several workers on one campaign
never take the same row; a row whose worker died comes back when its lease runs out, and beat's
sweep wakes a worker for it (docs/operations.md says how soon).

Before it writes the end-of-data line of a row's message, the sending worker asks the database
whether it still holds that row's claim, and for how long (`Fence`); the same round trip marks
the row it sent before, after the server's 250. A failed send is put back with a delay
(`record_failure`), and what a worker still holds when it stops is let go (`release`). Sending
itself is in mailing.engine.

Every lease is reckoned on the database's clock, never a worker's, so that workers on machines
whose clocks disagree still agree on when a claim lapses.
"""

from __future__ import annotations

import collections
import logging
import select
import time
import weakref
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from psycopg import pq

from mailing.models import Delivery
from mailing.transports import ClaimLost, Outcome

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
