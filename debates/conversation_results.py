"""A conversation's opinion groups, worked out by a worker a few seconds after votes arrive.

A vote asks for a recompute (`recompute_soon`); however many votes arrive within
CIVIC_CONVERSATION_RESULTS_SECONDS, one recompute runs (civic.queueing.queue_soon). The task is
acknowledged only once it has run, so a worker that dies mid-way leaves it to another; and two
never run at once for a conversation: each holds a PostgreSQL advisory lock for its transaction
(released if its connection dies), and one that finds the lock taken asks again for later, so the
votes that came during the other's run are counted too. The results page asks again when it finds
votes newer than the figures, in case a request was lost with the broker.

The vote matrix is read with one COPY in PostgreSQL's binary format straight into numpy arrays:
no Python object per vote. The figures kept (ConversationResult.figures) name statements by id
and hold counts and shares, never a participant.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from civic.queueing import queue_soon
from debates import opinion
from debates.models import Conversation, ConversationResult, Statement, StatementVote

RECOMPUTE = "debates.tasks.conversation_results_task"
# A namespace for the advisory locks, so that they never meet another use of them.
_LOCK_SPACE = 16_004


def _delay() -> float:
    return float(getattr(settings, "CIVIC_CONVERSATION_RESULTS_SECONDS", 3))


def recompute_soon(conversation_id: int) -> None:
    """Have a worker work out the conversation's groups in CIVIC_CONVERSATION_RESULTS_SECONDS,
    once however many votes arrive meanwhile (queued when the transaction commits)."""
    queue_soon(RECOMPUTE, conversation_id, delay=_delay())


# Reading the votes ------------------------------------------------------------------------------

# PostgreSQL's binary COPY: per row a field count, then each field's length and value, big-endian.
_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("participant_length", ">i4"),
        ("participant", ">i8"),
        ("statement_length", ">i4"),
        ("statement", ">i8"),
        ("choice_length", ">i4"),
        ("choice", ">i2"),
        ("updated_length", ">i4"),
        ("updated", ">i8"),  # microseconds since 2000-01-01 UTC
    ]
)
_POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def _rows_binary(queryset) -> np.ndarray:
    sql, params = queryset.query.sql_with_params()
    copy_sql = f"COPY ({sql}) TO STDOUT (FORMAT BINARY)"
    with connection.cursor() as cursor, cursor.cursor.copy(copy_sql, params) as copy:
        data = b"".join(bytes(block) for block in copy)
    if not data.startswith(_SIGNATURE):
        raise ValueError("PostgreSQL sent something other than a binary COPY")
    extension = int.from_bytes(data[15:19], "big")
    body = memoryview(data)[19 + extension : len(data) - 2]
    return np.frombuffer(body, dtype=_ROW)


@dataclass
class VoteMatrix:
    """A conversation's votes on its shown statements: participants x statements, rows in no
    particular order and not named."""

    statement_ids: np.ndarray  # the columns, ascending
    votes: np.ndarray  # 1 agree, -1 disagree, 0 pass (or no vote: see `voted`)
    voted: np.ndarray
    last_vote_at: datetime | None

    @property
    def participants(self) -> int:
        return self.votes.shape[0]


def vote_matrix(conversation_id: int) -> VoteMatrix:
    statement_ids = np.array(
        Statement.objects.filter(conversation_id=conversation_id, status=Statement.Status.SHOWN)
        .order_by("pk")
        .values_list("pk", flat=True),
        dtype=np.int64,
    )
    votes = StatementVote.objects.filter(
        statement__conversation_id=conversation_id, statement__status=Statement.Status.SHOWN
    ).order_by()
    if connection.vendor == "postgresql":
        rows = _rows_binary(
            votes.values_list("participant_id", "statement_id", "choice", "updated_at")
        )
        participants, statements, choices = rows["participant"], rows["statement"], rows["choice"]
        last = (
            _POSTGRES_EPOCH + timedelta(microseconds=int(rows["updated"].max()))
            if len(rows)
            else None
        )
    else:
        flat = np.array(
            list(votes.values_list("participant_id", "statement_id", "choice")), dtype=np.int64
        ).reshape(-1, 3)
        participants, statements, choices = flat[:, 0], flat[:, 1], flat[:, 2]
        last = votes.aggregate(last=Max("updated_at"))["last"]
    ids, rows_of = np.unique(participants, return_inverse=True)
    columns_of = np.searchsorted(statement_ids, statements)
    matrix, voted = opinion.matrix_from_votes(
        rows_of, columns_of, choices.astype(np.int8), (len(ids), len(statement_ids))
    )
    return VoteMatrix(statement_ids=statement_ids, votes=matrix, voted=voted, last_vote_at=last)


# Working it out ---------------------------------------------------------------------------------


def group_name(number: int) -> str:
    """Group A, B, ... (at most five groups are ever made)."""
    return string.ascii_uppercase[number]


def _shares(counts: np.ndarray) -> list[dict]:
    shares = opinion.OpinionGroups.shares(counts)
    return [
        {
            "agree": int(row[0]),
            "disagree": int(row[1]),
            "pass": int(row[2]),
            "agree_share": round(float(share[0]), 4),
            "disagree_share": round(float(share[1]), 4),
            "pass_share": round(float(share[2]), 4),
        }
        for row, share in zip(counts, shares, strict=True)
    ]


def figures_from(
    found: opinion.OpinionGroups, statement_ids: np.ndarray, participants: int
) -> dict:
    """What is kept and published: counts and shares by statement id, groups, consensus."""
    ids = [int(statement) for statement in statement_ids]
    keys = [str(statement) for statement in ids]  # JSON object keys are strings
    groups = []
    for group in found.groups:
        members = found.points[found.labels == group.number]
        groups.append(
            {
                "name": group_name(group.number),
                "size": group.size,
                "centre": [round(float(value), 4) for value in members.mean(axis=0)],
                "statements": dict(
                    zip(keys, _shares(found.group_counts[group.number]), strict=True)
                ),
                "representative": [
                    {
                        "statement": ids[standout.statement],
                        "direction": standout.direction,
                        "group_share": round(standout.group_share, 4),
                        "rest_share": round(standout.rest_share, 4),
                        "difference": round(standout.difference, 4),
                        "z": round(standout.z, 2),
                    }
                    for standout in group.representative
                ],
            }
        )
    return {
        "participants": participants,
        "grouped": len(found.included),
        "left_out": participants - len(found.included),
        "min_votes": opinion.MIN_VOTES,
        "silhouette": None if found.silhouette is None else round(found.silhouette, 4),
        "statements": dict(zip(keys, _shares(found.counts), strict=True)),
        "groups": groups,
        "consensus": [
            {
                "statement": ids[consensus.statement],
                "direction": consensus.direction,
                "least_share": round(consensus.least_share, 4),
            }
            for consensus in found.consensus
        ],
    }


def _locked(conversation_id: int) -> bool:
    """Take the conversation's recompute lock for this transaction; False if another holds it."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, conversation_id])
        return bool(cursor.fetchone()[0])


def conversation_results_recompute(
    *, conversation_id: int, now: datetime | None = None
) -> ConversationResult | None:
    """Work out the conversation's groups from its votes and keep them (run by a worker; safe to
    run twice). None if the conversation has gone, or if another recompute holds it: that one
    is asked for again, to count what came meanwhile."""
    with transaction.atomic():
        if not Conversation.objects.filter(pk=conversation_id).exists():
            return None
        if not _locked(conversation_id):
            recompute_soon(conversation_id)
            return None
        matrix = vote_matrix(conversation_id)
        found = opinion.opinion_groups(matrix.votes, matrix.voted)
        result, _created = ConversationResult.objects.update_or_create(
            conversation_id=conversation_id,
            defaults={
                "computed_at": now or timezone.now(),
                "last_vote_at": matrix.last_vote_at,
                "votes_counted": int(matrix.voted.sum()),
                "figures": figures_from(found, matrix.statement_ids, matrix.participants),
            },
        )
    return result


def results_for(conversation: Conversation) -> ConversationResult | None:
    """The conversation's last figures, asking a worker for new ones if votes came since."""
    result = ConversationResult.objects.filter(conversation=conversation).first()
    newest = StatementVote.objects.filter(
        statement__conversation=conversation, statement__status=Statement.Status.SHOWN
    ).aggregate(last=Max("updated_at"))["last"]
    if newest is not None and (
        result is None or result.last_vote_at is None or newest > result.last_vote_at
    ):
        recompute_soon(conversation.pk)
    return result


def public_figures(result: ConversationResult | None) -> dict | None:
    """The groups as open data (the conversation's JSON and the API): statements by id, counts
    and shares overall and per group, each group's representative statements, the consensus.
    Never a participant. None until a worker has worked them out."""
    if result is None:
        return None
    figures = result.figures

    def listed(statements: dict) -> list[dict]:
        return [{"statement": int(key), **shares} for key, shares in statements.items()]

    return {
        "computed_at": result.computed_at,
        "votes_counted": result.votes_counted,
        "participants": figures.get("participants", 0),
        "grouped": figures.get("grouped", 0),
        "left_out": figures.get("left_out", 0),
        "min_votes": figures.get("min_votes", opinion.MIN_VOTES),
        "statements": listed(figures.get("statements", {})),
        "groups": [
            {
                "name": group["name"],
                "size": group["size"],
                "statements": listed(group["statements"]),
                "representative": group["representative"],
            }
            for group in figures.get("groups", [])
        ],
        "consensus": figures.get("consensus", []),
    }
